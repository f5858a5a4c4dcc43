package io.keyturn.activities.store;

/**
 * What a write or restore left behind: the store type and location, the id of the version that is
 * now current ({@code ""} when none is), the id of the version that was current before ({@code ""}
 * when none was), the fingerprint of the value now current ({@code ""} when none), and whether
 * anything was changed at all. Version ids are the store's own: Vault version numbers, AWS version
 * UUIDs, a fingerprint prefix for files. Holds no secret value.
 */
public record StoreReceipt(
    String storeType,
    String location,
    String version,
    String previousVersion,
    String fingerprint,
    boolean written) {
  public StoreReceipt {
    version = version == null ? "" : version;
    previousVersion = previousVersion == null ? "" : previousVersion;
    fingerprint = fingerprint == null ? "" : fingerprint;
  }
}
