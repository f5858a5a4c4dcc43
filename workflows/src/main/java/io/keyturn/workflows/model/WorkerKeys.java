package io.keyturn.workflows.model;

import java.util.List;
import java.util.Objects;

/**
 * What a worker tells a CLI about its keys, none of them secret: the id of its current worker key,
 * the public halves of every worker key it holds ({@code x25519:...}, current first), and the ids
 * of its payload keys (the first encrypts).
 */
public record WorkerKeys(
    String currentKeyId, List<String> publicKeys, String payloadKeyId, List<String> payloadKeyIds) {
  public WorkerKeys {
    Objects.requireNonNull(currentKeyId, "currentKeyId");
    publicKeys = List.copyOf(publicKeys);
    Objects.requireNonNull(payloadKeyId, "payloadKeyId");
    payloadKeyIds = List.copyOf(payloadKeyIds);
  }
}
