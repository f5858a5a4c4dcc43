package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.KeyturnCli;
import io.keyturn.workflows.crypto.SecretFiles;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code keyturn keyring}: makes and rotates the worker's keyring file. It runs where the worker's
 * configuration is written (the worker's host, or whoever provisions it), reads and writes only
 * that file, and prints only the public part: CLI users pin that, never the file.
 */
@Command(
    name = "keyring",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    subcommands = {
      KeyringCommand.New.class,
      KeyringCommand.Rotate.class,
      KeyringCommand.Public.class,
      KeyringCommand.Retire.class,
      HelpCommand.class
    },
    description = {
      "Makes and rotates the worker's keyring (KEYTURN_WORKER_KEYRING_FILE): the keys that derive"
          + " every minted key and open what the CLI seals. Only the worker reads it; each command"
          + " prints the current public key, which CLI users set as KEYTURN_WORKER_PUBLIC_KEY.",
      "See docs/security.md."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn keyring new --out /etc/keyturn/worker-keyring.json > worker.pub",
      "  keyturn keyring rotate --file /etc/keyturn/worker-keyring.json > worker.pub",
      "  keyturn keyring retire --file /etc/keyturn/worker-keyring.json 3f9a0c1d2e4b5a69"
    })
public final class KeyringCommand implements Runnable {
  @ParentCommand KeyturnCli cli;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "missing command: new, rotate, public or retire");
  }

  abstract static class Sub implements Callable<Integer> {
    @ParentCommand KeyringCommand parent;

    @Spec CommandSpec spec;

    WorkerKeyring read(Path file) {
      String json;
      try {
        json = SecretFiles.read(file, "--file");
      } catch (IllegalArgumentException e) {
        throw new CliFailure(CliFailure.USAGE, e.getMessage());
      }
      try {
        return WorkerKeyring.parse(json);
      } catch (IllegalArgumentException e) {
        throw new CliFailure(CliFailure.USAGE, file + ": " + e.getMessage());
      }
    }

    /** Writes owner-only, through a temporary file, so a crash never leaves half a keyring. */
    void write(Path file, WorkerKeyring ring, boolean create) {
      try {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (create && Files.exists(file)) {
          throw new FileAlreadyExistsException(file.toString());
        }
        Path tmp = Files.createTempFile(dir, ".keyring", ".tmp");
        try {
          try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
          } catch (UnsupportedOperationException ignored) {
            // Not a POSIX file system: its own ACLs apply.
          }
          Files.writeString(tmp, ring.toJson(), StandardCharsets.UTF_8);
          Files.move(
              tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(tmp);
        }
      } catch (FileAlreadyExistsException e) {
        throw new CliFailure(
            CliFailure.USAGE,
            file + " already exists: rotate it with `keyturn keyring rotate --file " + file + "`");
      } catch (IOException e) {
        throw new CliFailure(CliFailure.FAILED, "cannot write " + file + ": " + e);
      }
    }

    /** The public key on stdout (for a pin file); what happened on stderr. */
    int printPublic(WorkerKeyring ring, String what) {
      WorkerPublicKey pub = ring.currentPublicKey();
      parent.cli.out().println("# Keyturn worker public key " + pub.id());
      parent.cli.out().println(pub.text());
      parent.cli.out().flush();
      parent
          .cli
          .err()
          .println(
              what
                  + " Current worker key "
                  + ring.currentKeyId()
                  + "; held "
                  + ring.keyIds()
                  + ".");
      return 0;
    }
  }

  /** {@code keyturn keyring new}. */
  @Command(
      name = "new",
      mixinStandardHelpOptions = true,
      description =
          "Writes a new keyring of one key (refuses to overwrite) and prints its public key.")
  static final class New extends Sub {
    @Option(
        names = "--out",
        required = true,
        paramLabel = "FILE",
        description = "Where to write it.")
    Path out;

    @Override
    public Integer call() {
      WorkerKeyring ring = WorkerKeyring.generate();
      write(out, ring, true);
      return printPublic(
          ring,
          "Wrote " + out + " (owner-only): give it to the worker as KEYTURN_WORKER_KEYRING_FILE.");
    }
  }

  /** {@code keyturn keyring rotate}. */
  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description = {
        "Adds a new current key to the keyring; older keys stay so running rotations keep"
            + " working. Restart the worker, then give CLI users the new public key.",
      })
  static final class Rotate extends Sub {
    @Option(names = "--file", required = true, paramLabel = "FILE", description = "The keyring.")
    Path file;

    @Override
    public Integer call() {
      WorkerKeyring ring = read(file).rotate();
      write(file, ring, false);
      return printPublic(
          ring,
          "Rotated "
              + file
              + ": restart the worker, then update KEYTURN_WORKER_PUBLIC_KEY for CLI users.");
    }
  }

  /** {@code keyturn keyring public}. */
  @Command(
      name = "public",
      mixinStandardHelpOptions = true,
      description = "Prints the keyring's current public key, for KEYTURN_WORKER_PUBLIC_KEY.")
  static final class Public extends Sub {
    @Option(names = "--file", required = true, paramLabel = "FILE", description = "The keyring.")
    Path file;

    @Override
    public Integer call() {
      return printPublic(read(file), "Read " + file + ".");
    }
  }

  /** {@code keyturn keyring retire}. */
  @Command(
      name = "retire",
      mixinStandardHelpOptions = true,
      description = {
        "Removes an older key. Only once nothing needs it: no open rotation started before the"
            + " rotation of the keyring, and every schedule re-applied since (`keyturn apply`"
            + " seals its first key again). A rotation that still needs it fails naming its id.",
      })
  static final class Retire extends Sub {
    @Option(names = "--file", required = true, paramLabel = "FILE", description = "The keyring.")
    Path file;

    @Parameters(paramLabel = "KEY_ID", description = "The id of the key to remove.")
    String id;

    @Override
    public Integer call() {
      WorkerKeyring ring;
      try {
        ring = read(file).retire(id);
      } catch (IllegalArgumentException e) {
        throw new CliFailure(CliFailure.USAGE, e.getMessage());
      }
      write(file, ring, false);
      return printPublic(ring, "Retired " + id + " from " + file + ": restart the worker.");
    }
  }
}
