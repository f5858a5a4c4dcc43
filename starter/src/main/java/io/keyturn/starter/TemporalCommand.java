package io.keyturn.starter;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyturn.starter.checks.WorkerKeysCheck;
import io.keyturn.starter.output.ProgressLine;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationView;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.starter.output.TerminalWidth;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.common.converter.DataConverter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A command that talks to Temporal: checks its input, opens a session, runs, closes the session,
 * and turns Temporal's failures into messages that name the address and the next step.
 */
public abstract class TemporalCommand implements Callable<Integer> {
  static final String NO_SERVER_HINT = "is the server running? (scripts/demo.sh starts one)";

  @ParentCommand protected KeyturnCli cli;

  @Mixin protected GlobalOptions global;

  @Spec protected CommandSpec spec;

  protected TemporalConnection connection;

  /** Checks and prepares the input before anything is sent; throws usage errors. */
  protected void prepare() {}

  /** The work, given a connected client. Returns the exit code. */
  protected abstract int run(WorkflowClient client);

  /**
   * True for commands that start rotations (or schedule them): they first ask the worker for its
   * keys and refuse to start when this CLI's keys are not the worker's ({@link WorkerKeysCheck}).
   */
  protected boolean startsRotations() {
    return false;
  }

  /**
   * Refuses (throws) unless a worker answers holding this CLI's keys; see {@link WorkerKeysCheck}.
   */
  protected void checkWorkerKeys(WorkflowClient client) {
    try {
      WorkerKeysCheck.require(
          client,
          connection.address(),
          WorkerPublicKey.configured(cli.env()) ? WorkerPublicKey.fromEnvironment(cli.env()) : null,
          PayloadKeys.fromEnvironment(cli.env()),
          max(waitForTemporal(), WorkerKeysCheck.ANSWER_WITHIN),
          cli.err());
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** The workflow this command is about, when it is about one: named in "not found" messages. */
  protected abstract String workflowId();

  @Override
  public final Integer call() {
    try {
      connection = global.connection(cli.env());
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    DataConverter dataConverter = dataConverter();
    prepare();
    TemporalClients.Session session = open(dataConverter);
    try (session) {
      if (startsRotations()) {
        checkWorkerKeys(session.client());
      }
      return run(session.client());
    } catch (CliFailure | ParameterException e) {
      throw e;
    } catch (RuntimeException e) {
      throw translate(e);
    }
  }

  /** How long to keep trying a Temporal that does not answer: busy, restarting or down. */
  public static final String WAIT_ENV = "KEYTURN_TEMPORAL_WAIT";

  static final java.time.Duration DEFAULT_WAIT = java.time.Duration.ofSeconds(60);

  /**
   * Opens a session, trying again while Temporal does not answer (a busy server answers late, a
   * restarting one not at all) for up to $KEYTURN_TEMPORAL_WAIT (default 60 s; 0 tries once), with
   * a line on stderr so a person sees why nothing happens yet. Nothing is sent before a session
   * opens, so trying again is safe.
   */
  private TemporalClients.Session open(DataConverter dataConverter) {
    java.time.Duration wait = waitForTemporal();
    java.time.Instant deadline = cli.clock().instant().plus(wait);
    boolean told = false;
    long pauseMillis = 500;
    while (true) {
      try {
        return cli.clients().open(connection, dataConverter);
      } catch (RuntimeException e) {
        StatusRuntimeException grpc = grpcCause(e);
        boolean unanswered =
            grpc != null
                && (grpc.getStatus().getCode() == Status.Code.UNAVAILABLE
                    || grpc.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
                    || grpc.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED);
        if (!unanswered
            || !cli.clock()
                .instant()
                .plus(java.time.Duration.ofMillis(pauseMillis))
                .isBefore(deadline)) {
          throw translate(e);
        }
        if (!told) {
          cli.err()
              .println(
                  "keyturn: Temporal at "
                      + connection.address()
                      + " is not answering ("
                      + grpc.getStatus().getCode()
                      + "); trying again for up to "
                      + wait.toSeconds()
                      + " s ("
                      + WAIT_ENV
                      + ")...");
          cli.err().flush();
          told = true;
        }
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw translate(e);
        }
        pauseMillis = Math.min(pauseMillis * 2, 4000);
      }
    }
  }

  private static java.time.Duration max(java.time.Duration a, java.time.Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private java.time.Duration waitForTemporal() {
    String v = cli.env().get(WAIT_ENV);
    if (v == null || v.isBlank()) {
      return DEFAULT_WAIT;
    }
    try {
      return java.time.Duration.ofSeconds(
          Math.max(0, Long.parseLong(v.trim().replaceAll("s$", ""))));
    } catch (NumberFormatException e) {
      throw usage(WAIT_ENV + "='" + v + "' is not a number of seconds, e.g. 60 (0 tries once)");
    }
  }

  /**
   * The worker encrypts every payload it writes to history with the payload key, and expects what
   * it reads to be encrypted the same way: without it this command could neither start a rotation
   * the worker reads nor read a status or result. So it is required, and missing or broken it is a
   * usage error before anything is sent. It opens history payloads only: sealed values and minted
   * keys need the worker's keyring, which the CLI never holds.
   */
  private DataConverter dataConverter() {
    try {
      return KeyturnPayloadCodec.dataConverter(PayloadKeys.fromEnvironment(cli.env()));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(
          CliFailure.USAGE,
          "keyturn needs the payload key it shares with the worker: Temporal stores rotation"
              + " payloads encrypted with it. "
              + e.getMessage());
    }
  }

  /** Progress on stderr for --wait, or null when the output is JSON. */
  protected ProgressLine progress(String workflowId) {
    if (global.json()) {
      return null;
    }
    int columns = TerminalWidth.of(cli.env(), cli.io().tty(), TerminalWidth::sttySize);
    return new ProgressLine(cli.err(), cli.io().tty(), cli.clock(), workflowId, columns);
  }

  /**
   * The help of --wait for the commands that start a rotation: {@link #awaitAndReport} follows it.
   */
  protected static final String WAIT_HELP =
      "Follow the rotation until it closes, then print the outcome. Exit 0 only if it completed."
          + " Ctrl-C stops the watching, not the rotation.";

  /**
   * Waits for a rotation to close and prints its outcome, with {@code extra} added to the JSON.
   * Returns 0 when it completed, 1 otherwise.
   */
  protected int awaitAndReport(
      WorkflowClient client, String workflowId, Map<String, Object> extra) {
    RotationView v =
        new RotationWatcher(client, cli.timing()).await(workflowId, progress(workflowId));
    String ui = uiLink(workflowId);
    if (global.json()) {
      Map<String, Object> o = Report.json(v, ui);
      o.putAll(extra);
      Report.printJson(cli.out(), o);
    } else {
      Report.printOutcome(cli.out(), v, ui);
    }
    return v.completed() ? 0 : CliFailure.FAILED;
  }

  protected ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  protected String uiLink(String workflowId) {
    return global.uiLink(cli.env(), connection.address(), connection.namespace(), workflowId);
  }

  protected String notFound(String workflowId) {
    return "no rotation with id '"
        + workflowId
        + "' in namespace '"
        + connection.namespace()
        + "' at "
        + connection.address()
        + ": check the id (rotation/<secret-id>, as `keyturn rotate` printed it) and"
        + " --namespace";
  }

  /** Says what a Temporal failure means for the operator. */
  protected CliFailure translate(RuntimeException e) {
    if (e instanceof CliFailure f) {
      return f;
    }
    KeyturnPayloadCodec.WrongPayloadKeyException wrongKey = wrongPayloadKey(e);
    if (wrongKey != null) {
      return new CliFailure(CliFailure.USAGE, wrongKey.getMessage());
    }
    StatusRuntimeException grpc = grpcCause(e);
    String where = connection.address();
    // A missing namespace also surfaces as WorkflowNotFoundException: look at the cause first.
    if (e instanceof WorkflowNotFoundException
        && workflowId() != null
        && (grpc == null || !mentionsNamespace(grpc))) {
      return CliFailure.failed(notFound(workflowId()));
    }
    if (grpc == null) {
      return CliFailure.failed(
          "Temporal call to "
              + where
              + " failed: "
              + e.getMessage()
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
    Status.Code code = grpc.getStatus().getCode();
    String detail =
        grpc.getStatus().getDescription() == null ? code.name() : grpc.getStatus().getDescription();
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED ->
          CliFailure.failed(
              "cannot reach Temporal at "
                  + where
                  + ": "
                  + NO_SERVER_HINT
                  + " ["
                  + (grpc.getCause() != null && grpc.getCause().getMessage() != null
                      ? grpc.getCause().getMessage()
                      : detail)
                  + "]");
      case NOT_FOUND ->
          mentionsNamespace(grpc)
              ? CliFailure.failed(
                  "namespace '"
                      + connection.namespace()
                      + "' does not exist at "
                      + where
                      + ": pass --namespace or set TEMPORAL_NAMESPACE ["
                      + detail
                      + "]")
              : CliFailure.failed(workflowId() == null ? detail : notFound(workflowId()));
      case UNAUTHENTICATED, PERMISSION_DENIED ->
          CliFailure.failed(
              "Temporal at "
                  + where
                  + " refused this client ("
                  + code
                  + "): check TEMPORAL_API_KEY or the TLS client certificate"
                  + " (TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH) and the namespace ["
                  + detail
                  + "]");
      default -> CliFailure.failed("Temporal at " + where + " answered " + code + ": " + detail);
    };
  }

  /** The frontend's "Namespace x is not found.", as opposed to a workflow that is not found. */
  private static final Pattern NAMESPACE_NOT_FOUND =
      Pattern.compile("(?i)\\bnamespace\\s+\\S+\\s+is\\s+not\\s+found");

  private static boolean mentionsNamespace(StatusRuntimeException e) {
    String d = e.getStatus().getDescription();
    return d != null && NAMESPACE_NOT_FOUND.matcher(d).find();
  }

  /** A payload encrypted with a payload key this CLI does not hold, wherever the SDK wrapped it. */
  public static KeyturnPayloadCodec.WrongPayloadKeyException wrongPayloadKey(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KeyturnPayloadCodec.WrongPayloadKeyException w) {
        return w;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  public static StatusRuntimeException grpcCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StatusRuntimeException s) {
        return s;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }
}
