package io.keyturn.starter.checks;

import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.GatewayCheck;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.starter.config.ConfigProblem;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.starter.config.SecretSpec.Destination;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What plan and apply check beyond the file itself, before anything reaches Temporal: each gateway
 * answers, its database is up, its management key is accepted and its allowed_routes admit what a
 * rotation calls (the read-only {@link GatewayCheck}: no probe key is minted, so plan still changes
 * nothing anywhere); each destination passes its store type's check from here (a Vault or AWS
 * endpoint answers, a file's directory exists, a kubeconfig is readable). Checks run from this
 * machine; {@code --skip-checks} is for one that cannot reach them.
 */
public final class OnlineChecks {
  private final Map<String, String> env;
  private final Duration timeout;

  public OnlineChecks(Map<String, String> env, Duration timeout) {
    this.env = env;
    this.timeout = timeout;
  }

  public List<ConfigProblem> run(List<SecretSpec> specs) {
    List<ConfigProblem> problems = new ArrayList<>();
    Map<String, GatewayCheck.Report> checked = new LinkedHashMap<>();
    try (JsonHttp http = new JsonHttp(timeout)) {
      for (SecretSpec s : specs) {
        gateway(s, http, checked, problems);
        for (int i = 0; i < s.destinations().size(); i++) {
          destination(s, i, problems);
        }
      }
    }
    return problems;
  }

  private void gateway(
      SecretSpec s,
      JsonHttp http,
      Map<String, GatewayCheck.Report> checked,
      List<ConfigProblem> problems) {
    String where = "secret " + s.id() + ": gateway";
    String key;
    try {
      key = s.managementKey().read(env);
    } catch (IllegalArgumentException e) {
      problems.add(
          new ConfigProblem(
              s.file(),
              where + ".managementKey",
              e.getMessage() + ", so the gateway cannot be checked from here.",
              "make it readable here (it is read, never printed), or pass --skip-checks."));
      return;
    }
    String cacheKey = s.gatewayUrl() + " " + s.managementKey().describe();
    GatewayCheck.Report r =
        checked.computeIfAbsent(
            cacheKey,
            k -> new GatewayCheck(new LiteLlmClient(http, () -> key)).runReadOnly(s.gatewayUrl()));
    if (!r.ok()) {
      problems.add(
          new ConfigProblem(
              s.file(),
              where,
              s.gatewayUrl()
                  + " with "
                  + s.managementKey().describe()
                  + ": "
                  + (r.diagnosis() != null ? r.diagnosis() : failedSteps(r)),
              r.fix() != null
                  ? GatewayAdvice.fix(r.fix(), keyPlace(s))
                  : "run `keyturn gateway check` for the details."));
    }
  }

  /** keyturn.yaml's managementKey, as a fix names it. */
  private static String keyPlace(SecretSpec s) {
    SecretSpec.KeySource k = s.managementKey();
    if ("LITELLM_MASTER_KEY".equals(k.env())) {
      return "$LITELLM_MASTER_KEY (or name another place as gateway.managementKey in "
          + s.file().getFileName()
          + ")";
    }
    return k.env() != null
        ? "$" + k.env() + " (" + s.file().getFileName() + ": gateway.managementKey)"
        : k.file() != null
            ? "the file " + k.file() + " (" + s.file().getFileName() + ": gateway.managementKey)"
            : k.describe();
  }

  private static String failedSteps(GatewayCheck.Report r) {
    return String.join(
        "; ",
        r.steps().stream()
            .filter(x -> x.status() == GatewayCheck.Status.FAIL)
            .map(x -> x.name() + ": " + x.detail())
            .toList());
  }

  /** The store type's own check from here ({@link StoreType#checkFromHere}). */
  private void destination(SecretSpec s, int i, List<ConfigProblem> problems) {
    Destination d = s.destinations().get(i);
    String where = "secret " + s.id() + ": destinations[" + i + "]";
    StoreType.Problem p = StoreTypes.checkFromHere(d.toDestination(), env, timeout);
    if (p != null) {
      problems.add(
          new ConfigProblem(
              s.file(),
              p.setting() == null ? where : where + "." + p.setting(),
              p.message(),
              p.fix()));
    }
  }
}
