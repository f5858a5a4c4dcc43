package io.keyturn.starter.commands;

import io.keyturn.workflows.model.ProviderKeyRequest;

/** A provider-key rotation named on the command line: {@code provider-key/<group>} or the group. */
final class ProviderRotationRef {
  private ProviderRotationRef() {}

  static String workflowId(String given) {
    return given.startsWith(ProviderKeyRequest.WORKFLOW_PREFIX)
        ? given
        : ProviderKeyRequest.workflowIdFor(given);
  }
}
