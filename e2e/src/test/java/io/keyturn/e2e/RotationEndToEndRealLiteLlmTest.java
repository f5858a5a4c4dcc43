package io.keyturn.e2e;

import java.nio.file.Path;
import java.util.List;

/**
 * The end-to-end rotations on LiteLLM's own proxy code (the pinned PyPI release, its database
 * engine stood in by testkit's prisma stand-in): the reference the emulator is held to.
 */
class RotationEndToEndRealLiteLlmTest extends RotationEndToEndBase {
  @Override
  LiteLlmUnderTest startLiteLlm(String masterKey, List<String> models, Path dir) throws Exception {
    return LiteLlmUnderTest.realProxy(masterKey, models, dir.resolve("litellm.log"));
  }

  /** LiteLLM 1.106 answers /key/info of a deleted key 200 from its deleted-keys archive. */
  @Override
  String revokeProof() {
    return "/key/info shows it deleted at \\S+; refused as bearer \\(401\\)";
  }
}
