package io.keyturn.starter;

import io.keyturn.workflows.client.TemporalConnection;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options every command takes: where Temporal is, where its UI is, and whether to answer in JSON.
 * Unset options fall back to Temporal's own environment variables, so one environment serves the
 * {@code temporal} CLI, the worker and {@code keyturn}.
 */
final class GlobalOptions {
  static final String DEFAULT_UI_URL = "http://127.0.0.1:8233";

  @Option(
      names = "--address",
      order = 100,
      paramLabel = "HOST:PORT",
      description =
          "Temporal frontend (default: $TEMPORAL_ADDRESS, else "
              + TemporalConnection.DEFAULT_ADDRESS
              + "). TLS and API key come from the TEMPORAL_TLS*/TEMPORAL_API_KEY variables.")
  String address;

  @Option(
      names = "--namespace",
      order = 101,
      paramLabel = "NS",
      description = "Temporal namespace (default: $TEMPORAL_NAMESPACE, else default).")
  String namespace;

  @Option(
      names = "--ui-url",
      order = 102,
      paramLabel = "URL",
      description =
          "Temporal UI base URL for links (default: $KEYTURN_UI_URL, else " + DEFAULT_UI_URL + ").")
  String uiUrl;

  @Option(
      names = "--json",
      order = 103,
      description = "Print one JSON object on stdout instead of text; no progress output.")
  boolean json;

  /**
   * The connection: Temporal's variables from {@code env}, with --address and --namespace on top.
   */
  TemporalConnection connection(Map<String, String> env) {
    return TemporalConnection.fromEnvironment(env).with(address, namespace);
  }

  /** The Temporal UI page of one workflow. */
  String uiLink(Map<String, String> env, String namespace, String workflowId) {
    String base = uiUrl;
    if (base == null || base.isBlank()) {
      base = env.getOrDefault("KEYTURN_UI_URL", "");
    }
    if (base.isBlank()) {
      base = DEFAULT_UI_URL;
    }
    return base.replaceAll("/+$", "")
        + "/namespaces/"
        + URLEncoder.encode(namespace, StandardCharsets.UTF_8)
        + "/workflows/"
        + URLEncoder.encode(workflowId, StandardCharsets.UTF_8);
  }
}
