"""Test double (stand-in) for prisma-client-py's generated client: `Prisma`, transactions, batches.

`Prisma()` here never starts a query engine and never touches a database: connect() only marks
the client connected, and every model of LiteLLM's schema.prisma is an attribute named like
prisma-client-py names it (`client.litellm_verificationtoken`), served by the in-memory store of
`prisma._engine`. `tx()` runs its block against the same store and restores the store's previous
state if the block raises; `batch_()` queues writes and applies them together on commit.
"""

from __future__ import annotations

from typing import Any

from . import errors
from ._engine import STORE, TableActions, log, unsupported
from ._raw import execute as execute_raw_statement
from ._raw import run as run_raw
from ._schema import schema

_REGISTERED: "Prisma | None" = None


def _accessors() -> dict[str, str]:
    return {name.lower(): name for name in schema().models}


class Prisma:
    """The stand-in client. Accepts prisma-client-py's constructor options and ignores them."""

    def __init__(self, *, use_dotenv: bool = True, log_queries: bool = False, datasource: Any = None,
                 connect_timeout: Any = None, http: Any = None, auto_register: bool = False,
                 **options: Any) -> None:
        self._connected = False
        self._datasource = datasource
        if auto_register:
            register(self)

    def __getattr__(self, name: str) -> Any:
        model = _accessors().get(name)
        if model is None:
            raise AttributeError(f"'Prisma' (stand-in) object has no attribute {name!r}")
        return TableActions(self, model)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(_accessors()))

    # -- connection
    async def connect(self, timeout: Any = None) -> None:
        if not self._connected:
            log.info("connected (in-memory stand-in for %d models of %s)", len(schema().models), schema().path)
        self._connected = True

    async def disconnect(self, timeout: Any = None) -> None:
        self._connected = False

    def is_connected(self) -> bool:
        return self._connected

    def _ensure_connected(self) -> None:
        if not self._connected:
            raise errors.ClientNotConnectedError()

    async def __aenter__(self) -> "Prisma":
        await self.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.disconnect()

    # -- raw SQL
    async def query_raw(self, query: str, *args: Any, model: Any = None) -> list:
        self._ensure_connected()
        if model is not None:
            raise unsupported("query_raw(model=...)")
        return run_raw(query, args)

    async def query_first(self, query: str, *args: Any, model: Any = None) -> Any:
        rows = await self.query_raw(query, *args, model=model)
        return rows[0] if rows else None

    async def execute_raw(self, query: str, *args: Any) -> int:
        self._ensure_connected()
        return execute_raw_statement(query, args)

    # -- transactions and batches
    def tx(self, *, max_wait: Any = None, timeout: Any = None) -> "TransactionManager":
        return TransactionManager(self)

    def batch_(self) -> "Batch":
        return Batch(self)

    def is_registered(self) -> bool:
        return _REGISTERED is self


class TransactionManager:
    """`async with client.tx() as tx:` — tx is a connected client over the same store."""

    def __init__(self, client: Prisma, *, max_wait: Any = None, timeout: Any = None) -> None:
        self._client = client
        self._snapshot: dict | None = None
        self._tx: Prisma | None = None

    async def start(self, _from_context: bool = False) -> Prisma:
        self._client._ensure_connected()
        # Rolling back restores the whole store: a concurrent write during a failed transaction is
        # undone too. Tests against the stand-in do not rely on that interleaving.
        self._snapshot = STORE.snapshot()
        self._tx = Prisma()
        self._tx._connected = True
        return self._tx

    async def commit(self) -> None:
        self._snapshot = None

    async def rollback(self) -> None:
        if self._snapshot is not None:
            STORE.restore(self._snapshot)
            self._snapshot = None

    async def __aenter__(self) -> Prisma:
        return await self.start(_from_context=True)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is None:
            await self.commit()
        else:
            await self.rollback()


class _BatchActions:
    _WRITES = {"create", "create_many", "update", "update_many", "upsert", "delete", "delete_many"}

    def __init__(self, batch: "Batch", model: str) -> None:
        self._batch = batch
        self._model = model

    def __getattr__(self, name: str) -> Any:
        if name not in self._WRITES:
            raise unsupported(f"batch_() operation {name!r}")

        def queue(**kwargs: Any) -> None:
            self._batch._ops.append((self._model, name, kwargs))

        return queue


class Batch:
    """`async with client.batch_() as b: b.model.create(...)` — applied together on commit."""

    def __init__(self, client: Prisma) -> None:
        self._client = client
        self._ops: list[tuple[str, str, dict]] = []

    def __getattr__(self, name: str) -> Any:
        model = _accessors().get(name)
        if model is None:
            raise AttributeError(name)
        return _BatchActions(self, model)

    def execute_raw(self, query: str, *args: Any) -> None:
        raise unsupported("execute_raw in batch_()")

    async def commit(self) -> None:
        ops, self._ops = self._ops, []
        async with self._client.tx() as tx:
            for model, name, kwargs in ops:
                await getattr(TableActions(tx, model), name)(**kwargs)

    async def __aenter__(self) -> "Batch":
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is None:
            await self.commit()


def register(client: Prisma) -> None:
    global _REGISTERED
    if _REGISTERED is not None:
        raise errors.ClientAlreadyRegisteredError("A client has already been registered.")
    _REGISTERED = client


def get_client() -> Prisma:
    if _REGISTERED is None:
        raise errors.ClientNotRegisteredError("No client instance registered; call prisma.register(client) first.")
    return _REGISTERED

