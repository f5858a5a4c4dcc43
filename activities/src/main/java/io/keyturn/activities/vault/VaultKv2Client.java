package io.keyturn.activities.vault;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.gateway.http.JsonHttp.TransportException;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * HashiCorp Vault (or OpenBao) KV version 2 over its HTTP API: read a version, write with
 * check-and-set, soft-delete, custom metadata. The token comes from a {@link VaultAuth}: given to
 * the worker, or an AppRole login; a request refused for an invalid or expired AppRole token is
 * sent once more after a fresh login. Errors become Keyturn's named failures with the path and the
 * fix in the message; response bodies that could hold secret data are never put in a message.
 */
public class VaultKv2Client {

  /** One version of a secret: its number and its data (empty when that version is deleted). */
  public record Version(long version, Map<String, Object> data) {}

  /**
   * One KV v2 secret: the engine's {@code mount}, the secret's {@code path} below it, the
   * Enterprise {@code namespace} (null: none, sent as {@code X-Vault-Namespace}) and the data
   * {@code field} holding the key.
   */
  public record Secret(String mount, String path, String namespace, String field) {
    public Secret {
      mount = trimSlashes(mount);
      path = trimSlashes(path);
      namespace = namespace == null || namespace.isBlank() ? null : trimSlashes(namespace);
      for (String part : new String[] {mount, path, namespace == null ? "" : namespace}) {
        if (part.contains("..") || part.contains("?") || part.contains("#")) {
          throw new IllegalArgumentException(
              "vault path parts must not contain '..', '?' or '#': " + part);
        }
      }
      if (mount.isEmpty() || path.isEmpty()) {
        throw new IllegalArgumentException("vault mount and path must not be empty");
      }
    }

    /** A readable location such as {@code secret/litellm/svc-a#key}. */
    public String describe() {
      return (namespace == null ? "" : namespace + "/") + mount + "/" + path + "#" + field;
    }

    private static String trimSlashes(String s) {
      return s == null ? "" : s.trim().replaceAll("^/+", "").replaceAll("/+$", "");
    }
  }

  private final JsonHttp http;
  private final String address;
  private final VaultAuth auth;

  /** With a token given to the worker; {@code token} is asked on each request. */
  public VaultKv2Client(JsonHttp http, String address, Supplier<String> token) {
    this(http, address, VaultAuth.token(token));
  }

  public VaultKv2Client(JsonHttp http, String address, VaultAuth auth) {
    this.http = http;
    this.address = address.replaceAll("/+$", "");
    this.auth = auth;
  }

  public String address() {
    return address;
  }

  /** The current version, or empty when the secret does not exist. */
  public Optional<Version> read(Secret t) {
    return readAt(t, dataUrl(t));
  }

  /** A given version, or empty when it does not exist. */
  public Optional<Version> read(Secret t, long version) {
    return readAt(t, dataUrl(t) + "?version=" + version);
  }

  private Optional<Version> readAt(Secret t, String url) {
    Reply r = send("GET", url, null, t, "read");
    if (r.status() == 404 && r.body().contains("no handler for route")) {
      // Not an absent secret: nothing is mounted there, so no write can succeed either.
      check(r, t, "read");
    }
    if (r.status() == 404) {
      JsonNode meta = HttpBodies.tree(r.body()).path("data").path("metadata");
      if (meta.has("version")) {
        // The latest version exists but is deleted: report its number with no data.
        return Optional.of(new Version(meta.path("version").asLong(), Map.of()));
      }
      return Optional.empty();
    }
    check(r, t, "read");
    JsonNode data = HttpBodies.tree(r.body()).path("data");
    return Optional.of(
        new Version(
            data.path("metadata").path("version").asLong(), HttpBodies.map(data.path("data"))));
  }

  /**
   * Writes a new version with check-and-set: {@code cas} is the version the caller read (0 when the
   * secret must not exist yet). Returns the new version number.
   */
  public long write(Secret t, Map<String, Object> data, long cas) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("options", Map.of("cas", cas));
    body.put("data", data);
    Reply r = send("POST", dataUrl(t), HttpBodies.write(body), t, "write");
    if (r.status() == 400 && r.body().contains("check-and-set")) {
      throw ApplicationFailure.newBuilder()
          .setType(RotationFailures.VAULT_CONFLICT)
          .setNonRetryable(true)
          .setMessage(
              "Vault secret "
                  + t.describe()
                  + " changed while Keyturn was writing it (check-and-set expected version "
                  + cas
                  + "): another writer is active. Find it; Keyturn did not overwrite its value.")
          .build();
    }
    check(r, t, "write");
    return HttpBodies.tree(r.body()).path("data").path("version").asLong();
  }

  /** Soft-deletes the latest version (KV v2 keeps the metadata and older versions). */
  public void deleteLatest(Secret t) {
    Reply r = send("DELETE", dataUrl(t), null, t, "delete");
    if (r.status() != 404) {
      check(r, t, "delete");
    }
  }

  /** Sets custom metadata on the secret (best effort by the caller). */
  public void setCustomMetadata(Secret t, Map<String, String> custom) {
    Reply r =
        send(
            "POST",
            address + "/v1/" + t.mount() + "/metadata/" + t.path(),
            HttpBodies.write(Map.of("custom_metadata", custom)),
            t,
            "set metadata on");
    check(r, t, "set metadata on");
  }

  private String dataUrl(Secret t) {
    return address + "/v1/" + t.mount() + "/data/" + t.path();
  }

  private Reply send(String method, String url, String body, Secret t, String op) {
    String tok = auth.token();
    Reply r = sendWith(tok, method, url, body, t, op);
    if (r.status() == 403 && refusedToken(r) && auth.refreshAfterDenied(tok)) {
      r = sendWith(auth.token(), method, url, body, t, op);
    }
    return r;
  }

  // Vault answers an expired, revoked or unknown token with 403 "permission denied" (newer
  // versions add "invalid token"); a token that lacks a policy gets the same answer.
  private static boolean refusedToken(Reply r) {
    String errors = HttpBodies.tree(r.body()).path("errors").toString();
    return errors.contains("permission denied") || errors.contains("invalid token");
  }

  private Reply sendWith(String tok, String method, String url, String body, Secret t, String op) {
    Map<String, String> headers = new HashMap<>();
    headers.put("X-Vault-Token", tok);
    if (t.namespace() != null) {
      headers.put("X-Vault-Namespace", t.namespace());
    }
    try {
      return http.send(method, url, headers, body);
    } catch (TransportException e) {
      throw ApplicationFailure.newFailure(
          "Vault at "
              + address
              + " is unreachable while trying to "
              + op
              + " "
              + t.describe()
              + ": "
              + e.getMessage()
              + " (retrying)",
          RotationFailures.TRANSIENT);
    }
  }

  private void check(Reply r, Secret t, String op) {
    if (r.ok()) {
      return;
    }
    String errors = HttpBodies.tree(r.body()).path("errors").toString();
    String where =
        "Vault at "
            + address
            + " refused to "
            + op
            + " "
            + t.describe()
            + " ("
            + r.status()
            + " "
            + errors
            + ")";
    if (r.status() == 401 || r.status() == 403) {
      throw ApplicationFailure.newNonRetryableFailure(
          where
              + ". "
              + auth.describe()
              + " needs a policy allowing create, update and read on "
              + t.mount()
              + "/data/"
              + t.path()
              + " (and update on "
              + t.mount()
              + "/metadata/"
              + t.path()
              + ").",
          RotationFailures.VAULT_DENIED);
    }
    if (r.status() == 404 || (r.status() == 400 && errors.contains("no handler"))) {
      throw ApplicationFailure.newNonRetryableFailure(
          where + ". Is there a KV version 2 secrets engine mounted at '" + t.mount() + "'?",
          RotationFailures.VAULT_DENIED);
    }
    if (r.status() == 429 || r.status() >= 500) {
      throw ApplicationFailure.newFailure(where + " (retrying)", RotationFailures.TRANSIENT);
    }
    throw ApplicationFailure.newNonRetryableFailure(where, RotationFailures.VAULT_DENIED);
  }
}
