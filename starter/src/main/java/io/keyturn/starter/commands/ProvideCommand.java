package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.ProviderKeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.SecretFiles;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.keyturn.workflows.model.SealedSecret;
import io.keyturn.workflows.provider.KeyShape;
import io.temporal.client.WorkflowClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn provide}: hands a waiting provider-key rotation its new key, sealed. */
@Command(
    name = "provide",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Hands the new provider key to a provider-key rotation waiting for one (provider: manual)."
          + " The key is sealed here to the worker's public key (KEYTURN_WORKER_PUBLIC_KEY_FILE),"
          + " as old keys are: only the worker can open it, and no value enters Temporal history,"
          + " this terminal's output or the shell history.",
      "",
      "Create the key in the provider's console first. The rotation checks it at the provider"
          + " before the proxy changes."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn provide provider-key/gpt-4o-mini --key-file new.key",
      "  pass show openai/new | keyturn provide gpt-4o-mini --key-stdin",
      "",
      "Exit codes: 0 handed over; 1 the rotation is not waiting for a key (or not running),"
          + " nothing sent; 2 usage (no key, empty file), nothing sent."
    })
public final class ProvideCommand extends TemporalCommand {
  private static final int MAX_BYTES = 8192;

  @Parameters(
      index = "0",
      paramLabel = "ROTATION",
      description = "provider-key/<model group>, or just the model group.")
  String given;

  @ArgGroup(multiplicity = "1")
  Source source;

  static final class Source {
    @Option(
        names = "--key-file",
        paramLabel = "PATH",
        description = "Read the key from a file that holds only the key (mode 600).")
    Path file;

    @Option(names = "--key-stdin", description = "Read the key from stdin.")
    boolean stdin;
  }

  private SealedSecret sealed;
  private String fingerprint;

  @Override
  protected boolean startsRotations() {
    return true; // it seals to the worker: the pinned public key must be the worker's
  }

  @Override
  protected String workflowId() {
    return ProviderRotationRef.workflowId(given);
  }

  @Override
  protected void prepare() {
    String value;
    if (source.file != null) {
      try {
        value = SecretFiles.read(source.file, "--key-file");
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    } else {
      value = readStdin(cli.io().in());
    }
    value = value.strip();
    if (value.isEmpty() || value.chars().anyMatch(Character::isWhitespace)) {
      throw usage(
          "the key read from "
              + (source.file != null ? source.file : "stdin")
              + " is empty or holds whitespace inside: give the key alone (the value is not"
              + " shown here)");
    }
    fingerprint = new KeyRef(KeyMaterial.tokenHash(value), shown(value)).fingerprint();
    try {
      sealed = WorkerPublicKey.fromEnvironment(cli.env()).seal(value);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private String readStdin(InputStream in) {
    try {
      byte[] b = in.readNBytes(MAX_BYTES + 1);
      if (b.length > MAX_BYTES) {
        throw usage("stdin holds more than " + MAX_BYTES + " bytes: send only the key");
      }
      return new String(b, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw usage("cannot read the key from stdin: " + e.getClass().getSimpleName());
    }
  }

  @Override
  protected int run(WorkflowClient client) {
    String id = workflowId();
    ProviderKeyRotationWorkflow wf = client.newWorkflowStub(ProviderKeyRotationWorkflow.class, id);
    ProviderKeyStatus s = wf.status();
    if (!s.awaitingKey()) {
      throw CliFailure.failed(
          id
              + " is not waiting for a key (it is "
              + s.phase()
              + ": "
              + s.detail()
              + "); nothing sent.");
    }
    wf.provide(sealed, "keyturn provide by " + cli.user());
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", id);
      o.put("signal", "provide");
      o.put("key", fingerprint);
      Report.printJson(cli.out(), o);
    } else {
      cli.out()
          .println(
              "Handed key "
                  + fingerprint
                  + " (sealed to the worker) to "
                  + id
                  + ": it is checked at the provider, then through the proxy. Follow it:"
                  + " keyturn provider-status "
                  + id);
    }
    return 0;
  }

  /**
   * How the key is shown here: an AWS pair (JSON, {@code manual} with {@code keyShape:
   * aws-access-key}) by its access key id, since its value ends in its secret; else as any key.
   */
  private static String shown(String value) {
    try {
      return KeyShape.AWS_ACCESS_KEY.displayName(value);
    } catch (IllegalArgumentException notAPair) {
      return KeyMaterial.keyName(value);
    }
  }
}
