"""Test double (stand-in) for prisma-client-py's `prisma.errors`: the exception types LiteLLM catches.

Names and base classes follow prisma-client-py's documented error hierarchy, so LiteLLM's own
`except UniqueViolationError` / `isinstance(e, PrismaError)` handling runs unchanged.
`StandInUnsupportedError` is ours: the stand-in raises it (and logs it) for any query argument,
filter or raw SQL statement it does not implement, instead of answering with something made up.
"""

from __future__ import annotations


class PrismaError(Exception):
    pass


class ClientNotConnectedError(PrismaError):
    def __init__(self) -> None:
        super().__init__("Client is not connected to the query engine, you must call `connect()` before attempting to query data.")


class ClientAlreadyRegisteredError(PrismaError):
    pass


class ClientNotRegisteredError(PrismaError):
    pass


class HTTPClientClosedError(PrismaError):
    def __init__(self) -> None:
        super().__init__("Cannot make a request from a closed client.")


class UnsupportedDatabaseError(PrismaError):
    pass


class DataError(PrismaError):
    def __init__(self, data: object = None, *, message: str | None = None) -> None:
        self.data = data
        self.code = None
        self.meta = None
        super().__init__(message or str(data))


class UniqueViolationError(DataError):
    pass


class ForeignKeyViolationError(DataError):
    pass


class MissingRequiredValueError(DataError):
    pass


class RawQueryError(DataError):
    pass


class TableNotFoundError(DataError):
    pass


class FieldNotFoundError(DataError):
    pass


class RecordNotFoundError(DataError):
    pass


class InputError(DataError):
    pass


class TransactionError(PrismaError):
    pass


class TransactionExpiredError(TransactionError):
    pass


class TransactionNotFoundError(TransactionError):
    pass


class StandInUnsupportedError(NotImplementedError):
    """A query the in-memory prisma stand-in does not implement (never a silent empty answer)."""
