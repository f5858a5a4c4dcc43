"""Test double (stand-in) for prisma-client-py's generated `prisma.actions`.

`<Model>Actions` names resolve to the stand-in's one generic table-actions class
(`prisma._engine.TableActions`), which serves every model of the parsed schema.
"""

from __future__ import annotations

from ._engine import TableActions


def __getattr__(name: str):
    if name.endswith("Actions") and not name.startswith("__"):
        return TableActions
    raise AttributeError(name)
