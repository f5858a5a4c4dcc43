"""Test double (stand-in) for the generated `prisma` package of prisma-client-py 0.15.

Keyturn's testkit puts this package first on sys.path when it runs LiteLLM's real proxy, because
the real package needs a Rust query engine that it downloads at run time and that nothing here
ships. It is not Prisma: it keeps every table of LiteLLM's bundled schema.prisma in memory, offers
the client surface LiteLLM uses (the `Prisma` client, one actions object per model, tx(),
batch_(), raw queries for the few statements LiteLLM's start-up and auth paths issue) and fails
loudly (StandInUnsupportedError, logged on stderr) on anything else.
"""

from . import errors, fields, models, types
from .client import Batch, Prisma, TransactionManager, get_client, register
from .fields import Base64, Json

STAND_IN = True

__all__ = ["Prisma", "Json", "Base64", "Batch", "TransactionManager", "register", "get_client",
           "errors", "fields", "models", "types", "STAND_IN"]
