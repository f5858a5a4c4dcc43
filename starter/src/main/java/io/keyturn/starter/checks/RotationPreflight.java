package io.keyturn.starter.checks;

import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.Answer;
import io.keyturn.gateway.litellm.GatewayCheck;
import io.keyturn.gateway.litellm.KeyInfoResponse;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.gateway.litellm.ProxyError;
import io.keyturn.starter.CliFailure;
import io.keyturn.starter.config.ConfigProblem;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.RotationCheckWorkflow;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationCheck;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@code rotate} and {@code apply} check before they start anything, so that a rotation that
 * starts can finish: from this machine, that the gateway answers and has the key to replace (with
 * the management key this CLI holds, else with the key itself as bearer); on the worker, with its
 * credentials ({@link RotationCheckWorkflow}), that every destination passes the check the
 * rotation's first step makes, and which key a rotation that chains from its store would replace.
 * What cannot be checked from here is said as a note, not a failure. {@code --skip-checks} skips
 * all of it; the worker still checks every destination before minting.
 */
public final class RotationPreflight {
  /** Per call to the gateway. */
  static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);

  static final String SKIP_HINT =
      "Nothing was started. (--skip-checks starts without these checks, for a machine that cannot"
          + " reach the gateway; the worker still checks every destination before minting.)";

  private RotationPreflight() {}

  /**
   * Null when {@code gateway} answers with its database connected; else what is wrong and what to
   * do.
   */
  static String gatewayProblem(JsonHttp http, String gateway) {
    GatewayCheck.Report r =
        new GatewayCheck(new LiteLlmClient(http, () -> null)).readiness(gateway);
    return r.ok()
        ? null
        : r.diagnosis()
            + " "
            + r.fix()
            + " (the gateway comes from --gateway, else $LITELLM_URL; `keyturn gateway check"
            + " --gateway "
            + gateway
            + "` tells more)";
  }

  /** The start of a note that whether the gateway has {@code key} could not be told from here. */
  private static String notChecked(KeyRef key, String gateway) {
    return "whether " + key.fingerprint() + " exists at " + gateway + " was not checked";
  }

  /**
   * Null when the gateway has {@code key}, or when that cannot be told from here (then a note says
   * so); else why the rotation could not replace it. With {@code management}, asks {@code
   * /key/info} as the rotation's first gateway step does (same answer, same words); without it, or
   * when that key is refused, asks with {@code raw} (the key's own value, when this CLI holds it)
   * as bearer.
   */
  static String keyProblem(
      JsonHttp http,
      String gateway,
      KeyRef key,
      String raw,
      ManagementKey management,
      List<String> notes) {
    if (management != null) {
      try {
        new LiteLlmClient(http, management::value).policyOf(gateway, key);
        return null;
      } catch (ApplicationFailure e) {
        if (RotationFailures.OLD_KEY_NOT_FOUND.equals(e.getType())
            || RotationFailures.OPERATOR_MANAGED.equals(e.getType())) {
          return e.getOriginalMessage();
        }
        if (raw == null) {
          notes.add(
              notChecked(key, gateway)
                  + ": with the management key from "
                  + management.place()
                  + ", "
                  + e.getOriginalMessage());
          return null;
        }
      }
    }
    if (raw == null) {
      notes.add(
          notChecked(key, gateway)
              + ": this CLI has no management key ($"
              + ManagementKey.FILE_ENV
              + " or $"
              + ManagementKey.ENV
              + ") and was given only the key's hash. The worker checks it first thing.");
      return null;
    }
    Answer<KeyInfoResponse> r;
    try {
      r = new LiteLlmClient(http, () -> raw).selfInfo(gateway);
    } catch (RuntimeException e) {
      notes.add(notChecked(key, gateway));
      return null;
    }
    if (r.ok()) {
      return null;
    }
    ProxyError e = r.error();
    if (r.status() == 401 && !e.expiredKey() && !e.mentions("expired") && !e.mentions("blocked")) {
      return "LiteLLM at "
          + gateway
          + " refuses the key to replace, "
          + key.fingerprint()
          + " (401 when it asks about itself): it does not exist there. Check the key you gave"
          + " and --gateway; a key that was already revoked has nothing to rotate.";
    }
    notes.add(
        notChecked(key, gateway)
            + ": asked about itself, it answered "
            + r.status()
            + " ("
            + e.message()
            + ")");
    return null;
  }

  /**
   * Asks the worker to check {@code request}'s destinations (and read the key a chaining rotation
   * would replace). Throws {@link CliFailure} when no answer comes in time.
   */
  static RotationCheck askWorker(WorkflowClient client, RotationRequest request) {
    Duration within = Duration.ofSeconds(20L * (request.destinations().size() + 1) + 10);
    RotationCheckWorkflow wf =
        client.newWorkflowStub(
            RotationCheckWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(RotationCheckWorkflow.WORKFLOW_ID_PREFIX + UUID.randomUUID())
                .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                .setWorkflowExecutionTimeout(within.plus(Duration.ofSeconds(30)))
                .build());
    WorkflowClient.start(wf::check, request);
    WorkflowStub stub = WorkflowStub.fromTyped(wf);
    try {
      return stub.getResult(within.toMillis(), TimeUnit.MILLISECONDS, RotationCheck.class);
    } catch (TimeoutException e) {
      try {
        stub.terminate("no answer within " + within.toSeconds() + " s");
      } catch (RuntimeException ignored) {
        // It times out by itself.
      }
      throw CliFailure.failed(
          "the worker did not finish checking the destinations of "
              + request.secretId()
              + " within "
              + within.toSeconds()
              + " s (task queue "
              + KeyRotationWorkflow.TASK_QUEUE
              + "; is it busy, or is a store slow to answer?). "
              + SKIP_HINT);
    }
  }

  /**
   * {@code rotate}'s checks, before it starts anything: from this machine, that the gateway
   * answers; on the worker, that every destination passes the rotation's first step; then that the
   * gateway has the key the rotation would replace (the one given, or for {@code
   * --key-from-destination} the one the primary destination holds). {@code raw} is the given key's
   * value, null when only its hash was given. Notes go to {@code err}.
   */
  public static void rotate(
      WorkflowClient client,
      RotationRequest request,
      String raw,
      Map<String, String> env,
      PrintWriter err) {
    List<String> notes = new ArrayList<>();
    try (JsonHttp http = new JsonHttp(HTTP_TIMEOUT)) {
      String problem = gatewayProblem(http, request.gatewayUrl());
      if (problem != null) {
        throw refused(request.secretId(), List.of(problem));
      }
      RotationCheck c = askWorker(client, request);
      if (!c.problems().isEmpty()) {
        throw refused(request.secretId(), c.problems());
      }
      KeyRef key = request.chainFromStore() && c.heldKey() != null ? c.heldKey() : request.oldKey();
      if (key == null) {
        throw refused(
            request.secretId(),
            List.of(
                request.destinations().get(0).describe()
                    + " holds no key, so there is nothing to replace: give the key applications"
                    + " use today with --key-file, --key-stdin or --key-hash"));
      }
      ManagementKey management;
      try {
        management = ManagementKey.fromEnvironment(env);
      } catch (IllegalStateException e) {
        notes.add("the management key was not used: " + e.getMessage());
        management = null;
      }
      problem =
          keyProblem(
              http,
              request.gatewayUrl(),
              key,
              key.equals(request.oldKey()) ? raw : null,
              management,
              notes);
      if (problem != null) {
        throw refused(request.secretId(), List.of(problem));
      }
    } finally {
      notes.forEach(n -> err.println("note: " + n));
    }
  }

  /**
   * {@code apply}'s checks of the schedules it would create or update, before it changes anything:
   * each one's first rotation could start. The worker checks the destinations and reads which key
   * the primary destination holds; the gateway must have that key, or, when the destination holds
   * none, the declared currentKey (asked with the secret's management key). Notes go to {@code
   * err}.
   */
  public static List<ConfigProblem> forSchedules(
      WorkflowClient client,
      List<SecretSpec> specs,
      Map<String, RotationRequest> requests,
      Map<String, String> env,
      PrintWriter err) {
    List<ConfigProblem> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    try (JsonHttp http = new JsonHttp(HTTP_TIMEOUT)) {
      for (SecretSpec s : specs) {
        RotationRequest req = requests.get(s.id());
        if (req != null) {
          schedule(client, http, s, req, env, problems, notes);
        }
      }
    }
    notes.forEach(n -> err.println("note: " + n));
    return problems;
  }

  private static void schedule(
      WorkflowClient client,
      JsonHttp http,
      SecretSpec s,
      RotationRequest req,
      Map<String, String> env,
      List<ConfigProblem> problems,
      List<String> notes) {
    String where = "secret " + s.id();
    RotationCheck c = askWorker(client, req);
    for (String p : c.problems()) {
      problems.add(
          new ConfigProblem(
              s.file(),
              where + ": destinations",
              "the worker's check failed: " + sentence(p),
              "fix what it names (the worker's credentials and access count), or pass"
                  + " --skip-checks."));
    }
    if (!c.problems().isEmpty()) {
      return;
    }
    String primary = req.destinations().get(0).describe();
    if (c.heldKey() == null && req.oldKey() == null) {
      problems.add(
          new ConfigProblem(
              s.file(),
              where + ".currentKey",
              "nothing to rotate: "
                  + primary
                  + " holds no key and no currentKey is declared, so the first rotation would"
                  + " fail.",
              "declare the key applications use today as currentKey ({file: ...}, {env: ...} or"
                  + " {keyHash: ...}), or publish it at "
                  + primary
                  + "."));
      return;
    }
    ManagementKey management;
    try {
      management = new ManagementKey(s.managementKey().read(env), s.managementKey().describe());
    } catch (IllegalArgumentException e) {
      notes.add(where + ": whether the gateway has its key was not checked: " + e.getMessage());
      return;
    }
    KeyRef key = c.heldKey() != null ? c.heldKey() : req.oldKey();
    String problem = keyProblem(http, s.gatewayUrl(), key, null, management, notes);
    if (problem == null) {
      return;
    }
    problems.add(
        c.heldKey() != null
            ? new ConfigProblem(
                s.file(),
                where + ".destinations[0]",
                primary
                    + " holds "
                    + key.fingerprint()
                    + " ("
                    + c.heldAt()
                    + "), which the first rotation would replace: "
                    + problem,
                "publish the key applications use today at "
                    + primary
                    + ", or pass --skip-checks. Nothing was changed.")
            : new ConfigProblem(
                s.file(),
                where + ".currentKey",
                problem
                    + " ("
                    + primary
                    + " holds no key, so the first rotation replaces this one)",
                "declare the key applications use today as currentKey, or pass --skip-checks."
                    + " Nothing was changed."));
  }

  /** The failure of a rotate whose checks found {@code problems}. */
  static CliFailure refused(String secretId, List<String> problems) {
    return new CliFailure(
        CliFailure.USAGE,
        "the rotation of "
            + secretId
            + " could not succeed: "
            + String.join(" | ", problems.stream().map(RotationPreflight::sentence).toList())
            + " "
            + SKIP_HINT);
  }

  private static String sentence(String s) {
    String t = s.strip();
    return t.matches("(?s).*[.?!)]") ? t : t + ".";
  }
}
