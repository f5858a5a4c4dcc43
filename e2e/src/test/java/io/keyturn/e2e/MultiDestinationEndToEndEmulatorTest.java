package io.keyturn.e2e;

import java.nio.file.Path;
import java.util.List;

/** The multi-destination rotations on the LiteLLM emulator (a test double). */
class MultiDestinationEndToEndEmulatorTest extends MultiDestinationEndToEndBase {
  @Override
  LiteLlmUnderTest startLiteLlm(String masterKey, List<String> models, Path dir) {
    return LiteLlmUnderTest.emulator(masterKey, models);
  }
}
