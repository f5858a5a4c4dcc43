package io.keyturn.activities.vault;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.gateway.http.JsonHttp.TransportException;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the worker gets the Vault token it sends as {@code X-Vault-Token}: either a token it is given
 * ({@code VAULT_TOKEN} / {@code VAULT_TOKEN_FILE}), or an AppRole login ({@code VAULT_ROLE_ID},
 * {@code VAULT_SECRET_ID}) whose client token is cached until shortly before its lease ends.
 * Neither the token nor the secret id ever appears in a log line or a failure message; logs name
 * the token's accessor.
 */
public abstract sealed class VaultAuth {

  private VaultAuth() {}

  /** A token given to the worker; {@code token} is asked on each use (a file is re-read). */
  public static VaultAuth token(Supplier<String> token) {
    return new GivenToken(token);
  }

  /**
   * No credentials: a worker that publishes to no Vault needs none. Every use fails (non-retryable,
   * {@code WorkerMisconfigured}) naming the variables to set, so a vault-kv2 destination fails its
   * check before anything is minted.
   */
  public static VaultAuth missing() {
    return new Missing();
  }

  /**
   * AppRole: {@code POST <address>/v1/auth/<mount>/login} with the role id and secret id (both
   * asked on each login, so rotated files are picked up). {@code namespace} (may be null) is sent
   * as {@code X-Vault-Namespace} on the login only.
   */
  public static VaultAuth appRole(
      JsonHttp http,
      String address,
      String mount,
      String namespace,
      Supplier<String> roleId,
      Supplier<String> secretId) {
    return new AppRole(http, address, mount, namespace, roleId, secretId, System::nanoTime);
  }

  /** As {@link #appRole}, with a clock in nanoseconds (tests move it past a lease). */
  static VaultAuth appRole(
      JsonHttp http,
      String address,
      String mount,
      String namespace,
      Supplier<String> roleId,
      Supplier<String> secretId,
      LongSupplier nanoClock) {
    return new AppRole(http, address, mount, namespace, roleId, secretId, nanoClock);
  }

  /**
   * The token to send now. For AppRole this logs in when there is no token yet or its lease is
   * nearly over.
   *
   * @throws ApplicationFailure {@code WorkerMisconfigured} or {@code VaultDenied} (not retryable)
   *     when there are no usable credentials, {@code Transient} when Vault cannot be reached
   */
  public abstract String token();

  /**
   * Vault refused {@code rejected} as invalid or expired. Returns true when a fresh {@link
   * #token()} may differ (AppRole drops the cached token), so the caller retries its request once.
   * Without a login there is nothing to refresh (a token file is re-read on each use anyway).
   */
  public boolean refreshAfterDenied(String rejected) {
    return false;
  }

  /** Who needs the policy, for failure messages: the variable or the role that gives the token. */
  public abstract String describe();

  /**
   * The AppRole auth mount path without surrounding slashes ({@code approle} when blank).
   *
   * @throws IllegalArgumentException naming VAULT_APPROLE_MOUNT when it is not a mount path
   */
  public static String checkAppRoleMount(String mount) {
    String m = mount == null ? "" : mount.strip().replaceAll("^/+|/+$", "");
    if (m.isEmpty()) {
      return "approle";
    }
    if (!m.matches("[A-Za-z0-9._/-]+") || m.contains("..")) {
      throw new IllegalArgumentException(
          "VAULT_APPROLE_MOUNT '" + m + "' is not a Vault auth mount path");
    }
    return m;
  }

  private static final class Missing extends VaultAuth {
    @Override
    public String token() {
      throw ApplicationFailure.newNonRetryableFailure(
          "this worker has no Vault credentials: set VAULT_TOKEN or VAULT_TOKEN_FILE, or AppRole's"
              + " VAULT_ROLE_ID and VAULT_SECRET_ID (or their _FILE forms), for the worker and"
              + " restart it",
          RotationFailures.WORKER_MISCONFIGURED);
    }

    @Override
    public String describe() {
      return "The worker (it has no Vault credentials)";
    }
  }

  private static final class GivenToken extends VaultAuth {
    private final Supplier<String> token;

    GivenToken(Supplier<String> token) {
      this.token = Objects.requireNonNull(token, "token");
    }

    @Override
    public String token() {
      String tok = token.get();
      if (tok == null || tok.isBlank()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "the worker has no Vault token: set VAULT_TOKEN or VAULT_TOKEN_FILE (or AppRole's"
                + " VAULT_ROLE_ID and VAULT_SECRET_ID) for the worker and restart it",
            RotationFailures.WORKER_MISCONFIGURED);
      }
      return tok;
    }

    @Override
    public String describe() {
      return "The worker's VAULT_TOKEN";
    }
  }

  private static final class AppRole extends VaultAuth {
    private static final Logger log = LoggerFactory.getLogger(VaultAuth.class);
    private static final Duration MAX_MARGIN = Duration.ofMinutes(1);

    private final JsonHttp http;
    private final String loginUrl;
    private final String mount;
    private final String namespace;
    private final Supplier<String> roleId;
    private final Supplier<String> secretId;
    private final LongSupplier nanoClock;

    private String cached;
    private long refreshAtNanos;
    private boolean expires;

    AppRole(
        JsonHttp http,
        String address,
        String mount,
        String namespace,
        Supplier<String> roleId,
        Supplier<String> secretId,
        LongSupplier nanoClock) {
      this.http = Objects.requireNonNull(http, "http");
      this.mount = checkAppRoleMount(mount);
      this.loginUrl = address.replaceAll("/+$", "") + "/v1/auth/" + this.mount + "/login";
      this.namespace = namespace == null || namespace.isBlank() ? null : namespace.strip();
      this.roleId = Objects.requireNonNull(roleId, "roleId");
      this.secretId = Objects.requireNonNull(secretId, "secretId");
      this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    @Override
    public synchronized String token() {
      if (cached == null || (expires && nanoClock.getAsLong() - refreshAtNanos >= 0)) {
        login();
      }
      return cached;
    }

    @Override
    public synchronized boolean refreshAfterDenied(String rejected) {
      // Another caller may already have logged in again; only drop the token that was refused.
      if (rejected != null && rejected.equals(cached)) {
        cached = null;
      }
      return true;
    }

    @Override
    public String describe() {
      return "The worker's AppRole (VAULT_ROLE_ID at auth/" + mount + ") token";
    }

    private void login() {
      String role = roleId.get();
      String secret = secretId.get();
      if (role == null || role.isBlank() || secret == null || secret.isBlank()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "the worker has no AppRole credentials: set VAULT_ROLE_ID (or VAULT_ROLE_ID_FILE) and"
                + " VAULT_SECRET_ID (or VAULT_SECRET_ID_FILE) for the worker and restart it",
            RotationFailures.WORKER_MISCONFIGURED);
      }
      Map<String, String> headers = new HashMap<>();
      if (namespace != null) {
        headers.put("X-Vault-Namespace", namespace);
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("role_id", role);
      body.put("secret_id", secret);
      Reply r;
      try {
        r = http.send("POST", loginUrl, headers, HttpBodies.write(body));
      } catch (TransportException e) {
        throw ApplicationFailure.newFailure(
            "Vault AppRole login at "
                + loginUrl
                + " got no answer: "
                + e.getMessage()
                + " (retrying)",
            RotationFailures.TRANSIENT);
      }
      if (!r.ok()) {
        throw loginRefused(r);
      }
      JsonNode auth = HttpBodies.tree(r.body()).path("auth");
      String token = auth.path("client_token").asText("");
      if (token.isBlank()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "Vault AppRole login at " + loginUrl + " answered " + r.status() + " without a token",
            RotationFailures.VAULT_DENIED);
      }
      long ttl = auth.path("lease_duration").asLong(0);
      cached = token;
      expires = ttl > 0;
      if (expires) {
        // Log in again a little before the lease ends: a fifth of it, at most a minute.
        Duration lease = Duration.ofSeconds(ttl);
        Duration margin = lease.dividedBy(5);
        if (margin.compareTo(MAX_MARGIN) > 0) {
          margin = MAX_MARGIN;
        }
        refreshAtNanos = nanoClock.getAsLong() + lease.minus(margin).toNanos();
      }
      log.info(
          "approle login ok, ttl {}s (auth/{}, accessor {})",
          ttl,
          mount,
          auth.path("accessor").asText("?"));
    }

    private ApplicationFailure loginRefused(Reply r) {
      // Vault's errors for a login name no credential ("invalid role or secret ID").
      String errors = HttpBodies.tree(r.body()).path("errors").toString();
      String where =
          "Vault refused the AppRole login at auth/"
              + mount
              + " ("
              + r.status()
              + " "
              + errors
              + ")";
      if (r.status() == 429 || r.status() >= 500) {
        return ApplicationFailure.newFailure(where + " (retrying)", RotationFailures.TRANSIENT);
      }
      // Login paths need no token, so "permission denied" there means nothing answers at that path.
      if (r.status() == 404
          || errors.contains("no handler")
          || (r.status() == 403 && errors.contains("permission denied"))) {
        return ApplicationFailure.newNonRetryableFailure(
            where
                + ". Is AppRole enabled at auth/"
                + mount
                + (namespace == null ? "" : " in namespace " + namespace)
                + "? Set VAULT_APPROLE_MOUNT to its path"
                + (namespace == null ? "" : " and VAULT_NAMESPACE to its namespace")
                + ".",
            RotationFailures.WORKER_MISCONFIGURED);
      }
      return ApplicationFailure.newNonRetryableFailure(
          where
              + ". Check the worker's VAULT_ROLE_ID and VAULT_SECRET_ID (or VAULT_SECRET_ID_FILE):"
              + " the secret id may be wrong, expired or used up. Put a new one in"
              + " VAULT_SECRET_ID_FILE (read at each login) or restart the worker with it.",
          RotationFailures.VAULT_DENIED);
    }
  }
}
