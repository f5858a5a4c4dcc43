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
public final class GlobalOptions {
  static final String DEFAULT_UI_URL = "http://127.0.0.1:8233";

  @Option(
      names = "--address",
      order = 100,
      paramLabel = "HOST:PORT",
      description =
          "Temporal frontend (default: $TEMPORAL_ADDRESS, else "
              + TemporalConnection.DEFAULT_ADDRESS
              + "). TLS, API key and profiles come from Temporal's own client configuration, as"
              + " for the temporal CLI: TEMPORAL_TLS*, TEMPORAL_API_KEY, TEMPORAL_PROFILE,"
              + " TEMPORAL_CONFIG_FILE (temporal.toml).")
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
          "Temporal UI base URL for links (default: $KEYTURN_UI_URL; else, for a dev server on"
              + " this machine, its UI port, which is the frontend port + 1000, e.g. "
              + DEFAULT_UI_URL
              + " for 127.0.0.1:7233; else no link).")
  String uiUrl;

  @Option(
      names = "--json",
      order = 103,
      description = "Print one JSON object on stdout instead of text; no progress output.")
  boolean json;

  /** Whether to print one JSON object on stdout instead of text. */
  public boolean json() {
    return json;
  }

  /**
   * The connection: Temporal's variables from {@code env}, with --address and --namespace on top.
   */
  TemporalConnection connection(Map<String, String> env) {
    return TemporalConnection.fromEnvironment(env).with(address, namespace);
  }

  /**
   * The Temporal UI page of one workflow, or null when no UI is configured and none can be assumed:
   * --ui-url, else $KEYTURN_UI_URL, else the UI a local dev server serves (its frontend port +
   * 1000, as {@code temporal server start-dev} does by default).
   */
  String uiLink(Map<String, String> env, String address, String namespace, String workflowId) {
    String base = uiUrl;
    if (base == null || base.isBlank()) {
      base = env.getOrDefault("KEYTURN_UI_URL", "");
    }
    if (base.isBlank()) {
      base = devServerUi(address);
    }
    if (base == null) {
      return null;
    }
    return base.replaceAll("/+$", "")
        + "/namespaces/"
        + URLEncoder.encode(namespace, StandardCharsets.UTF_8)
        + "/workflows/"
        + URLEncoder.encode(workflowId, StandardCharsets.UTF_8);
  }

  /** The default UI of a dev server on this machine at {@code address}, or null if not local. */
  static String devServerUi(String address) {
    if (address == null) {
      return null;
    }
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return null;
    }
    String host = address.substring(0, colon);
    if (!host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("[::1]")) {
      return null;
    }
    try {
      int port = Integer.parseInt(address.substring(colon + 1));
      return port + 1000 <= 65535 ? "http://" + host + ":" + (port + 1000) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
