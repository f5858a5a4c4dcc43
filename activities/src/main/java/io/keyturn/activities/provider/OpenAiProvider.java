package io.keyturn.activities.provider;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.auto.service.AutoService;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.workflows.ProviderKeyFailures;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.SecretFiles;
import io.keyturn.workflows.provider.OpenAiProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import io.temporal.failure.ApplicationFailure;
import java.net.URLEncoder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code provider: openai}: one service account per key in an OpenAI project (setting {@code
 * project}), through the organization admin API with the worker's admin key
 * (KEYTURN_OPENAI_ADMIN_KEY_FILE): {@code POST
 * /v1/organization/projects/{project}/service_accounts} creates the account and answers its key's
 * value once; deleting the account revokes its key. The provider id of a key is its service
 * account's id.
 */
public final class OpenAiProvider implements KeyProvider {
  /** The most service accounts OpenAI lists in one page. */
  private static final int PAGE = 100;

  private static final String PROJECT = OpenAiProviderType.PROJECT;

  /**
   * Registers this provider with the worker: the admin key from KEYTURN_OPENAI_ADMIN_KEY_FILE (or
   * KEYTURN_OPENAI_ADMIN_KEY), the admin API at KEYTURN_OPENAI_ADMIN_URL (default
   * https://api.openai.com).
   */
  @AutoService(KeyProvider.Factory.class)
  public static final class Factory implements KeyProvider.Factory {
    @Override
    public KeyProvider make(ProviderContext worker) {
      Map<String, String> env = worker.env();
      Supplier<String> admin =
          SecretFiles.source(
              env.get("KEYTURN_OPENAI_ADMIN_KEY"),
              env.get("KEYTURN_OPENAI_ADMIN_KEY_FILE"),
              "KEYTURN_OPENAI_ADMIN_KEY_FILE");
      return new OpenAiProvider(
          worker.http(),
          admin,
          env.getOrDefault("KEYTURN_OPENAI_ADMIN_URL", "https://api.openai.com"));
    }
  }

  private final JsonHttp http;
  private final Supplier<String> adminKey;
  private final String adminBase;

  public OpenAiProvider(JsonHttp http, Supplier<String> adminKey, String adminBase) {
    this.http = http;
    this.adminKey = adminKey;
    this.adminBase =
        adminBase.endsWith("/") ? adminBase.substring(0, adminBase.length() - 1) : adminBase;
  }

  @Override
  public String name() {
    return OpenAiProviderType.NAME;
  }

  @Override
  public boolean automated() {
    return true;
  }

  @Override
  public String problem(Map<String, String> settings) {
    String bad = KeyProviders.settingsProblem(ProviderTypes.get(name()), settings);
    if (bad != null) {
      return bad;
    }
    String key;
    try {
      key = adminKey.get();
    } catch (RuntimeException e) {
      return "the worker's OpenAI admin key cannot be read: " + e.getMessage();
    }
    if (key == null || key.isBlank()) {
      return "this worker has no OpenAI admin key: set KEYTURN_OPENAI_ADMIN_KEY_FILE (an"
          + " organization admin key) on the worker, or use provider: manual";
    }
    return null;
  }

  private String accounts(Map<String, String> settings) {
    return adminBase + "/v1/organization/projects/" + settings.get(PROJECT) + "/service_accounts";
  }

  @Override
  public Created create(Map<String, String> settings, String name) {
    for (Map.Entry<String, String> a : namesById(settings).entrySet()) {
      if (name.equals(a.getValue())) {
        // an earlier attempt whose answer was lost: its key's value is gone with that answer
        send("DELETE", accounts(settings) + "/" + a.getKey(), null);
      }
    }
    Reply r = send("POST", accounts(settings), HttpBodies.write(Map.of("name", name)));
    if (r.status() != 200) {
      throw refused(r, "creating service account " + name);
    }
    JsonNode n = HttpBodies.tree(r.body());
    String value = n.path("api_key").path("value").asText("");
    if (value.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "OpenAI created service account " + n.path("id").asText() + " without an API key",
          ProviderKeyFailures.PROVIDER_UNUSABLE);
    }
    return new Created(value, n.path("id").asText());
  }

  /** Every page of the list: OpenAI answers 20 accounts unless asked for more (100 at most). */
  @Override
  public Map<String, String> namesById(Map<String, String> settings) {
    Map<String, String> out = new LinkedHashMap<>();
    String after = null;
    while (true) {
      Reply list =
          send(
              "GET",
              accounts(settings)
                  + "?limit="
                  + PAGE
                  + (after == null ? "" : "&after=" + URLEncoder.encode(after, UTF_8)),
              null);
      if (list.status() != 200) {
        throw refused(list, "listing the project's service accounts");
      }
      JsonNode page = HttpBodies.tree(list.body());
      for (JsonNode a : page.path("data")) {
        out.put(a.path("id").asText(), a.path("name").asText());
      }
      String last = page.path("last_id").asText("");
      if (!page.path("has_more").asBoolean(false) || last.isEmpty() || last.equals(after)) {
        return out;
      }
      after = last;
    }
  }

  @Override
  public boolean revoke(Map<String, String> settings, String providerId) {
    Reply r = send("DELETE", accounts(settings) + "/" + providerId, null);
    if (r.status() == 200) {
      return true;
    }
    if (r.status() == 404) {
      return false;
    }
    throw refused(r, "deleting service account " + providerId);
  }

  private Reply send(String method, String url, String body) {
    try {
      return http.send(method, url, Map.of("Authorization", "Bearer " + adminKey.get()), body);
    } catch (JsonHttp.TransportException e) {
      throw ApplicationFailure.newFailure(
          "OpenAI admin API at " + adminBase + " is unreachable: " + e.getMessage() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
  }

  private ApplicationFailure refused(Reply r, String what) {
    String msg = HttpBodies.tree(r.body()).path("error").path("message").asText("");
    String text = "OpenAI admin API answered HTTP " + r.status() + " " + what + ": " + msg;
    if (r.status() == 401 || r.status() == 403 || r.status() == 404 || r.status() == 400) {
      return ApplicationFailure.newNonRetryableFailure(
          text
              + (r.status() == 401
                  ? " (check the worker's KEYTURN_OPENAI_ADMIN_KEY_FILE: an organization admin key)"
                  : ""),
          ProviderKeyFailures.PROVIDER_UNUSABLE);
    }
    return ApplicationFailure.newFailure(text + " (retrying)", RotationFailures.TRANSIENT);
  }
}
