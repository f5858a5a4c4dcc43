"""Test double (stand-in) for prisma-client-py's generated `prisma.models`.

One pydantic class per model of LiteLLM's schema.prisma, built at first use from the parsed schema
(`from prisma.models import LiteLLM_VerificationToken` works for every model). Every field is
optional and untyped (`Any`): rows come from the in-memory stand-in, which already stores values
in the types prisma-client-py returns (datetime, int, float, bool, list, dict for Json).
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, create_model

from ._schema import schema

_CLASSES: dict[str, type[BaseModel]] = {}


class StandInModel(BaseModel):
    """Base of every stand-in model class."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, populate_by_name=True)

    @classmethod
    def prisma(cls, client: Any = None):
        from .client import get_client

        return getattr(client or get_client(), cls.__name__.lower())


def model_class(name: str) -> type[BaseModel]:
    cls = _CLASSES.get(name)
    if cls is None:
        model = schema().models[name]
        fields = {f: (Optional[Any], None) for f in model.fields}
        cls = create_model(name, __base__=StandInModel, __module__=__name__, **fields)
        _CLASSES[name] = cls
    return cls


def __getattr__(name: str):
    if name in schema().models:
        return model_class(name)
    raise AttributeError(f"module 'prisma.models' (stand-in) has no model {name!r}")


def __dir__():
    return sorted(schema().models)
