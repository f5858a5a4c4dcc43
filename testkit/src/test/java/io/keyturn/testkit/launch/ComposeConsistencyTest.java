package io.keyturn.testkit.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml agrees with the worker: every variable handed to the worker is one it reads
 * (worker/src/main/resources/application.yml), its addresses name services and ports that exist,
 * secrets have no defaults, and nothing is published beyond 127.0.0.1.
 *
 * <p>The checks are functions from the parsed files to a list of problems, so the last test can
 * show that each one fails on a broken file.
 */
class ComposeConsistencyTest {

  static final String WORKER = "keyturn-worker";
  static final Pattern VARIABLE_REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");
  static final Set<String> SECRETS =
      Set.of(
          "LITELLM_MASTER_KEY",
          "VAULT_TOKEN",
          "VAULT_SECRET_ID",
          "KEYTURN_WORKER_KEYRING",
          "KEYTURN_PAYLOAD_KEY",
          "TEMPORAL_API_KEY");

  /**
   * Temporal's own client configuration, which the worker reads through temporal-envconfig rather
   * than application.yml.
   */
  static final Set<String> TEMPORAL_CLIENT_CONFIG =
      Set.of(
          "TEMPORAL_ADDRESS",
          "TEMPORAL_NAMESPACE",
          "TEMPORAL_API_KEY",
          "TEMPORAL_TLS",
          "TEMPORAL_TLS_CLIENT_CERT_PATH",
          "TEMPORAL_TLS_CLIENT_KEY_PATH",
          "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
          "TEMPORAL_TLS_SERVER_NAME",
          "TEMPORAL_PROFILE",
          "TEMPORAL_CONFIG_FILE");

  static Map<String, Object> compose;
  static Set<String> workerReads;

  @BeforeAll
  static void load() throws IOException {
    Path repo = repositoryRoot();
    compose = yaml(repo.resolve("docker-compose.yml"));
    Map<String, Object> application =
        yaml(repo.resolve("worker/src/main/resources/application.yml"));
    workerReads = new TreeSet<>();
    collectVariableReferences(application, workerReads);
    workerReads.addAll(TEMPORAL_CLIENT_CONFIG);
  }

  @Test
  void theWorkerReadsTheVariablesThisTestReliesOn() {
    // If application.yml stopped using ${...}, every check below would pass vacuously.
    assertThat(workerReads).contains("KEYTURN_TASK_QUEUE", "VAULT_ADDR", "LITELLM_MASTER_KEY");
    // The AppRole alternative shown (commented) in docker-compose.yml names these.
    assertThat(workerReads)
        .contains("VAULT_ROLE_ID", "VAULT_SECRET_ID_FILE", "VAULT_APPROLE_MOUNT");
  }

  @Test
  void everyVariableGivenToTheWorkerIsOneItReads() {
    assertThat(workerEnvironmentProblems(compose, workerReads)).isEmpty();
  }

  @Test
  void temporalAddressNamesTheTemporalServiceAndItsPort() {
    assertThat(temporalAddressProblems(compose)).isEmpty();
  }

  @Test
  void vaultAddrNamesTheOpenBaoServiceAndItsPort() {
    assertThat(vaultAddressProblems(compose)).isEmpty();
  }

  @Test
  void liteLlmRunsAndListensOn4000() {
    assertThat(liteLlmProblems(compose)).isEmpty();
  }

  @Test
  void everyPublishedPortBindsLoopbackOnly() {
    assertThat(publishedPortProblems(compose)).isEmpty();
  }

  @Test
  void secretsComeFromTheEnvironmentWithoutDefaults() {
    assertThat(secretDefaultProblems(compose)).isEmpty();
  }

  @Test
  void eachCheckFailsOnABrokenFile() {
    Map<String, Object> misnamed = copy(compose);
    Map<String, Object> workerEnv = environment(service(misnamed, WORKER));
    workerEnv.put("VAULT_ADDRESS", workerEnv.remove("VAULT_ADDR"));
    setEnvironment(service(misnamed, WORKER), workerEnv);
    assertThat(workerEnvironmentProblems(misnamed, workerReads))
        .anySatisfy(p -> assertThat(p).contains("VAULT_ADDRESS"));
    assertThat(vaultAddressProblems(misnamed)).isNotEmpty();

    Map<String, Object> wrongHost = copy(compose);
    Map<String, Object> env = environment(service(wrongHost, WORKER));
    env.put("TEMPORAL_ADDRESS", "temporal-frontend:7233");
    setEnvironment(service(wrongHost, WORKER), env);
    assertThat(temporalAddressProblems(wrongHost))
        .anySatisfy(p -> assertThat(p).contains("temporal-frontend"));

    Map<String, Object> wrongPort = copy(compose);
    env = environment(service(wrongPort, WORKER));
    env.put("VAULT_ADDR", "http://openbao:8201");
    setEnvironment(service(wrongPort, WORKER), env);
    assertThat(vaultAddressProblems(wrongPort)).anySatisfy(p -> assertThat(p).contains("8201"));

    Map<String, Object> open = copy(compose);
    service(open, "temporal").put("ports", new ArrayList<>(List.of("7233:7233")));
    assertThat(publishedPortProblems(open)).anySatisfy(p -> assertThat(p).contains("temporal"));

    Map<String, Object> weak = copy(compose);
    env = environment(service(weak, WORKER));
    env.put("LITELLM_MASTER_KEY", "${LITELLM_MASTER_KEY:-sk-1234}");
    setEnvironment(service(weak, WORKER), env);
    assertThat(secretDefaultProblems(weak))
        .anySatisfy(p -> assertThat(p).contains("LITELLM_MASTER_KEY"));

    Map<String, Object> noLiteLlm = copy(compose);
    services(noLiteLlm).remove(liteLlmServiceName(noLiteLlm));
    assertThat(liteLlmProblems(noLiteLlm)).isNotEmpty();
  }

  // ------------------------------------------------------------------ checks

  static List<String> workerEnvironmentProblems(Map<String, Object> compose, Set<String> reads) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> worker = services(compose).get(WORKER);
    if (worker == null) {
      return List.of("no service " + WORKER);
    }
    for (String name : environment(worker).keySet()) {
      if (!reads.contains(name)) {
        problems.add(
            WORKER
                + " is given "
                + name
                + ", which the worker does not read (application.yml and Temporal's client configuration read "
                + reads
                + ")");
      }
    }
    return problems;
  }

  static List<String> temporalAddressProblems(Map<String, Object> compose) {
    String address = workerVariable(compose, "TEMPORAL_ADDRESS");
    if (address == null) {
      return List.of(WORKER + " has no TEMPORAL_ADDRESS");
    }
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return List.of("TEMPORAL_ADDRESS " + address + " has no port");
    }
    return endpointProblems(
        compose,
        "TEMPORAL_ADDRESS",
        address.substring(0, colon),
        Integer.parseInt(address.substring(colon + 1)),
        7233);
  }

  static List<String> vaultAddressProblems(Map<String, Object> compose) {
    String address = workerVariable(compose, "VAULT_ADDR");
    if (address == null) {
      return List.of(WORKER + " has no VAULT_ADDR");
    }
    URI uri = URI.create(address);
    List<String> problems = new ArrayList<>();
    Map<String, Object> target = services(compose).get(uri.getHost());
    if (target != null) {
      String image = String.valueOf(target.get("image"));
      if (!image.contains("openbao") && !image.contains("vault")) {
        problems.add("VAULT_ADDR names " + uri.getHost() + ", which runs " + image);
      }
    }
    int port = uri.getPort() != -1 ? uri.getPort() : ("https".equals(uri.getScheme()) ? 443 : 80);
    problems.addAll(endpointProblems(compose, "VAULT_ADDR", uri.getHost(), port, 8200));
    return problems;
  }

  static List<String> liteLlmProblems(Map<String, Object> compose) {
    String name = liteLlmServiceName(compose);
    if (name == null) {
      return List.of("no service runs a LiteLLM image");
    }
    Set<Integer> ports = containerPorts(services(compose).get(name));
    return ports.contains(4000)
        ? List.of()
        : List.of("LiteLLM service " + name + " does not listen on 4000 (ports " + ports + ")");
  }

  static List<String> publishedPortProblems(Map<String, Object> compose) {
    List<String> problems = new ArrayList<>();
    services(compose)
        .forEach(
            (name, service) -> {
              for (Object port : list(service.get("ports"))) {
                String hostIp = publishedHostIp(port);
                if (!"127.0.0.1".equals(hostIp)) {
                  problems.add(name + " publishes " + port + " beyond 127.0.0.1");
                }
              }
            });
    return problems;
  }

  static List<String> secretDefaultProblems(Map<String, Object> compose) {
    List<String> problems = new ArrayList<>();
    services(compose)
        .forEach(
            (name, service) ->
                environment(service)
                    .forEach(
                        (variable, value) -> {
                          String text = String.valueOf(value);
                          boolean secret =
                              SECRETS.contains(variable)
                                  || SECRETS.stream().anyMatch(s -> text.contains("${" + s));
                          if (secret && (text.contains(":-") || !text.startsWith("${"))) {
                            problems.add(
                                name + "." + variable + " has a default or literal value: " + text);
                          }
                        }));
    return problems;
  }

  // ------------------------------------------------------------------ compose model

  static List<String> endpointProblems(
      Map<String, Object> compose, String variable, String host, int port, int expectedPort) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> target = services(compose).get(host);
    if (target == null) {
      return List.of(
          variable
              + " names host "
              + host
              + ", which is not a compose service "
              + services(compose).keySet());
    }
    Set<Integer> ports = containerPorts(target);
    if (!ports.contains(port)) {
      problems.add(variable + " names port " + port + ", but " + host + " listens on " + ports);
    }
    if (port != expectedPort) {
      problems.add(variable + " names port " + port + "; " + host + " serves on " + expectedPort);
    }
    List<String> dependsOn = dependsOn(services(compose).get(WORKER));
    if (!dependsOn.contains(host) && !dependsOnTransitively(compose, WORKER, host)) {
      problems.add(WORKER + " does not depend on " + host);
    }
    return problems;
  }

  static boolean dependsOnTransitively(Map<String, Object> compose, String from, String to) {
    Set<String> seen = new LinkedHashSet<>();
    List<String> queue = new ArrayList<>(dependsOn(services(compose).get(from)));
    while (!queue.isEmpty()) {
      String next = queue.remove(0);
      if (next.equals(to)) {
        return true;
      }
      if (seen.add(next) && services(compose).containsKey(next)) {
        queue.addAll(dependsOn(services(compose).get(next)));
      }
    }
    return false;
  }

  static String liteLlmServiceName(Map<String, Object> compose) {
    return services(compose).entrySet().stream()
        .filter(e -> String.valueOf(e.getValue().get("image")).contains("berriai/litellm"))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(null);
  }

  /** The value of one variable of the worker, with a {@code ${NAME:-default}} resolved. */
  static String workerVariable(Map<String, Object> compose, String name) {
    Map<String, Object> worker = services(compose).get(WORKER);
    Object value = worker == null ? null : environment(worker).get(name);
    if (value == null) {
      return null;
    }
    Matcher withDefault =
        Pattern.compile("\\$\\{[A-Za-z0-9_]+:?-([^}]*)}").matcher(value.toString());
    return withDefault.matches() ? withDefault.group(1) : value.toString();
  }

  /** Ports a service's container listens on: the targets of {@code ports} and {@code expose}. */
  static Set<Integer> containerPorts(Map<String, Object> service) {
    Set<Integer> ports = new TreeSet<>();
    for (Object port : list(service.get("ports"))) {
      if (port instanceof Map<?, ?> longSyntax) {
        ports.add(Integer.parseInt(String.valueOf(longSyntax.get("target"))));
      } else {
        String spec = String.valueOf(port).replaceAll("/(tcp|udp)$", "");
        ports.add(Integer.parseInt(spec.substring(spec.lastIndexOf(':') + 1)));
      }
    }
    for (Object port : list(service.get("expose"))) {
      ports.add(Integer.parseInt(String.valueOf(port).replaceAll("/(tcp|udp)$", "")));
    }
    return ports;
  }

  /** The host address a {@code ports} entry binds, or "" when it binds every interface. */
  static String publishedHostIp(Object port) {
    if (port instanceof Map<?, ?> longSyntax) {
      Object hostIp = longSyntax.get("host_ip");
      return hostIp == null ? "" : hostIp.toString();
    }
    String[] parts = String.valueOf(port).split(":");
    // "container", "host:container" -> every interface; "ip:host:container" -> ip.
    return parts.length == 3 ? parts[0] : "";
  }

  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> services(Map<String, Object> compose) {
    Object services = compose.get("services");
    return services == null ? Map.of() : (Map<String, Map<String, Object>>) services;
  }

  static Map<String, Object> service(Map<String, Object> compose, String name) {
    Map<String, Object> service = services(compose).get(name);
    assertThat(service).as("service " + name).isNotNull();
    return service;
  }

  /** A service's environment as a map, from either the map or the "NAME=value" list form. */
  static Map<String, Object> environment(Map<String, Object> service) {
    Object environment = service.get("environment");
    Map<String, Object> env = new LinkedHashMap<>();
    if (environment instanceof Map<?, ?> map) {
      map.forEach((k, v) -> env.put(String.valueOf(k), v));
    } else {
      for (Object entry : list(environment)) {
        String text = String.valueOf(entry);
        int eq = text.indexOf('=');
        env.put(eq < 0 ? text : text.substring(0, eq), eq < 0 ? null : text.substring(eq + 1));
      }
    }
    return env;
  }

  static void setEnvironment(Map<String, Object> service, Map<String, Object> env) {
    service.put("environment", env);
  }

  static List<String> dependsOn(Map<String, Object> service) {
    if (service == null) {
      return List.of();
    }
    Object dependsOn = service.get("depends_on");
    if (dependsOn instanceof Map<?, ?> map) {
      return map.keySet().stream().map(String::valueOf).toList();
    }
    return list(dependsOn).stream().map(String::valueOf).toList();
  }

  static List<?> list(Object value) {
    return value instanceof List<?> list ? list : List.of();
  }

  static void collectVariableReferences(Object node, Set<String> into) {
    if (node instanceof Map<?, ?> map) {
      map.values().forEach(v -> collectVariableReferences(v, into));
    } else if (node instanceof List<?> list) {
      list.forEach(v -> collectVariableReferences(v, into));
    } else if (node != null) {
      Matcher m = VARIABLE_REFERENCE.matcher(node.toString());
      while (m.find()) {
        into.add(m.group(1));
      }
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> copy(Map<String, Object> compose) {
    // A YAML round trip: a deep copy whose maps the test can change.
    Yaml yaml = new Yaml();
    return (Map<String, Object>) yaml.load(yaml.dump(compose));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(Path file) throws IOException {
    Object parsed = new Yaml().load(Files.readString(file));
    assertThat(parsed).as(file + " is a YAML mapping").isInstanceOf(Map.class);
    return (Map<String, Object>) parsed;
  }

  /** The directory holding docker-compose.yml: user.dir or the nearest directory above it. */
  static Path repositoryRoot() {
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        dir != null;
        dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("docker-compose.yml"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "no docker-compose.yml in " + System.getProperty("user.dir") + " or above");
  }
}
