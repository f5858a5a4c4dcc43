package io.keyturn.e2e;

import java.nio.file.Path;
import java.util.List;

/**
 * The multi-destination rotations on LiteLLM's own proxy code (the pinned PyPI release on the
 * prisma stand-in).
 */
class MultiDestinationEndToEndRealLiteLlmTest extends MultiDestinationEndToEndBase {
  @Override
  LiteLlmUnderTest startLiteLlm(String masterKey, List<String> models, Path dir) throws Exception {
    return LiteLlmUnderTest.realProxy(masterKey, models, dir.resolve("litellm.log"));
  }
}
