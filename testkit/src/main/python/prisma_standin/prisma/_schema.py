"""Test double (stand-in) for prisma-client-py: reads LiteLLM's schema.prisma.

Keyturn's in-memory stand-in for the generated `prisma` package does not hard-code tables: at
import it parses the schema.prisma that ships inside the installed `litellm` package (or the file
named by KEYTURN_PRISMA_SCHEMA) into models, fields, ids, unique constraints, defaults, @updatedAt
and relations. Only the parts of the Prisma schema language that LiteLLM's schema uses are
understood; anything else in a field line fails loudly at start-up.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

SCALARS = {"String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"}


@dataclass
class Relation:
    name: str | None
    fields: list[str]  # foreign-key fields on this model (empty on the back side)
    references: list[str]  # fields of the target model they point at


@dataclass
class Field:
    name: str
    type: str
    optional: bool
    is_list: bool
    is_id: bool = False
    is_unique: bool = False
    default: tuple | None = None  # ("uuid",), ("cuid",), ("now",), ("autoincrement",), ("value", v)
    updated_at: bool = False
    relation: Relation | None = None
    kind: str = "scalar"  # scalar | enum | object


@dataclass
class Model:
    name: str
    fields: dict[str, Field] = field(default_factory=dict)
    id_fields: list[str] = field(default_factory=list)
    unique_sets: list[list[str]] = field(default_factory=list)  # every unique key, id included

    def scalar_fields(self):
        return [f for f in self.fields.values() if f.kind != "object"]

    def relation_fields(self):
        return [f for f in self.fields.values() if f.kind == "object"]


@dataclass
class Schema:
    path: Path
    models: dict[str, Model]
    enums: dict[str, list[str]]

    def model(self, name: str) -> Model:
        return self.models[name]


def locate_schema() -> Path:
    override = os.environ.get("KEYTURN_PRISMA_SCHEMA")
    if override:
        return Path(override)
    # find_spec on a top-level package locates it without importing it (litellm imports us).
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "prisma stand-in: the litellm package is not importable, so its schema.prisma cannot "
            "be found; set KEYTURN_PRISMA_SCHEMA to a schema.prisma file"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "proxy" / "schema.prisma"
        if candidate.is_file():
            return candidate
    raise RuntimeError("prisma stand-in: no proxy/schema.prisma inside the installed litellm package")


_FIELD_LINE = re.compile(r"^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$")


def _strip_comment(line: str) -> str:
    # '//' never occurs inside a string literal in LiteLLM's schema except in dbgenerated(...)
    # defaults, which carry no '//' either; a naive cut is enough and checked by parse().
    out, in_str = [], False
    i = 0
    while i < len(line):
        c = line[i]
        if c == '"':
            in_str = not in_str
        if not in_str and line.startswith("//", i):
            break
        out.append(c)
        i += 1
    return "".join(out).strip()


def _attributes(rest: str) -> list[tuple[str, str | None]]:
    """Splits '@id @default(uuid()) @map("x")' into [('id', None), ('default', 'uuid()'), ...]."""
    attrs, i = [], 0
    while i < len(rest):
        if rest[i].isspace():
            i += 1
            continue
        if rest[i] != "@":
            raise ValueError(f"unexpected text {rest[i:]!r}")
        m = re.match(r"@([\w.]+)", rest[i:])
        name = m.group(1)
        i += len(m.group(0))
        arg = None
        while i < len(rest) and rest[i] == " " and rest[i:].lstrip().startswith("("):
            i += 1
        if i < len(rest) and rest[i] == "(":
            depth, j, in_str = 0, i, False
            while j < len(rest):
                c = rest[j]
                if c == '"' and rest[j - 1] != "\\":
                    in_str = not in_str
                elif not in_str and c == "(":
                    depth += 1
                elif not in_str and c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            arg = rest[i + 1 : j]
            i = j + 1
        attrs.append((name, arg))
    return attrs


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.strip().strip("[]").split(",") if n.strip()]


def _default(arg: str, f: Field) -> tuple:
    arg = arg.strip()
    for fn in ("uuid", "cuid", "now", "autoincrement"):
        if arg == f"{fn}()":
            return (fn,)
    if arg.startswith("dbgenerated("):
        return ("dbgenerated", arg)
    if arg.startswith("[") and arg.endswith("]"):
        inner = arg[1:-1].strip()
        items = [_default(x, f)[1] for x in re.findall(r'"(?:[^"\\]|\\.)*"|[^,\s]+', inner)] if inner else []
        return ("value", items)
    if arg in ("true", "false"):
        return ("value", arg == "true")
    if arg.startswith('"') and arg.endswith('"'):
        return ("value", arg[1:-1].replace('\\"', '"'))
    if re.fullmatch(r"-?\d+", arg):
        return ("value", int(arg))
    if re.fullmatch(r"-?\d+\.\d*", arg):
        return ("value", float(arg))
    if re.fullmatch(r"\w+", arg):  # an enum member
        return ("value", arg)
    raise ValueError(f"unsupported @default({arg}) on field {f.name}")


def parse(path: Path) -> Schema:
    text = path.read_text(encoding="utf-8")
    models: dict[str, Model] = {}
    enums: dict[str, list[str]] = {}
    block_kind, current, enum_name = None, None, None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line:
            continue
        try:
            if block_kind is None:
                m = re.match(r"^(model|enum|datasource|generator)\s+(\w+)\s*\{$", line)
                if not m:
                    raise ValueError("expected a block start")
                block_kind = m.group(1)
                if block_kind == "model":
                    current = Model(m.group(2))
                    models[current.name] = current
                elif block_kind == "enum":
                    enum_name = m.group(2)
                    enums[enum_name] = []
                continue
            if line == "}":
                block_kind, current, enum_name = None, None, None
                continue
            if block_kind in ("datasource", "generator"):
                continue
            if block_kind == "enum":
                enums[enum_name].append(line.split()[0])
                continue
            if line.startswith("@@"):
                name, arg = _attributes(line[1:])[0]
                if name == "unique":
                    current.unique_sets.append(_names(re.sub(r",?\s*(name|map):.*$", "", arg)))
                elif name == "id":
                    current.id_fields = _names(re.sub(r",?\s*(name|map):.*$", "", arg))
                    current.unique_sets.insert(0, list(current.id_fields))
                elif name in ("index", "map", "schema"):
                    pass
                else:
                    raise ValueError(f"unsupported block attribute @@{name}")
                continue
            m = _FIELD_LINE.match(line)
            if not m:
                raise ValueError("unparsable field line")
            f = Field(m.group(1), m.group(2), optional=bool(m.group(4)), is_list=bool(m.group(3)))
            for name, arg in _attributes(m.group(5)):
                if name == "id":
                    f.is_id = True
                    current.id_fields = [f.name]
                    current.unique_sets.insert(0, [f.name])
                elif name == "unique":
                    f.is_unique = True
                    current.unique_sets.append([f.name])
                elif name == "default":
                    f.default = _default(arg, f)
                elif name == "updatedAt":
                    f.updated_at = True
                elif name == "relation":
                    rel_name = None
                    fm = re.search(r"fields:\s*\[([^\]]*)\]", arg or "")
                    rm = re.search(r"references:\s*\[([^\]]*)\]", arg or "")
                    nm = re.match(r'\s*(?:name:\s*)?"([^"]+)"', arg or "")
                    if nm:
                        rel_name = nm.group(1)
                    f.relation = Relation(
                        rel_name, _names(fm.group(1)) if fm else [], _names(rm.group(1)) if rm else []
                    )
                elif name == "map" or name.startswith("db.") or name == "ignore":
                    pass
                else:
                    raise ValueError(f"unsupported field attribute @{name}")
            current.fields[f.name] = f
        except ValueError as e:
            raise RuntimeError(f"prisma stand-in: cannot parse {path}:{lineno}: {raw.strip()!r}: {e}") from e
    for model in models.values():
        for f in model.fields.values():
            if f.type in SCALARS:
                f.kind = "scalar"
            elif f.type in enums:
                f.kind = "enum"
            elif f.type in models:
                f.kind = "object"
                if f.relation is None:
                    f.relation = Relation(None, [], [])
            else:
                raise RuntimeError(f"prisma stand-in: unknown type {f.type} of {model.name}.{f.name}")
        if not model.id_fields and not model.unique_sets:
            raise RuntimeError(f"prisma stand-in: model {model.name} has neither @id nor @unique")
    return Schema(path, models, enums)


def back_relation(schema: Schema, model: Model, f: Field) -> tuple[Model, Field]:
    """For a relation field without fields:[...], the field on the target model that owns the keys."""
    target = schema.models[f.type]
    candidates = [
        g
        for g in target.relation_fields()
        if g.type == model.name and g.relation.fields and g.relation.name == f.relation.name
    ]
    if len(candidates) != 1:
        raise RuntimeError(
            f"prisma stand-in: cannot pair relation {model.name}.{f.name} with a field of {target.name}"
        )
    return target, candidates[0]


_SCHEMA: Schema | None = None


def schema() -> Schema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = parse(locate_schema())
    return _SCHEMA
