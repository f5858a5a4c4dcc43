"""Test double (stand-in) for prisma-client-py's `prisma.engine.errors`: engine error types only.

The in-memory stand-in has no engine process, so none of these is ever raised; they exist because
LiteLLM's exception handler tests `isinstance(e, prisma.engine.errors.EngineConnectionError)`.
"""

from ..errors import PrismaError


class EngineError(PrismaError):
    pass


class BinaryNotFoundError(EngineError):
    pass


class MismatchedVersionsError(EngineError):
    pass


class EngineConnectionError(EngineError):
    pass


class EngineRequestError(EngineError):
    pass


class AlreadyConnectedError(EngineError):
    pass


class NotConnectedError(EngineError):
    pass


class UnprocessableEntityError(EngineRequestError):
    pass
