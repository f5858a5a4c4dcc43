"""Test double (stand-in) for prisma-client-py's query engine: in-memory tables and their actions.

One process-wide store holds a list of rows per model of LiteLLM's parsed schema.prisma. The
generic `TableActions` implements the model actions of prisma-client-py's documented API
(find_unique, find_first, find_many, count, create, create_many, update, update_many, upsert,
delete, delete_many, group_by, with where/include/order/take/skip) over that store, enforcing
@id/@unique/@@unique (UniqueViolationError), required values, defaults, @updatedAt and foreign
keys of owning relations. Anything it does not implement raises StandInUnsupportedError and logs
it on stderr: a silent empty answer would let a test pass against behaviour the real database
would not have.

Every action runs to completion without awaiting, so on the proxy's single event loop each one is
atomic; a lock guards against the odd thread.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import itertools
import json
import logging
import sys
import threading
import uuid
from typing import Any, Iterable

from . import errors
from ._schema import Field, Model, back_relation, schema
from .fields import Base64, Json

log = logging.getLogger("prisma.standin")
if not log.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s PRISMA-STAND-IN %(levelname)s %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

UTC = dt.timezone.utc


def unsupported(message: str) -> errors.StandInUnsupportedError:
    """Logs and returns the error for something the stand-in does not implement."""
    text = f"prisma stand-in does not support {message}"
    log.error(text)
    return errors.StandInUnsupportedError(text)


class Store:
    """Every table's rows, process-wide (LiteLLM builds more than one Prisma client)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, list[dict]] = {}
        self.counters: dict[tuple[str, str], itertools.count] = {}

    def rows(self, model: str) -> list[dict]:
        return self.tables.setdefault(model, [])

    def snapshot(self) -> dict[str, list[dict]]:
        return copy.deepcopy(self.tables)

    def restore(self, snapshot: dict[str, list[dict]]) -> None:
        self.tables = snapshot


STORE = Store()


# ------------------------------------------------------------------ values
def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _datetime(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as e:
            raise errors.DataError(message=f"Invalid DateTime value {value!r} for {where}") from e
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise errors.DataError(message=f"Invalid DateTime value {value!r} for {where}")


def coerce(model: Model, f: Field, value: Any) -> Any:
    """A written value as the database would store it (and prisma-client-py read it back)."""
    where = f"{model.name}.{f.name}"
    if value is None:
        if f.is_list:
            raise errors.DataError(message=f"Argument {f.name}: a list cannot be null ({where})")
        return None
    if f.is_list:
        if isinstance(value, dict) and set(value) == {"set"}:
            value = value["set"]
        if not isinstance(value, (list, tuple, set)):
            raise errors.DataError(message=f"Argument {f.name}: expected a list for {where}, got {value!r}")
        return [_scalar(model, f, v, where) for v in value]
    return _scalar(model, f, value, where)


def _scalar(model: Model, f: Field, value: Any, where: str) -> Any:
    t = f.type
    if f.kind == "enum":
        value = getattr(value, "value", value)
        if value not in schema().enums[t]:
            raise errors.DataError(message=f"Invalid value {value!r} for enum {t} ({where})")
        return value
    if t == "String":
        if not isinstance(value, str):
            raise errors.DataError(message=f"Invalid String value {value!r} for {where}")
        return value
    if t in ("Int", "BigInt"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise errors.DataError(message=f"Invalid {t} value {value!r} for {where}")
        return int(value)
    if t == "Float":
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise errors.DataError(message=f"Invalid Float value {value!r} for {where}")
        return float(value)
    if t == "Decimal":
        return decimal.Decimal(str(value))
    if t == "Boolean":
        if not isinstance(value, bool):
            raise errors.DataError(message=f"Invalid Boolean value {value!r} for {where}")
        return value
    if t == "DateTime":
        return _datetime(value, where)
    if t == "Json":
        if isinstance(value, Json):
            return copy.deepcopy(value.data)
        if isinstance(value, str):
            # prisma-client-py sends a plain str as JSON text, which the engine parses.
            try:
                return json.loads(value)
            except ValueError as e:
                raise errors.DataError(message=f"Invalid JSON text for {where}: {e}") from e
        return copy.deepcopy(value)
    if t == "Bytes":
        return str(value) if isinstance(value, Base64) else Base64(value)._raw
    raise unsupported(f"the column type {t} ({where})")


def output_value(f: Field, value: Any) -> Any:
    if value is None:
        return None
    if f.type == "Bytes":
        return [Base64(v) for v in value] if f.is_list else Base64(value)
    return copy.deepcopy(value)


# ------------------------------------------------------------------ defaults
def default_value(model: Model, f: Field) -> Any:
    d = f.default
    if d is None:
        if f.updated_at:
            return now()
        if f.is_list:
            return []
        return None
    kind = d[0]
    if kind == "uuid":
        return str(uuid.uuid4())
    if kind == "cuid":
        return "c" + uuid.uuid4().hex[:24]
    if kind == "now":
        return now()
    if kind == "autoincrement":
        counter = STORE.counters.setdefault((model.name, f.name), itertools.count(1))
        return next(counter)
    if kind == "dbgenerated":
        if "1970-01-01" in d[1]:
            return dt.datetime(1970, 1, 1, tzinfo=UTC)
        raise unsupported(f"the default {d[1]} of {model.name}.{f.name}")
    return coerce(model, f, d[1])


# ------------------------------------------------------------------ filters
_STRING_OPS = {"contains", "startswith", "endswith", "starts_with", "ends_with", "startsWith", "endsWith"}
_FILTER_OPS = {"equals", "not", "in", "not_in", "notIn", "lt", "lte", "gt", "gte", "mode"} | _STRING_OPS
_LIST_OPS = {"has", "has_some", "hasSome", "has_every", "hasEvery", "is_empty", "isEmpty", "equals"}
_JSON_OPS = {"path", "equals", "not", "string_contains", "string_starts_with", "string_ends_with",
             "array_contains", "array_starts_with", "array_ends_with", "mode"}


def _cmp_value(model: Model, f: Field, value: Any) -> Any:
    if value is None:
        return None
    if f.type == "Json":
        return value.data if isinstance(value, Json) else value
    if f.type == "DateTime":
        return _datetime(value, f"{model.name}.{f.name} filter")
    if f.type in ("Int", "BigInt", "Float") and isinstance(value, str):
        raise errors.DataError(message=f"Invalid {f.type} filter value {value!r} for {model.name}.{f.name}")
    return getattr(value, "value", value)


def _scalar_matches(model: Model, f: Field, actual: Any, cond: Any) -> bool:
    if not isinstance(cond, dict) or isinstance(cond, Json):
        return actual == _cmp_value(model, f, cond)
    if f.is_list:
        for op in cond:
            if op not in _LIST_OPS:
                raise unsupported(f"the list filter {op!r} on {model.name}.{f.name}")
        for op, v in cond.items():
            have = actual or []
            if op == "has":
                if _cmp_value(model, f, v) not in have:
                    return False
            elif op in ("has_some", "hasSome"):
                if not any(_cmp_value(model, f, x) in have for x in v):
                    return False
            elif op in ("has_every", "hasEvery"):
                if not all(_cmp_value(model, f, x) in have for x in v):
                    return False
            elif op in ("is_empty", "isEmpty"):
                if (len(have) == 0) != bool(v):
                    return False
            elif op == "equals":
                if v is None:
                    if actual is not None:
                        return False
                elif list(have) != [_cmp_value(model, f, x) for x in v]:
                    return False
        return True
    if f.type == "Json":
        return _json_matches(model, f, actual, cond)
    for op in cond:
        if op not in _FILTER_OPS:
            raise unsupported(f"the filter {op!r} on {model.name}.{f.name}")
    insensitive = cond.get("mode") == "insensitive"

    def norm(x: Any) -> Any:
        return x.lower() if insensitive and isinstance(x, str) else x

    a = norm(actual)
    for op, v in cond.items():
        if op == "mode":
            continue
        if op == "not":
            if isinstance(v, dict):
                if _scalar_matches(model, f, actual, v):
                    return False
            elif a == norm(_cmp_value(model, f, v)) or (v is not None and actual is None):
                # SQL: NULL <> x is not true, so a NULL column never matches `not: x`.
                return False
            continue
        if op == "equals":
            if a != norm(_cmp_value(model, f, v)):
                return False
            continue
        if op in ("in", "not_in", "notIn"):
            values = [norm(_cmp_value(model, f, x)) for x in v]
            if actual is None:
                return False
            if (a in values) != (op == "in"):
                return False
            continue
        if actual is None or v is None:
            return False
        b = norm(_cmp_value(model, f, v))
        if op == "lt" and not a < b:
            return False
        if op == "lte" and not a <= b:
            return False
        if op == "gt" and not a > b:
            return False
        if op == "gte" and not a >= b:
            return False
        if op == "contains" and b not in a:
            return False
        if op in ("startswith", "starts_with", "startsWith") and not a.startswith(b):
            return False
        if op in ("endswith", "ends_with", "endsWith") and not a.endswith(b):
            return False
    return True


def _json_matches(model: Model, f: Field, actual: Any, cond: dict) -> bool:
    for op in cond:
        if op not in _JSON_OPS:
            raise unsupported(f"the Json filter {op!r} on {model.name}.{f.name}")
    value = actual
    if "path" in cond:
        for step in cond["path"]:
            if isinstance(value, dict) and step in value:
                value = value[step]
            elif isinstance(value, list) and str(step).isdigit() and int(step) < len(value):
                value = value[int(step)]
            else:
                return False
    for op, v in cond.items():
        v = v.data if isinstance(v, Json) else v
        if op in ("path", "mode"):
            continue
        if op == "equals" and value != v:
            return False
        if op == "not" and value == v:
            return False
        if op == "string_contains" and not (isinstance(value, str) and v in value):
            return False
        if op == "string_starts_with" and not (isinstance(value, str) and value.startswith(v)):
            return False
        if op == "string_ends_with" and not (isinstance(value, str) and value.endswith(v)):
            return False
        if op == "array_contains":
            wanted = v if isinstance(v, list) else [v]
            if not (isinstance(value, list) and all(x in value for x in wanted)):
                return False
        if op in ("array_starts_with", "array_ends_with"):
            if not isinstance(value, list) or not value:
                return False
            if (value[0] if op == "array_starts_with" else value[-1]) != v:
                return False
    return True


def related_rows(model: Model, f: Field, row: dict) -> list[dict]:
    """The rows the relation field `f` of `row` points at (stored dicts, not copies)."""
    sch = schema()
    target = sch.models[f.type]
    if f.relation.fields:
        keys = [row.get(k) for k in f.relation.fields]
        if any(k is None for k in keys):
            return []
        return [r for r in STORE.rows(target.name)
                if all(r.get(ref) == k for ref, k in zip(f.relation.references, keys))]
    target, owner = back_relation(sch, model, f)
    keys = [row.get(ref) for ref in owner.relation.references]
    if any(k is None for k in keys):
        return []
    return [r for r in STORE.rows(target.name)
            if all(r.get(fk) == k for fk, k in zip(owner.relation.fields, keys))]


def matches(model: Model, row: dict, where: dict | None) -> bool:
    if not where:
        return True
    if not isinstance(where, dict):
        raise unsupported(f"a where clause that is not a dict: {where!r}")
    for key, cond in where.items():
        if key == "AND":
            parts = cond if isinstance(cond, list) else [cond]
            if not all(matches(model, row, p) for p in parts):
                return False
        elif key == "OR":
            parts = cond if isinstance(cond, list) else [cond]
            if not any(matches(model, row, p) for p in parts):
                return False
        elif key == "NOT":
            parts = cond if isinstance(cond, list) else [cond]
            if any(matches(model, row, p) for p in parts):
                return False
        elif key in model.fields:
            f = model.fields[key]
            if f.kind == "object":
                if not _relation_matches(model, f, row, cond):
                    return False
            elif not _scalar_matches(model, f, row.get(key), cond):
                return False
        else:
            compound = _compound_key(model, key)
            if compound is None:
                raise unsupported(f"the where key {key!r} on {model.name}")
            if not isinstance(cond, dict):
                raise unsupported(f"the compound key {key!r} value {cond!r}")
            if not matches(model, row, {k: cond[k] for k in compound}):
                return False
    return True


def _compound_key(model: Model, key: str) -> list[str] | None:
    for fields in model.unique_sets:
        if len(fields) > 1 and "_".join(fields) == key:
            return fields
    return None


def _relation_matches(model: Model, f: Field, row: dict, cond: Any) -> bool:
    target = schema().models[f.type]
    rows = related_rows(model, f, row)
    if cond is None:
        return not rows
    if not isinstance(cond, dict):
        raise unsupported(f"the relation filter {cond!r} on {model.name}.{f.name}")
    ops = set(cond)
    if f.is_list:
        if not ops <= {"some", "every", "none"}:
            raise unsupported(f"the list relation filter {sorted(ops)} on {model.name}.{f.name}")
        if "some" in cond and not any(matches(target, r, cond["some"]) for r in rows):
            return False
        if "every" in cond and not all(matches(target, r, cond["every"]) for r in rows):
            return False
        if "none" in cond and any(matches(target, r, cond["none"]) for r in rows):
            return False
        return True
    if ops <= {"is", "is_not", "isNot"}:
        if "is" in cond:
            if cond["is"] is None:
                if rows:
                    return False
            elif not (rows and matches(target, rows[0], cond["is"])):
                return False
        for k in ("is_not", "isNot"):
            if k in cond:
                if cond[k] is None:
                    if not rows:
                        return False
                elif rows and matches(target, rows[0], cond[k]):
                    return False
        return True
    return bool(rows) and matches(target, rows[0], cond)


# ------------------------------------------------------------------ ordering
def _sort(model: Model, rows: list[dict], order: Any) -> list[dict]:
    if not order:
        return rows
    clauses = order if isinstance(order, list) else [order]
    keys: list[tuple[str, bool, str]] = []
    for clause in clauses:
        if not isinstance(clause, dict):
            raise unsupported(f"the order clause {clause!r} on {model.name}")
        for name, direction in clause.items():
            f = model.fields.get(name)
            if f is None or f.kind == "object":
                raise unsupported(f"ordering by {name!r} on {model.name}")
            nulls = None
            if isinstance(direction, dict):
                nulls = direction.get("nulls")
                direction = direction.get("sort")
            if direction not in ("asc", "desc"):
                raise unsupported(f"the sort order {direction!r} on {model.name}.{name}")
            desc = direction == "desc"
            # PostgreSQL: NULLS LAST for ascending, NULLS FIRST for descending.
            keys.append((name, desc, nulls or ("first" if desc else "last")))
    result = list(rows)
    for name, desc, nulls in reversed(keys):
        present = [r for r in result if r.get(name) is not None]
        absent = [r for r in result if r.get(name) is None]
        present.sort(key=lambda r: r[name], reverse=desc)
        result = absent + present if nulls == "first" else present + absent
    return result


# ------------------------------------------------------------------ actions
class TableActions:
    """The actions of one model, as `client.<model name lower-cased>` offers them."""

    def __init__(self, client: Any, model_name: str) -> None:
        self._client = client
        self._model = schema().models[model_name]

    # -- helpers
    def _check(self) -> None:
        self._client._ensure_connected()

    def _unique_where(self, where: dict) -> None:
        if not isinstance(where, dict) or not where:
            raise errors.DataError(message=f"{self._model.name}: a unique where is required, got {where!r}")
        names = set()
        for k in where:
            if k in ("AND", "OR", "NOT"):
                continue
            names |= set(_compound_key(self._model, k) or [k])
        if not any(set(u) <= names for u in self._model.unique_sets):
            raise errors.DataError(
                message=f"{self._model.name}: where {sorted(where)} names no unique key "
                f"({self._model.unique_sets})"
            )

    def _select(self, where: dict | None) -> list[dict]:
        return [r for r in STORE.rows(self._model.name) if matches(self._model, r, where)]

    def _window(self, rows: list[dict], take: int | None, skip: int | None) -> list[dict]:
        if skip:
            rows = rows[skip:]
        if take is not None:
            if take < 0:
                raise unsupported("a negative take")
            rows = rows[:take]
        return rows

    def _out(self, row: dict, include: dict | None, model: Model | None = None):
        from .models import model_class

        model = model or self._model
        values = {f.name: output_value(f, row.get(f.name)) for f in model.scalar_fields()}
        for f in model.relation_fields():
            values[f.name] = None
        for name, spec in (include or {}).items():
            f = model.fields.get(name)
            if f is None or f.kind != "object":
                raise unsupported(f"include of {name!r} on {model.name}")
            if not spec:
                continue
            target = schema().models[f.type]
            rows = related_rows(model, f, row)
            sub_include = None
            if isinstance(spec, dict):
                extra = set(spec) - {"include", "where", "take", "skip", "order_by", "order"}
                if extra:
                    raise unsupported(f"include options {sorted(extra)} for {model.name}.{name}")
                sub_include = spec.get("include")
                rows = [r for r in rows if matches(target, r, spec.get("where"))]
                rows = _sort(target, rows, spec.get("order_by") or spec.get("order"))
                rows = self._window(rows, spec.get("take"), spec.get("skip"))
            outs = [self._out(r, sub_include, target) for r in rows]
            values[name] = outs if f.is_list else (outs[0] if outs else None)
        return model_class(model.name)(**values)

    def _fk_check(self, model: Model, row: dict) -> None:
        for f in model.relation_fields():
            rel = f.relation
            if not rel.fields:
                continue
            keys = [row.get(k) for k in rel.fields]
            if any(k is None for k in keys):
                continue
            if not related_rows(model, f, row):
                raise errors.ForeignKeyViolationError(
                    message=f"Foreign key constraint failed on the field: `{model.name}_{'_'.join(rel.fields)}_fkey (index)`"
                )

    def _unique_check(self, model: Model, row: dict, ignore: dict | None = None) -> None:
        for fields in model.unique_sets:
            values = [row.get(k) for k in fields]
            if any(v is None for v in values):
                continue
            for other in STORE.rows(model.name):
                if other is ignore or other is row:
                    continue
                if all(other.get(k) == v for k, v in zip(fields, values)):
                    raise errors.UniqueViolationError(
                        {"user_facing_error": {"meta": {"target": fields}}},
                        message="Unique constraint failed on the fields: ("
                        + ", ".join(f"`{k}`" for k in fields) + ")",
                    )

    def _split(self, model: Model, data: dict) -> tuple[dict, dict]:
        if not isinstance(data, dict):
            raise errors.DataError(message=f"{model.name}: data must be a dict, got {type(data).__name__}")
        scalars, relations = {}, {}
        for k, v in data.items():
            f = model.fields.get(k)
            if f is None:
                raise errors.FieldNotFoundError(message=f"{model.name} has no field {k!r}")
            (relations if f.kind == "object" else scalars)[k] = v
        return scalars, relations

    def _create_row(self, model: Model, data: dict) -> dict:
        scalars, relations = self._split(model, data)
        row: dict = {}
        for f in model.scalar_fields():
            if f.name in scalars:
                row[f.name] = coerce(model, f, scalars[f.name])
            else:
                row[f.name] = default_value(model, f)
        after = self._apply_owning_relations(model, row, relations)
        for f in model.scalar_fields():
            if row[f.name] is None and not f.optional and not f.is_list:
                raise errors.MissingRequiredValueError(
                    message=f"Argument `{f.name}` is missing (creating {model.name})"
                )
        self._unique_check(model, row)
        self._fk_check(model, row)
        STORE.rows(model.name).append(row)
        for f, spec in after:
            self._apply_back_relation(model, row, f, spec)
        return row

    def _apply_owning_relations(self, model: Model, row: dict, relations: dict) -> list:
        after = []
        for name, spec in relations.items():
            f = model.fields[name]
            if not isinstance(spec, dict):
                raise unsupported(f"relation data {spec!r} for {model.name}.{name}")
            if not f.relation.fields:
                after.append((f, spec))
                continue
            target = schema().models[f.type]
            for op, arg in spec.items():
                if op == "connect":
                    found = [r for r in STORE.rows(target.name) if matches(target, r, arg)]
                    if not found:
                        raise errors.RecordNotFoundError(
                            message=f"No '{target.name}' record was found for a nested connect on {model.name}.{name}"
                        )
                    ref = found[0]
                elif op == "create":
                    ref = self._create_row(target, arg)
                elif op in ("connect_or_create", "connectOrCreate"):
                    found = [r for r in STORE.rows(target.name) if matches(target, r, arg["where"])]
                    ref = found[0] if found else self._create_row(target, arg["create"])
                elif op == "disconnect":
                    for k in f.relation.fields:
                        row[k] = None
                    continue
                else:
                    raise unsupported(f"the nested relation operation {op!r} on {model.name}.{name}")
                for k, ref_k in zip(f.relation.fields, f.relation.references):
                    row[k] = ref[ref_k]
        return after

    def _apply_back_relation(self, model: Model, row: dict, f: Field, spec: dict) -> None:
        target, owner = back_relation(schema(), model, f)
        link = {fk: row[ref] for fk, ref in zip(owner.relation.fields, owner.relation.references)}
        for op, arg in spec.items():
            items = arg if isinstance(arg, list) else [arg]
            if op == "create":
                for item in items:
                    self._create_row(target, {**item, **link})
            elif op == "create_many":
                for item in arg.get("data", []):
                    self._create_row(target, {**item, **link})
            elif op == "connect":
                for item in items:
                    found = [r for r in STORE.rows(target.name) if matches(target, r, item)]
                    if not found:
                        raise errors.RecordNotFoundError(
                            message=f"No '{target.name}' record was found for a nested connect on {model.name}.{f.name}"
                        )
                    found[0].update(link)
            else:
                raise unsupported(f"the nested relation operation {op!r} on {model.name}.{f.name}")

    def _update_row(self, model: Model, row: dict, data: dict) -> None:
        scalars, relations = self._split(model, data)
        new = dict(row)
        for name, value in scalars.items():
            f = model.fields[name]
            if isinstance(value, dict) and f.type != "Json" and not isinstance(value, Json):
                if len(value) != 1:
                    raise unsupported(f"the update operation {value!r} on {model.name}.{name}")
                op, arg = next(iter(value.items()))
                current = new.get(name)
                if op == "set":
                    new[name] = coerce(model, f, arg)
                elif op in ("increment", "decrement", "multiply", "divide") and not f.is_list:
                    if current is None:
                        new[name] = None  # SQL arithmetic on NULL stays NULL
                        continue
                    arg = coerce(model, f, arg)
                    result = {"increment": current + arg if arg is not None else current,
                              "decrement": current - arg, "multiply": current * arg,
                              "divide": current / arg}[op]
                    new[name] = coerce(model, f, int(result) if f.type in ("Int", "BigInt") else result)
                elif op == "push" and f.is_list:
                    extra = arg if isinstance(arg, list) else [arg]
                    new[name] = list(current or []) + coerce(model, f, extra)
                else:
                    raise unsupported(f"the update operation {op!r} on {model.name}.{name}")
            else:
                new[name] = coerce(model, f, value)
        for f in model.scalar_fields():
            if f.updated_at and f.name not in scalars:
                new[f.name] = now()
            if new.get(f.name) is None and not f.optional and not f.is_list:
                raise errors.DataError(message=f"Argument `{f.name}` of {model.name} must not be null")
        after = self._apply_owning_relations(model, new, relations)
        self._unique_check(model, new, ignore=row)
        self._fk_check(model, new)
        old_keys = {ref: row.get(ref) for ref in model.fields}
        row.clear()
        row.update(new)
        self._cascade_key_change(model, old_keys, row)
        for f, spec in after:
            self._apply_back_relation(model, row, f, spec)

    def _cascade_key_change(self, model: Model, old: dict, row: dict) -> None:
        # Prisma's default onUpdate is Cascade: rows pointing at a changed key follow it.
        for other in schema().models.values():
            for g in other.relation_fields():
                if g.type != model.name or not g.relation.fields:
                    continue
                before = [old.get(r) for r in g.relation.references]
                after = [row.get(r) for r in g.relation.references]
                if before == after or any(b is None for b in before):
                    continue
                for child in STORE.rows(other.name):
                    if [child.get(k) for k in g.relation.fields] == before:
                        for k, v in zip(g.relation.fields, after):
                            child[k] = v

    def _delete_row(self, model: Model, row: dict) -> None:
        # Prisma's default referential action: SetNull for an optional relation, Restrict
        # (a foreign key error) for a required one.
        for other in schema().models.values():
            for g in other.relation_fields():
                if g.type != model.name or not g.relation.fields:
                    continue
                keys = [row.get(r) for r in g.relation.references]
                children = [c for c in STORE.rows(other.name)
                            if [c.get(k) for k in g.relation.fields] == keys]
                if not children:
                    continue
                fk_fields = [other.fields[k] for k in g.relation.fields]
                if all(x.optional for x in fk_fields):
                    for c in children:
                        for k in g.relation.fields:
                            c[k] = None
                else:
                    raise errors.ForeignKeyViolationError(
                        message=f"Foreign key constraint failed on the field: `{other.name}_{'_'.join(g.relation.fields)}_fkey (index)`"
                    )
        STORE.rows(model.name).remove(row)

    def _atomic(self, fn):
        with STORE.lock:
            before = STORE.snapshot()
            try:
                return fn()
            except BaseException:
                STORE.restore(before)
                raise

    # -- reads
    async def find_unique(self, where: dict, include: dict | None = None):
        self._check()
        self._unique_where(where)
        with STORE.lock:
            rows = self._select(where)
            return self._out(rows[0], include) if rows else None

    async def find_unique_or_raise(self, where: dict, include: dict | None = None):
        found = await self.find_unique(where=where, include=include)
        if found is None:
            raise errors.RecordNotFoundError(message=f"No {self._model.name} record found for {where}")
        return found

    async def find_many(self, take: int | None = None, skip: int | None = None, where: dict | None = None,
                        cursor: dict | None = None, include: dict | None = None, order: Any = None,
                        distinct: list | None = None):
        self._check()
        if cursor is not None:
            raise unsupported(f"cursor pagination on {self._model.name}")
        with STORE.lock:
            rows = _sort(self._model, self._select(where), order)
            if distinct:
                seen, unique_rows = set(), []
                for r in rows:
                    k = tuple(json.dumps(r.get(d), default=str) for d in distinct)
                    if k not in seen:
                        seen.add(k)
                        unique_rows.append(r)
                rows = unique_rows
            rows = self._window(rows, take, skip)
            return [self._out(r, include) for r in rows]

    async def find_first(self, skip: int | None = None, where: dict | None = None, cursor: dict | None = None,
                         include: dict | None = None, order: Any = None, distinct: list | None = None,
                         take: int | None = None):
        rows = await self.find_many(take=1, skip=skip, where=where, cursor=cursor, include=include,
                                    order=order, distinct=distinct)
        return rows[0] if rows else None

    async def find_first_or_raise(self, **kwargs):
        found = await self.find_first(**kwargs)
        if found is None:
            raise errors.RecordNotFoundError(message=f"No {self._model.name} record found")
        return found

    async def count(self, select: dict | None = None, take: int | None = None, skip: int | None = None,
                    where: dict | None = None, cursor: dict | None = None, order: Any = None,
                    distinct: list | None = None) -> int:
        self._check()
        if select is not None or cursor is not None or distinct is not None:
            raise unsupported(f"count with select/cursor/distinct on {self._model.name}")
        with STORE.lock:
            return len(self._window(_sort(self._model, self._select(where), order), take, skip))

    async def group_by(self, by: list, where: dict | None = None, take: int | None = None,
                       skip: int | None = None, order: Any = None, count: Any = None, avg: Any = None,
                       sum: Any = None, min: Any = None, max: Any = None, having: Any = None) -> list[dict]:
        self._check()
        if having is not None:
            raise unsupported(f"group_by having on {self._model.name}")
        with STORE.lock:
            groups: dict[tuple, list[dict]] = {}
            for r in self._select(where):
                groups.setdefault(tuple(json.dumps(r.get(b), default=str) for b in by), []).append(r)
            results = []
            for rows in groups.values():
                out = {b: output_value(self._model.fields[b], rows[0].get(b)) for b in by}
                if count:
                    if count is True:
                        out["_count"] = {"_all": len(rows)}
                    else:
                        out["_count"] = {k: (len(rows) if k == "_all" else sum_nonnull(rows, k, "count"))
                                         for k in count}
                for name, spec in (("_avg", avg), ("_sum", sum), ("_min", min), ("_max", max)):
                    if spec:
                        out[name] = {k: sum_nonnull(rows, k, name) for k in spec}
                results.append(out)
            if order:
                results = _sort(self._model, results, order)
            return self._window(results, take, skip)

    # -- writes
    async def create(self, data: dict, include: dict | None = None):
        self._check()
        return self._atomic(lambda: self._out(self._create_row(self._model, data), include))

    async def create_many(self, data: list[dict], skip_duplicates: bool = False) -> int:
        self._check()

        def run() -> int:
            n = 0
            for item in data:
                try:
                    self._create_row(self._model, item)
                    n += 1
                except errors.UniqueViolationError:
                    if not skip_duplicates:
                        raise
            return n

        return self._atomic(run)

    async def update(self, data: dict, where: dict, include: dict | None = None):
        self._check()
        self._unique_where(where)

        def run():
            rows = self._select(where)
            if not rows:
                return None  # prisma-client-py: update of a missing record answers None
            self._update_row(self._model, rows[0], data)
            return self._out(rows[0], include)

        return self._atomic(run)

    async def update_many(self, data: dict, where: dict) -> int:
        self._check()

        def run() -> int:
            rows = self._select(where)
            for r in rows:
                self._update_row(self._model, r, data)
            return len(rows)

        return self._atomic(run)

    async def upsert(self, where: dict, data: dict, include: dict | None = None):
        self._check()
        self._unique_where(where)
        if set(data) - {"create", "update"}:
            raise errors.DataError(message=f"upsert data needs 'create' and 'update', got {sorted(data)}")

        def run():
            rows = self._select(where)
            if rows:
                self._update_row(self._model, rows[0], data.get("update") or {})
                return self._out(rows[0], include)
            return self._out(self._create_row(self._model, data["create"]), include)

        return self._atomic(run)

    async def delete(self, where: dict, include: dict | None = None):
        self._check()
        self._unique_where(where)

        def run():
            rows = self._select(where)
            if not rows:
                return None  # prisma-client-py: delete of a missing record answers None
            out = self._out(rows[0], include)
            self._delete_row(self._model, rows[0])
            return out

        return self._atomic(run)

    async def delete_many(self, where: dict | None = None) -> int:
        self._check()

        def run() -> int:
            rows = self._select(where)
            for r in rows:
                self._delete_row(self._model, r)
            return len(rows)

        return self._atomic(run)

    async def query_raw(self, query: str, *args: Any):
        return await self._client.query_raw(query, *args)

    async def query_first(self, query: str, *args: Any):
        return await self._client.query_first(query, *args)


def sum_nonnull(rows: Iterable[dict], key: str, how: str) -> Any:
    values = [r.get(key) for r in rows if r.get(key) is not None]
    if how == "count":
        return len(values)
    if not values:
        return None
    if how == "_sum":
        return sum(values)
    if how == "_avg":
        return sum(values) / len(values)
    if how == "_min":
        return min(values)
    if how == "_max":
        return max(values)
    raise unsupported(f"the aggregate {how}")
