package io.keyturn.workflows.store;

import com.google.auto.service.AutoService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;

/**
 * A Google Secret Manager destination: the {@code project} (its id, e.g. {@code my-project}, or its
 * number), the secret's {@code name} (its secret id, as LiteLLM names it: with {@code
 * GOOGLE_SECRET_MANAGER_PROJECT_ID} set, LiteLLM reads {@code os.environ/NAME} from {@code
 * projects/<project>/secrets/NAME/versions/latest}, the name used as it is), whether a missing
 * secret may be created ({@code createIfMissing}), and an {@code endpoint} override ({@code
 * host:port}) for emulators and tests only: it is spoken to in plaintext, without credentials.
 * Credentials otherwise come from Application Default Credentials on the worker.
 */
public record GcpSecretManagerConfig(
    String project, String name, boolean createIfMissing, String endpoint) {

  public static final String TYPE = "gcp-secretmanager";

  /** A project id (6 to 30 lowercase letters, digits, hyphens) or a project number. */
  static final String PROJECT = "[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20}";

  /** Secret Manager's secret ids: letters, digits, '_' and '-', 1 to 255 of them. */
  static final String NAME = "[A-Za-z0-9_-]{1,255}";

  /** {@code host:port}, for an emulator. */
  static final String ENDPOINT = "[A-Za-z0-9.-]+:[0-9]{1,5}";

  public GcpSecretManagerConfig {
    if (project == null || project.isBlank()) {
      throw new IllegalArgumentException(
          "gcp-secretmanager store: 'project' is required: the Google Cloud project id that holds"
              + " the secret, e.g. my-project (LiteLLM's GOOGLE_SECRET_MANAGER_PROJECT_ID)");
    }
    project = project.trim();
    if (!project.matches(PROJECT)) {
      throw new IllegalArgumentException(
          "gcp-secretmanager store: 'project' must be a project id (6 to 30 lowercase letters,"
              + " digits and '-', starting with a letter) or a project number, got '"
              + project
              + "'");
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "gcp-secretmanager store: 'name' is required: the secret id LiteLLM reads, e.g."
              + " litellm-svc-a");
    }
    name = name.trim();
    if (!name.matches(NAME)) {
      throw new IllegalArgumentException(
          "gcp-secretmanager store: 'name' may hold only letters, digits, '_' and '-' (1 to 255),"
              + " as Secret Manager allows; got '"
              + name
              + "'");
    }
    endpoint = endpoint == null || endpoint.isBlank() ? null : endpoint.trim();
    if (endpoint != null && !endpoint.matches(ENDPOINT)) {
      throw new IllegalArgumentException(
          "gcp-secretmanager store: 'endpoint' must be host:port of an emulator, e.g."
              + " 127.0.0.1:8085, or unset for Google's own; got '"
              + endpoint
              + "'");
    }
  }

  /** {@code projects/<project>/secrets/<name>}, the secret's resource name. */
  public String resourceName() {
    return "projects/" + project + "/secrets/" + name;
  }

  /** {@code <project>/<name>}, plus the emulator endpoint when there is one. */
  public String describe() {
    return project + "/" + name + (endpoint == null ? "" : " at " + endpoint);
  }

  /** The {@value #TYPE} store type. */
  @AutoService(StoreType.class)
  public static final class Type extends StoreType<GcpSecretManagerConfig> {
    public Type() {
      super(
          TYPE,
          "Google Secret Manager: each value is a new secret version (LiteLLM reads"
              + " versions/latest); a restore re-adds the previous value as a newer version and"
              + " disables the undone one; labels carry the generation and fingerprint;"
              + " credentials from Application Default Credentials on the worker.",
          StoreSetting.required(
                  "project",
                  "the Google Cloud project id (or number) that holds the secret, e.g. my-project")
              .matching(PROJECT),
          StoreSetting.required(
                  "name", "the secret id LiteLLM reads (os.environ/NAME), e.g. litellm-svc-a")
              .matching(NAME),
          StoreSetting.optional(
                  "createIfMissing",
                  "true",
                  "whether a secret that does not exist yet is created on the first write")
              .oneOf("true", "false"),
          StoreSetting.optional(
                  "endpoint",
                  null,
                  "host:port of a Secret Manager emulator, for tests only: plaintext, no"
                      + " credentials")
              .matching(ENDPOINT));
    }

    @Override
    protected GcpSecretManagerConfig build(Map<String, String> v) {
      return new GcpSecretManagerConfig(
          v.get("project"),
          v.get("name"),
          Boolean.parseBoolean(v.getOrDefault("createIfMissing", "true")),
          v.get("endpoint"));
    }

    @Override
    public String describe(GcpSecretManagerConfig c) {
      return c.describe();
    }

    @Override
    public Problem checkFromHere(
        GcpSecretManagerConfig c, Map<String, String> env, Duration timeout) {
      if (c.endpoint() == null) {
        return null; // Google's own endpoint: the credentials are the worker's, not this machine's
      }
      int colon = c.endpoint().lastIndexOf(':');
      try (Socket s = new Socket()) {
        s.connect(
            new InetSocketAddress(
                c.endpoint().substring(0, colon),
                Integer.parseInt(c.endpoint().substring(colon + 1))),
            (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        return null;
      } catch (IOException | IllegalArgumentException e) {
        return new Problem(
            "endpoint",
            "the Secret Manager emulator at "
                + c.endpoint()
                + " cannot be reached: "
                + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + e.getMessage())
                + ".",
            "start the emulator, or drop 'endpoint' to use Google's own Secret Manager.");
      }
    }
  }
}
