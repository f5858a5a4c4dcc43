"""Test double (stand-in) for prisma-client-py's `prisma.fields`: `Json` and `Base64` wrappers.

Behaviour follows prisma-client-py's documented API: `Json(data)` marks a value for a Json column
(its `data` is stored as is), `Base64.encode(bytes)` / `.decode()` carry a Bytes column's value.
"""

from __future__ import annotations

import base64
from typing import Any


class Json:
    """A value for a Json column: `Json({"a": 1})`, `Json([1, 2])`, `Json("text")`."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def keys(cls, **data: Any) -> "Json":
        return cls(data)

    def __repr__(self) -> str:
        return f"Json({self.data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Json) and other.data == self.data


class Base64:
    """The value of a Bytes column, kept as base64 text."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes | str) -> None:
        self._raw = raw.decode("ascii") if isinstance(raw, bytes) else raw

    @classmethod
    def encode(cls, value: bytes) -> "Base64":
        return cls(base64.b64encode(value))

    def decode(self) -> bytes:
        return base64.b64decode(self._raw)

    def decode_str(self, encoding: str = "utf-8") -> str:
        return self.decode().decode(encoding)

    def __str__(self) -> str:
        return self._raw

    def __repr__(self) -> str:
        return f"Base64({self._raw!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Base64) and other._raw == self._raw
