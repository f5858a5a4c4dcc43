package io.keyturn.gateway.litellm;

import io.keyturn.workflows.crypto.KeyMaterial;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Checks that a LiteLLM gateway and a management key can do everything a rotation needs, and says
 * exactly what is wrong when they cannot: the way Phase validates a LiteLLM credential, then
 * further. Steps:
 *
 * <ol>
 *   <li>{@code /health/readiness} answers and its {@code db} is connected (the field is what
 *       counts: LiteLLM 1.82 answers 200 with the database down, 1.106 answers 503 with the same
 *       body);
 *   <li>{@code /key/info} with no argument says who the management key is;
 *   <li>a probe key is minted for another user ({@code /key/generate}): only a {@code proxy_admin}
 *       may, so this proves the role a rotation needs to replace keys it did not mint; the probe is
 *       blocked and expires in {@value #PROBE_DURATION}, so it is harmless if it cannot be deleted;
 *   <li>the probe is read back ({@code /key/info}) and deleted ({@code /key/delete}); without a
 *       probe, deleting a hash that does not exist still proves the route is allowed.
 * </ol>
 *
 * Nothing here logs or returns a key value: the probe appears by alias and fingerprint.
 */
public final class GatewayCheck {

  /** The management routes a rotation calls, as a scoped key's {@code allowed_routes}. */
  public static final List<String> REQUIRED_ROUTES =
      List.of("/key/generate", "/key/delete", "/key/info", "/health/readiness");

  /**
   * Routes only some commands call, by what needs them: a scoped key without them still rotates
   * virtual keys, so their absence is a warning that names the command it would break.
   */
  public static final Map<String, List<String>> ROUTES_FOR =
      Map.of(
          "keyturn leaked (blocks the leaked key first)",
          List.of("/key/block"),
          "provider-key rotations (dual deployments)",
          List.of("/model/new", "/model/delete", "/model/info"));

  static final String PROBE_DURATION = "10m";
  static final String PROBE_USER = "keyturn-gateway-check";

  /** Outcome of one step. */
  public enum Status {
    OK,
    WARN,
    FAIL,
    SKIPPED
  }

  /** One step of the check. */
  public record Step(String name, Status status, String detail) {}

  /**
   * The whole answer: who the key is, the steps, routes found missing, and one diagnosis with the
   * fix (null when everything passed).
   */
  public record Report(
      String gateway,
      String identity,
      List<Step> steps,
      List<String> missingRoutes,
      boolean proxyAdmin,
      String diagnosis,
      String fix) {
    public boolean ok() {
      return steps.stream().noneMatch(s -> s.status() == Status.FAIL);
    }

    /** A JSON-friendly view. */
    public Map<String, Object> toMap() {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("gateway", gateway);
      o.put("ok", ok());
      o.put("identity", identity);
      o.put("proxyAdmin", proxyAdmin);
      o.put("missingRoutes", missingRoutes);
      List<Map<String, Object>> s = new ArrayList<>();
      for (Step step : steps) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", step.name());
        m.put("status", step.status().name());
        m.put("detail", step.detail());
        s.add(m);
      }
      o.put("steps", s);
      o.put("diagnosis", diagnosis);
      o.put("fix", fix);
      return o;
    }
  }

  private final LiteLlmClient proxy;
  private final SecureRandom random = new SecureRandom();

  public GatewayCheck(LiteLlmClient proxy) {
    this.proxy = proxy;
  }

  /** Runs every step against {@code gateway}; never throws for an answer the proxy gives. */
  public Report run(String gateway) {
    return new Run(gateway, true).go();
  }

  /**
   * The steps that change nothing at the proxy: readiness, who the key is, and the routes its
   * {@code allowed_routes} lack (read from its own row, not probed). Whether a key with a user is a
   * proxy_admin's cannot be told without the probe; {@link #run} proves it.
   */
  public Report runReadOnly(String gateway) {
    return new Run(gateway, false).go();
  }

  /**
   * Only the first step, which needs no key: {@code /health/readiness} answers with its database
   * connected. For a caller without the management key (the CLI before a rotation).
   */
  public Report readiness(String gateway) {
    Run r = new Run(gateway, false);
    r.readiness();
    return new Report(r.gw, r.identity, List.copyOf(r.steps), List.of(), false, r.diagnosis, r.fix);
  }

  /**
   * The routes of {@code required} that {@code allowedRoutes} does not admit, by LiteLLM's rules:
   * exact, a prefix on a '/' boundary, a trailing '*', or a route group (key management routes are
   * in management_routes and key_management_routes; /key/info also in info_routes).
   */
  static List<String> missingRoutes(List<String> allowedRoutes, List<String> required) {
    if (allowedRoutes.isEmpty()) {
      return List.of();
    }
    List<String> missing = new ArrayList<>();
    for (String route : required) {
      if (route.equals("/health/readiness")) {
        continue; // public: no key needed
      }
      boolean ok = false;
      for (String a : allowedRoutes) {
        ok |=
            a.equals(route)
                || route.startsWith(a.endsWith("/") ? a : a + "/")
                || (a.endsWith("*") && route.startsWith(a.substring(0, a.length() - 1)))
                || ((a.equals("management_routes") || a.equals("key_management_routes"))
                    && route.startsWith("/key/"))
                || (a.equals("info_routes") && route.equals("/key/info"));
      }
      if (!ok) {
        missing.add(route);
      }
    }
    return missing;
  }

  private final class Run {
    final String gw;
    final List<Step> steps = new ArrayList<>();
    final List<String> missing = new ArrayList<>();
    String identity = "unknown";
    boolean master;
    boolean notAdmin;
    boolean adminProven;
    String diagnosis;
    String fix;

    final boolean probe;

    Run(String gateway, boolean probe) {
      this.gw = gateway.replaceAll("/+$", "");
      this.probe = probe;
    }

    Report go() {
      if (readiness() && identity() && probe) {
        probe();
      }
      conclude();
      return new Report(
          gw,
          identity,
          List.copyOf(steps),
          List.copyOf(missing),
          !notAdmin && (master || adminProven),
          diagnosis,
          fix);
    }

    void add(String name, Status status, String detail) {
      steps.add(new Step(name, status, detail));
    }

    /** A call that may not get an HTTP answer at all: null then, with the step recorded. */
    <T> Answer<T> call(String step, Supplier<Answer<T>> call) {
      try {
        return call.get();
      } catch (RuntimeException e) {
        add(step, Status.FAIL, "no answer from " + gw + ": " + e.getMessage());
        diagnosis = "LiteLLM at " + gw + " cannot be reached.";
        fix =
            "Check the URL (scheme, host, port) and that the proxy runs and is reachable from here.";
        return null;
      }
    }

    boolean readiness() {
      Answer<ReadinessResponse> r = call("readiness", () -> proxy.readiness(gw));
      if (r == null) {
        return false;
      }
      String db = r.body().db();
      // Only some releases show their version here (1.82 does; 1.106 keeps it for the
      // authenticated /health/readiness/details).
      String version =
          r.body().litellmVersion() == null ? "" : " (LiteLLM " + r.body().litellmVersion() + ")";
      if (db != null && !"connected".equals(db)) {
        add("readiness", Status.FAIL, "HTTP " + r.status() + ", db is \"" + db + "\"" + version);
        diagnosis =
            "LiteLLM at "
                + gw
                + " has no working database (db \""
                + db
                + "\"): it cannot store virtual keys, so nothing can be rotated.";
        fix =
            "Run the proxy with its database (the litellm-database image, DATABASE_URL set) and"
                + " check the database is up; /health/readiness must say db \"connected\".";
        return false;
      }
      if (!r.ok()) {
        String state = r.body().status() == null ? "" : r.body().status();
        add(
            "readiness",
            Status.FAIL,
            "/health/readiness answered " + r.status() + ": " + r.error().message());
        diagnosis =
            "LiteLLM at "
                + gw
                + (state.equals("shutting_down")
                    ? " is shutting down."
                    : " is not ready (HTTP " + r.status() + ").");
        fix = "Look at the proxy's own log; is this the proxy's base URL (no /v1 suffix)?";
        return false;
      }
      if (db == null) {
        add("readiness", Status.FAIL, "healthy, but the answer has no db field" + version);
        diagnosis =
            "LiteLLM at "
                + gw
                + " did not say whether its database is connected: is this a LiteLLM proxy's base"
                + " URL?";
        fix = "Give the proxy's base URL (no /v1 suffix); /health/readiness must say db.";
        return false;
      }
      add("readiness", Status.OK, "healthy, db connected" + version);
      return true;
    }

    boolean identity() {
      Answer<KeyInfoResponse> r = call("management key", () -> proxy.selfInfo(gw));
      if (r == null) {
        return false;
      }
      ProxyError e = r.ok() ? null : r.error();
      if (r.status() == 401) {
        add("management key", Status.FAIL, "refused (401): " + e.message());
        diagnosis = "The proxy refused the management key: it is unknown, expired or blocked.";
        fix =
            "Give the master key, or a key minted under a proxy_admin user with the key management"
                + " routes (`keyturn gateway check --help`), in LITELLM_MASTER_KEY or"
                + " LITELLM_MASTER_KEY_FILE.";
        return false;
      }
      if (r.status() == 404) {
        master = true;
        identity = "the master key";
        add(
            "management key",
            Status.OK,
            "accepted; it has no key row, so it is the master key (full proxy access)");
        return true;
      }
      if (r.ok()) {
        KeyInfo info = r.body().info();
        String name = info.keyName() == null ? "sk-..." : info.keyName();
        String user = info.userId();
        identity = "virtual key " + name + (user == null ? " with no user" : " of user " + user);
        List<String> allowed = info.allowedRoutes();
        add(
            "management key",
            Status.OK,
            "accepted: "
                + identity
                + (allowed.isEmpty() ? ", no route limits" : ", allowed_routes " + allowed));
        new TreeMap<>(ROUTES_FOR)
            .forEach(
                (use, routes) -> {
                  List<String> absent = missingRoutes(allowed, routes);
                  if (!absent.isEmpty()) {
                    add("routes for " + use, Status.WARN, "allowed_routes lack " + absent);
                  }
                });
        if (!probe) {
          List<String> lacking = missingRoutes(allowed, REQUIRED_ROUTES);
          if (!lacking.isEmpty()) {
            missing.addAll(lacking);
            add("routes", Status.FAIL, "allowed_routes lack " + lacking);
          } else {
            add("routes", Status.OK, "allowed_routes admit " + REQUIRED_ROUTES);
          }
          if (user == null) {
            notAdmin = true;
            add("role", Status.FAIL, "a key with no user may not mint or delete keys");
          } else {
            add(
                "role",
                Status.WARN,
                "whether user "
                    + user
                    + " is a proxy_admin is only proven by `keyturn gateway check` (it mints a"
                    + " probe key)");
          }
        }
        return true;
      }
      if (e.mentions("not allowed to call this route")) {
        missing.add("/key/info");
        identity = "a virtual key";
        add("management key", Status.FAIL, "may not call /key/info: " + e.message());
        return true;
      }
      add("management key", Status.FAIL, "/key/info answered " + r.status() + ": " + e.message());
      return true;
    }

    void probe() {
      String alias = "keyturn-gateway-check-" + HexFormat.of().formatHex(randomBytes());
      Map<String, Object> policy = new LinkedHashMap<>();
      policy.put("user_id", PROBE_USER);
      policy.put("blocked", true);
      policy.put("duration", PROBE_DURATION);
      policy.put("models", List.of());
      GenerateKeyRequest body =
          new GenerateKeyRequest(policy, null, alias, Map.of("keyturn_gateway_check", true));
      Answer<GenerateKeyResponse> r = call("mint for another user", () -> proxy.generate(gw, body));
      if (r == null) {
        return;
      }
      String probeHash = null;
      String probeName = null;
      if (r.ok()) {
        probeHash = r.body().tokenId();
        String raw = r.body().key();
        probeName = raw == null ? alias : KeyMaterial.keyName(raw);
        adminProven = true;
        add(
            "mint for another user",
            Status.OK,
            "minted probe "
                + alias
                + " ("
                + probeName
                + ", blocked, expires in 10m) for user "
                + PROBE_USER);
      } else {
        ProxyError e = r.error();
        if (e.mentions("not allowed to call this route")) {
          missing.add("/key/generate");
          add("mint for another user", Status.FAIL, "may not call /key/generate: " + e.message());
        } else if (e.notProxyAdmin()) {
          notAdmin = true;
          add(
              "mint for another user",
              Status.FAIL,
              "not a proxy admin (" + r.status() + "): " + e.message());
        } else {
          add(
              "mint for another user",
              Status.FAIL,
              "/key/generate answered " + r.status() + ": " + e.message());
        }
      }

      if (probeHash != null) {
        String hash = probeHash;
        Answer<KeyInfoResponse> info =
            call("read another user's key", () -> proxy.keyInfo(gw, hash));
        if (info != null) {
          if (info.ok()) {
            add("read another user's key", Status.OK, "/key/info of the probe answered 200");
          } else {
            ProxyError e = info.error();
            if (e.mentions("not allowed to call this route")) {
              if (!missing.contains("/key/info")) {
                missing.add("/key/info");
              }
            } else if (info.status() == 403) {
              notAdmin = true;
            }
            add(
                "read another user's key",
                Status.FAIL,
                "/key/info answered " + info.status() + ": " + e.message());
          }
        }
      }

      String target = probeHash != null ? probeHash : "0".repeat(64);
      Answer<DeleteKeysResponse> d = call("delete", () -> proxy.delete(gw, List.of(target)));
      if (d == null) {
        return;
      }
      ProxyError de = d.ok() ? null : d.error();
      if (d.ok()) {
        add("delete", Status.OK, "deleted the probe " + alias);
      } else if (probeHash == null && d.status() == 404 && de.mentions("No keys found")) {
        // Only the route is proven: LiteLLM looks for the key before it checks whose it is.
        add(
            "delete",
            notAdmin ? Status.WARN : Status.OK,
            "/key/delete is allowed (a key that does not exist answered 404 No keys found)"
                + (notAdmin
                    ? ", but a key that is not a proxy_admin's may delete only its own user's"
                        + " keys: deleting another user's key answers 403"
                    : ""));
      } else {
        if (de.mentions("not allowed to call this route")) {
          missing.add("/key/delete");
        } else if (de.notProxyAdmin()) {
          notAdmin = true;
        }
        add(
            "delete",
            Status.FAIL,
            "/key/delete answered "
                + d.status()
                + ": "
                + de.message()
                + (probeHash != null
                    ? " | the probe " + alias + " is left behind: blocked, it expires in 10m"
                    : ""));
      }
    }

    void conclude() {
      if (diagnosis != null) {
        return;
      }
      String allowed = "[\"" + String.join("\", \"", REQUIRED_ROUTES) + "\"]";
      if (!missing.isEmpty()) {
        diagnosis =
            "The management key's allowed_routes lack "
                + missing
                + ": a rotation calls "
                + REQUIRED_ROUTES
                + ".";
        fix =
            "Re-mint the management key (POST /key/generate with the master key) with"
                + " \"allowed_routes\": "
                + allowed
                + " and \"user_id\" of a proxy_admin user, or use the master key.";
      } else if (notAdmin) {
        diagnosis =
            "The management key is not a proxy_admin's: it may not mint, read or delete keys of"
                + " other users, so it cannot replace the keys applications use.";
        fix =
            "Create a proxy_admin user once (POST /user/new {\"user_id\": \"keyturn-rotator\","
                + " \"user_role\": \"proxy_admin\"} with the master key) and mint the management"
                + " key under it with \"user_id\": \"keyturn-rotator\" and \"allowed_routes\": "
                + allowed
                + ".";
      } else if (steps.stream().anyMatch(s -> s.status() == Status.FAIL)) {
        diagnosis = "A step failed: see its detail.";
        fix = "Fix what the failed step names and run the check again.";
      } else if (master) {
        add(
            "least privilege",
            Status.WARN,
            "the master key can do anything at this proxy; a scoped key is safer");
        fix =
            "Mint a scoped key under a proxy_admin user with \"allowed_routes\": "
                + allowed
                + " and give Keyturn that instead.";
      }
    }
  }

  private byte[] randomBytes() {
    byte[] b = new byte[4];
    random.nextBytes(b);
    return b;
  }
}
