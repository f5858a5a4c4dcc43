"""Test double (stand-in) for prisma-client-py's generated `prisma.types`.

The generated module holds TypedDicts (where inputs, create inputs, includes, ...), which are plain
dicts at run time. The stand-in answers every such name with `dict`, so LiteLLM's imports and
`cast(...)`s work; `DatasourceOverride` and `HttpConfig` are dicts as well.
"""

from __future__ import annotations

from typing import Any

DatasourceOverride = dict
HttpConfig = dict
SortOrder = str


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return dict
