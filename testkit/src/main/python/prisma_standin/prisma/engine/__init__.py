"""Test double (stand-in) for prisma-client-py's `prisma.engine`: there is no query engine process.

The in-memory stand-in answers queries itself, so this package only holds the error types LiteLLM
checks for (`prisma.engine.errors.EngineConnectionError`).
"""

from . import errors

__all__ = ["errors"]
