"""Test double (stand-in) for prisma-client-py's `prisma.config`: nothing to configure in memory.

LiteLLM imports this module; the stand-in downloads no engine and reads no config, so it only
names what it is.
"""

STAND_IN = True
