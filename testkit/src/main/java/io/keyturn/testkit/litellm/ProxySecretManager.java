package io.keyturn.testkit.litellm;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The emulated proxy's {@code key_management_system}: how a stored deployment whose {@code api_key}
 * is {@code os.environ/NAME} gets its key, per request, as LiteLLM 1.82.3 does it ({@code
 * get_llm_provider} calls {@code get_secret_str} for an {@code os.environ/} api_key, which asks the
 * secret manager). The manager keeps a value it read for {@code cacheTtl} ({@code
 * hashicorp_secret_manager.py}: an {@code InMemoryCache} whose default TTL is {@code
 * HCP_VAULT_REFRESH_INTERVAL}, else {@code SECRET_MANAGER_REFRESH_INTERVAL}, 86400 s), so a key
 * rotated in the store reaches requests only once that entry expires. A name the store lacks is not
 * cached, and the request goes out without a key. (LiteLLM 1.106 resolves it at each model sync
 * instead, every 30 s, which adds up to that much; the emulator does not model the sync.)
 */
public final class ProxySecretManager {
  /** Reads one secret's current value; empty when the store has none. */
  @FunctionalInterface
  public interface Reader {
    Optional<String> read(String name);
  }

  private record Entry(String value, Instant expires) {}

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Reader reader;
  private final Duration cacheTtl;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  private ProxySecretManager(Reader reader, Duration cacheTtl) {
    this.reader = Objects.requireNonNull(reader, "reader");
    this.cacheTtl = Objects.requireNonNull(cacheTtl, "cacheTtl");
    if (cacheTtl.isNegative()) {
      throw new IllegalArgumentException("cacheTtl must not be negative");
    }
  }

  /** Any store, read through {@code reader}, its values kept for {@code cacheTtl}. */
  public static ProxySecretManager of(Reader reader, Duration cacheTtl) {
    return new ProxySecretManager(reader, cacheTtl);
  }

  /**
   * {@code key_management_system: hashicorp_vault}: {@code GET <address>/v1/secret/data/<NAME>}
   * with {@code X-Vault-Token}, the value in the data field {@code key} (LiteLLM's mount {@code
   * HCP_VAULT_MOUNT_NAME} default and its only field).
   */
  public static ProxySecretManager hashicorpVault(
      String address, Supplier<String> token, Duration cacheTtl) {
    String base = address.replaceAll("/+$", "");
    return of(
        name -> {
          try {
            HttpResponse<String> r =
                HTTP.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/secret/data/" + name))
                        .timeout(Duration.ofSeconds(5))
                        .header("X-Vault-Token", token.get())
                        .GET()
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              return Optional.empty();
            }
            JsonNode key = Answer.JSON.readTree(r.body()).path("data").path("data").path("key");
            return key.isTextual() ? Optional.of(key.asText()) : Optional.empty();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
          } catch (Exception e) {
            return Optional.empty();
          }
        },
        cacheTtl);
  }

  /** The key a request goes out with: {@code apiKey} itself unless it is {@code os.environ/}. */
  String resolve(String apiKey, Instant now) {
    if (apiKey == null || !apiKey.startsWith("os.environ/")) {
      return apiKey;
    }
    String name = apiKey.substring("os.environ/".length());
    Entry e = cache.get(name);
    if (e != null && now.isBefore(e.expires())) {
      return e.value();
    }
    Optional<String> v = reader.read(name);
    if (v.isEmpty()) {
      cache.remove(name);
      return null;
    }
    cache.put(name, new Entry(v.get(), now.plus(cacheTtl)));
    return v.get();
  }
}
