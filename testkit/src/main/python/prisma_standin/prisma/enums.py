"""Test double (stand-in) for prisma-client-py's generated `prisma.enums`: the schema's enums.

Each enum of LiteLLM's schema.prisma becomes a `str` Enum, built from the parsed schema.
"""

from __future__ import annotations

import enum

from ._schema import schema

_ENUMS: dict[str, type] = {}


def __getattr__(name: str):
    values = schema().enums.get(name)
    if values is None:
        raise AttributeError(name)
    if name not in _ENUMS:
        _ENUMS[name] = enum.Enum(name, {v: v for v in values}, type=str)
    return _ENUMS[name]
