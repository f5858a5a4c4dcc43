package io.keyturn.starter.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.starter.config.SecretSpec.Destination;
import io.keyturn.starter.config.SecretSpec.KeySource;
import io.keyturn.starter.config.SecretSpec.Policy;
import io.keyturn.starter.config.SecretSpec.Schedule;
import io.keyturn.workflows.model.DrainPolicy;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.ProxySecretStore;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import io.keyturn.workflows.store.StoreSetting;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads {@code keyturn.yaml} (one file, or every {@code *.yaml}/{@code *.yml} of a directory):
 * checks it against its JSON Schema ({@link ConfigSchema}, which also words those problems), maps
 * it into records ({@link KeyturnFile}), then checks what a schema cannot: ids unique across files,
 * a grace period shorter than the interval, a cron that fires, a real time zone, each destination
 * as its store type reads it; and resolves relative paths against the file. Every problem is
 * collected, so one run lists them all. Nothing here reads a key or calls a server.
 */
public final class ConfigLoader {
  static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  private static final CronParser CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final List<ConfigProblem> problems = new ArrayList<>();

  /** The schema's text, for {@code keyturn schema}. */
  public static String schemaText() {
    return ConfigSchema.text();
  }

  /** Loads and checks; throws {@link ConfigException} listing every problem. */
  public static List<SecretSpec> load(Path fileOrDir) {
    return new ConfigLoader().run(fileOrDir);
  }

  /**
   * The {@code masterKeys:} of a file or directory, checked; throws {@link ConfigException} listing
   * every problem (of the whole file, secrets included).
   */
  public static List<MasterKeySpec> loadMasterKeys(Path fileOrDir) {
    ConfigLoader l = new ConfigLoader();
    l.run(fileOrDir);
    return List.copyOf(l.masterKeys);
  }

  private final List<MasterKeySpec> masterKeys = new ArrayList<>();
  private final List<ProviderKeySpec> providerKeys = new ArrayList<>();

  /**
   * The {@code providerKeys:} of a file or directory, checked; throws {@link ConfigException}
   * listing every problem (of the whole file).
   */
  public static List<ProviderKeySpec> loadProviderKeys(Path fileOrDir) {
    ConfigLoader l = new ConfigLoader();
    l.run(fileOrDir);
    return List.copyOf(l.providerKeys);
  }

  /** Both, from one reading of the file: what a provider-key rotation needs to start. */
  public static Map.Entry<List<ProviderKeySpec>, List<MasterKeySpec>> loadProviderAndMasterKeys(
      Path fileOrDir) {
    ConfigLoader l = new ConfigLoader();
    l.run(fileOrDir);
    return Map.entry(List.copyOf(l.providerKeys), List.copyOf(l.masterKeys));
  }

  private List<SecretSpec> run(Path fileOrDir) {
    List<SecretSpec> secrets = new ArrayList<>();
    for (Path f : files(fileOrDir)) {
      KeyturnFile file = read(f);
      for (int i = 0; file != null && i < file.secrets().size(); i++) {
        SecretSpec s = secret(f, "secrets[" + i + "]", file.secrets().get(i));
        if (s != null) {
          secrets.add(s);
        }
      }
      for (int i = 0; file != null && i < file.masterKeys().size(); i++) {
        MasterKeySpec m = masterKey(f, "masterKeys[" + i + "]", file.masterKeys().get(i));
        if (m != null) {
          if (masterKeys.stream().anyMatch(x -> x.id().equals(m.id()))) {
            problems.add(
                new ConfigProblem(
                    f,
                    "masterKeys[" + i + "]",
                    "the id '" + m.id() + "' is declared twice.",
                    "give each proxy its own id: it names the workflow master-key/<id>."));
          }
          masterKeys.add(m);
        }
      }
      for (int i = 0; file != null && i < file.providerKeys().size(); i++) {
        KeyturnFile.ProviderKeyEntry p = file.providerKeys().get(i);
        String at = "providerKeys[" + i + "]";
        if (providerKeys.stream().anyMatch(x -> x.id().equals(p.id()))) {
          problems.add(
              new ConfigProblem(
                  f,
                  at,
                  "the id '" + p.id() + "' is declared twice.",
                  "give each entry its own id."));
        } else if (providerKeys.stream().anyMatch(x -> x.modelGroup().equals(p.modelGroup()))) {
          problems.add(
              new ConfigProblem(
                  f,
                  at,
                  "model group '" + p.modelGroup() + "' is declared twice.",
                  "one entry per model group: it names the workflow provider-key/<modelGroup>."));
        } else {
          Map<String, String> settings = providerSettings(f, at, p);
          // Checked as a master key's schedule is (no grace to compare with the interval).
          SecretSpec.Schedule schedule = masterSchedule(f, at, p.schedule());
          ProxySecretStore store =
              p.secretStore() == null ? null : proxySecretStore(f, at, p, settings);
          if (settings != null && (p.secretStore() == null || store != null)) {
            providerKeys.add(ProviderKeySpec.of(f, p, settings, store, schedule));
          }
        }
      }
    }
    Map<String, SecretSpec> byId = new LinkedHashMap<>();
    for (SecretSpec s : secrets) {
      SecretSpec first = byId.putIfAbsent(s.id(), s);
      if (first != null) {
        problems.add(
            new ConfigProblem(
                s.file(),
                "secret " + s.id(),
                "the id '" + s.id() + "' is declared twice (first in " + first.file() + ").",
                "give each secret its own id; an id names its schedule and its keys."));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems.stream().distinct().toList());
    }
    return List.copyOf(secrets);
  }

  /** The file mapped into records, or null after its problems (YAML, then schema, then types). */
  private KeyturnFile read(Path f) {
    JsonNode root = parse(f);
    if (root == null) {
      return null;
    }
    List<ConfigProblem> invalid = ConfigSchema.problems(f, root);
    if (!invalid.isEmpty()) {
      problems.addAll(invalid);
      return null;
    }
    try {
      return KeyturnFile.of(root);
    } catch (JsonProcessingException e) {
      // What the schema let through and the records still refuse (e.g. the ISO duration 'P',
      // which says no length): the mapper's own words, at its path.
      StringBuilder at = new StringBuilder();
      if (e instanceof JsonMappingException m) {
        for (JsonMappingException.Reference r : m.getPath()) {
          at.append(r.getFieldName() == null ? "[" + r.getIndex() + "]" : "." + r.getFieldName());
        }
      }
      problems.add(
          new ConfigProblem(
              f,
              at.toString().replaceFirst("^\\.", ""),
              e.getOriginalMessage() + ".",
              "see `keyturn schema` for the form of each field."));
      return null;
    }
  }

  private List<Path> files(Path fileOrDir) {
    if (Files.isDirectory(fileOrDir)) {
      List<Path> found;
      try (Stream<Path> s = Files.list(fileOrDir)) {
        found =
            s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                .filter(Files::isRegularFile)
                .sorted(Comparator.comparing(Path::toString))
                .toList();
      } catch (IOException e) {
        throw new ConfigException(
            List.of(
                new ConfigProblem(
                    fileOrDir, null, "cannot list the directory: " + e.getMessage(), null)));
      }
      if (found.isEmpty()) {
        throw new ConfigException(
            List.of(
                new ConfigProblem(
                    fileOrDir,
                    null,
                    "the directory holds no *.yaml or *.yml file.",
                    "point -f at a keyturn.yaml, or at a directory of them.")));
      }
      return found;
    }
    if (!Files.isReadable(fileOrDir)) {
      throw new ConfigException(
          List.of(
              new ConfigProblem(
                  fileOrDir,
                  null,
                  Files.exists(fileOrDir) ? "cannot be read." : "does not exist.",
                  "give the path of a keyturn.yaml (or a directory of them) with -f.")));
    }
    return List.of(fileOrDir);
  }

  private JsonNode parse(Path f) {
    try {
      JsonNode n = KeyturnFile.YAML.readTree(f.toFile());
      if (n == null || n.isMissingNode() || n.isNull()) {
        problems.add(
            new ConfigProblem(
                f, null, "is empty.", "declare at least 'secrets:' (see `keyturn schema`)."));
        return null;
      }
      return n;
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      problems.add(
          new ConfigProblem(
              f,
              loc == null ? null : loc.getLineNr() + ":" + loc.getColumnNr(),
              "is not valid YAML: " + yamlProblem(e),
              "fix the YAML syntax (indentation, quotes, colons)."));
      return null;
    } catch (IOException e) {
      problems.add(new ConfigProblem(f, null, "cannot be read: " + e.getMessage(), null));
      return null;
    }
  }

  /**
   * The parser's problem in one line, e.g. "expected <block end>, but found '<block mapping start>'
   * (while parsing a block collection that starts at 3:3)", not its multi-line dump with quoted
   * source and carets.
   */
  static String yamlProblem(JsonProcessingException e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof MarkedYAMLException y && y.getProblem() != null) {
        String context = "";
        if (y.getContext() != null) {
          var at = y.getContextMark();
          context =
              " ("
                  + y.getContext()
                  + (at == null
                      ? ""
                      : " that starts at " + (at.getLine() + 1) + ":" + (at.getColumn() + 1))
                  + ")";
        }
        return y.getProblem().strip() + context;
      }
    }
    String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    return m.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(m);
  }

  // ------------------------------------------------------------------ what a schema cannot check

  /** The secret, its paths resolved against {@code f}'s directory; null after a problem. */
  private MasterKeySpec masterKey(Path f, String at, KeyturnFile.MasterKeyEntry m) {
    int before = problems.size();
    Path dir = f.toAbsolutePath().getParent();
    List<Destination> dests = destinations(f, at, dir, m.destinations());
    KeyturnFile.Restart r = m.restart();
    io.keyturn.workflows.model.RestartSpec restart = null;
    try {
      restart =
          new io.keyturn.workflows.model.RestartSpec(
              r.mode(), r.url(), r.deployment(), r.namespace(), r.context(), r.deadline());
    } catch (IllegalArgumentException e) {
      problems.add(
          new ConfigProblem(
              f, at + ".restart", e.getMessage() + ".", "see `keyturn schema` for restart."));
    }
    Schedule schedule = masterSchedule(f, at, m.schedule());
    if (problems.size() > before) {
      return null;
    }
    return new MasterKeySpec(
        m.id(),
        f,
        m.gateway().url().replaceAll("/+$", ""),
        dests.stream().map(Destination::toDestination).toList(),
        m.saltKey(),
        restart,
        m.alsoRestart() == null
            ? List.of()
            : m.alsoRestart().stream()
                .map(
                    a ->
                        new io.keyturn.workflows.model.RestartTarget(
                            a.deployment(), a.namespace(), a.context()))
                .toList(),
        schedule);
  }

  /**
   * A master key's or a provider key's {@code schedule:}, checked as a secret's is (interval, time
   * zone, cron, jitter); null when there is none. There is no grace period: the old master key
   * stops at the restart.
   */
  private Schedule masterSchedule(Path f, String at, KeyturnFile.Schedule sch) {
    if (sch == null) {
      return null;
    }
    Duration interval = sch.every();
    if (interval != null && interval.compareTo(MIN_INTERVAL) < 0) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".schedule.every",
              "must be at least 1s.",
              "use e.g. 90d (or 30s in a test)."));
      interval = null;
    }
    ZoneId zone = zone(f, at + ".schedule.timezone", sch.timezone());
    if (sch.cron() != null && zone != null) {
      interval = cronGap(f, at + ".schedule.cron", sch.cron(), zone);
    }
    if (interval != null) {
      notShorter(f, at, Duration.ZERO, sch.jitter(), interval);
    }
    return new Schedule(sch.every(), sch.cron(), sch.timezone(), sch.jitter(), sch.paused());
  }

  private SecretSpec secret(Path f, String at, KeyturnFile.Secret s) {
    int before = problems.size();
    Path dir = f.toAbsolutePath().getParent();
    if (s.grace().compareTo(RotationRequest.MAX_GRACE) > 0) {
      long days = RotationRequest.MAX_GRACE.toDays();
      problems.add(
          new ConfigProblem(
              f,
              at + ".grace",
              Durations.format(s.grace())
                  + " is longer than the "
                  + days
                  + "-day maximum grace period.",
              "keep the old key valid "
                  + days
                  + " days at most; a shorter grace limits a leaked key."));
    }
    KeyturnFile.Schedule sch = s.schedule();
    Duration interval = sch.every();
    if (interval != null && interval.compareTo(MIN_INTERVAL) < 0) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".schedule.every",
              "must be at least 1s.",
              "use e.g. 30d (or 30s in a test)."));
      interval = null;
    }
    ZoneId zone = zone(f, at + ".schedule.timezone", sch.timezone());
    if (sch.cron() != null && zone != null) {
      interval = cronGap(f, at + ".schedule.cron", sch.cron(), zone);
    }
    if (interval != null) {
      notShorter(f, at, s.grace(), sch.jitter(), interval);
    }
    List<Destination> dests = destinations(f, at, dir, s.destinations());
    DrainPolicy drain = drain(f, at + ".drain", s.drain());
    if (problems.size() > before) {
      return null;
    }
    KeyturnFile.Policy p = s.policy();
    return new SecretSpec(
        s.id(),
        s.description(),
        f,
        s.gateway().url().replaceAll("/+$", ""),
        keySource(dir, s.gateway().managementKey()),
        keySource(dir, s.currentKey()),
        new Policy(
            p.importCurrent(),
            p.from() == null ? null : keySource(dir, p.from().key()),
            Map.copyOf(p.fields())),
        dests,
        new Schedule(sch.every(), sch.cron(), sch.timezone(), sch.jitter(), sch.paused()),
        s.grace(),
        s.verify().models(),
        drain,
        "management-key".equals(s.kind()),
        s.operator() == null ? null : s.operator().virtualKey());
  }

  /**
   * The drain policy {@code drain:} writes, each missing field from {@link DrainPolicy#DEFAULT};
   * null when the secret says nothing (the rotation then takes the default), or after a problem.
   */
  private DrainPolicy drain(Path f, String at, KeyturnFile.Drain d) {
    if (d == null) {
      return null;
    }
    if (Boolean.FALSE.equals(d.enabled())) {
      return DrainPolicy.OFF;
    }
    DrainPolicy def = DrainPolicy.DEFAULT;
    try {
      return new DrainPolicy(
          d.usedWithin() == null ? def.usedWithin() : d.usedWithin(),
          d.recheckEvery() == null ? def.recheckEvery() : d.recheckEvery(),
          d.maxHold() == null ? def.maxHold() : d.maxHold(),
          d.onLimit() == null
              ? def.onLimit()
              : DrainPolicy.OnLimit.valueOf(d.onLimit().toUpperCase(java.util.Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      problems.add(
          new ConfigProblem(
              f,
              at,
              e.getMessage() + ".",
              "e.g. drain: {usedWithin: 15m, recheckEvery: 5m, maxHold: 24h, onLimit: revoke},"
                  + " or drain: {enabled: false}."));
      return null;
    }
  }

  private ZoneId zone(Path f, String at, String tz) {
    try {
      return ZoneId.of(tz);
    } catch (DateTimeException e) {
      problems.add(
          new ConfigProblem(
              f,
              at,
              "'" + tz + "' is not a time zone.",
              "use an IANA name such as UTC, Europe/Paris or America/New_York."));
      return null;
    }
  }

  /**
   * An entry's provider settings (the fields beside {@code provider:}), checked by its {@link
   * ProviderType}: the schema has checked each field's form already; this refuses a setting of
   * another provider and whatever a provider checks across its settings. Null after a problem.
   */
  private Map<String, String> providerSettings(Path f, String at, KeyturnFile.ProviderKeyEntry p) {
    Map<String, String> given = new LinkedHashMap<>();
    p.settings().forEach((k, v) -> given.put(k, v == null ? null : String.valueOf(v)));
    ProviderType type = ProviderTypes.find(p.provider()).orElse(null);
    if (type == null) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".provider",
              "'" + p.provider() + "' is not a provider Keyturn knows.",
              "use one of: " + String.join(", ", ProviderTypes.names()) + "."));
      return null;
    }
    List<ProviderType.Problem> bad = type.problems(given);
    for (ProviderType.Problem b : bad) {
      problems.add(
          new ConfigProblem(
              f, at + "." + b.setting(), "provider key '" + p.id() + "': " + b.message(), b.fix()));
    }
    return bad.isEmpty() ? type.parse(given) : null;
  }

  /**
   * A provider key the proxy reads from secret stores: its destinations as a secret's are read, and
   * a grace longer than the proxy's secret cache (else the old key could be revoked while a proxy
   * still calls with it), and a key shape a store can hold ({@code settings}: the entry's checked
   * provider settings, null after a problem there). Null after a problem.
   */
  private ProxySecretStore proxySecretStore(
      Path f, String at, KeyturnFile.ProviderKeyEntry p, Map<String, String> settings) {
    int before = problems.size();
    List<Destination> dests =
        destinations(
            f, at + ".secretStore", f.toAbsolutePath().getParent(), p.secretStore().destinations());
    ProxySecretStore store =
        new ProxySecretStore(
            dests.stream().map(Destination::toDestination).toList(), p.secretStore().proxyCache());
    String grace = store.graceProblem(p.grace());
    if (grace != null) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".grace",
              "provider key '" + p.id() + "': " + grace + ".",
              "make grace longer than secretStore.proxyCache (e.g. 25h for LiteLLM's defaults, a"
                  + " 24h secret cache and a 30s model sync), or lower the proxy's cache"
                  + " (HCP_VAULT_REFRESH_INTERVAL, SECRET_MANAGER_REFRESH_INTERVAL) and set"
                  + " proxyCache to match."));
    }
    ProviderType.Problem shape =
        ProviderTypes.find(p.provider()).map(t -> t.secretStoreProblem(settings)).orElse(null);
    if (shape != null) {
      problems.add(
          new ConfigProblem(
              f,
              at + "." + shape.setting(),
              "provider key '" + p.id() + "': " + shape.message(),
              shape.fix()));
    }
    if (!p.overlap().isZero()) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".overlap",
              "provider key '"
                  + p.id()
                  + "': overlap applies to dual deployments, and with secretStore the"
                  + " deployments are left as they are.",
              "remove overlap: the grace is the time old and new key both work."));
    }
    return problems.size() == before ? store : null;
  }

  /** The grace period and the jitter must both end before the next rotation is due. */
  private void notShorter(Path f, String at, Duration grace, Duration jitter, Duration interval) {
    if (grace.compareTo(interval) >= 0) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".grace",
              "the grace period ("
                  + Durations.format(grace)
                  + ") is not shorter than the time between rotations ("
                  + Durations.format(interval)
                  + "): the next rotation would be due while the last one still waits to revoke.",
              "make the grace period shorter than the interval, e.g. 24h for a 30d interval."));
    }
    if (!jitter.isZero() && jitter.compareTo(interval) >= 0) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".schedule.jitter",
              "the jitter ("
                  + Durations.format(jitter)
                  + ") is not shorter than the time between rotations ("
                  + Durations.format(interval)
                  + ").",
              "use a jitter well under the interval, e.g. 1h for 30d."));
    }
  }

  /** Each destination as its store type reads it, with paths resolved; each store place once. */
  private List<Destination> destinations(
      Path f, String at, Path dir, List<KeyturnFile.Destination> given) {
    List<Destination> dests = new ArrayList<>();
    for (int i = 0; i < given.size(); i++) {
      KeyturnFile.Destination d = given.get(i);
      StoreType<?> type = StoreTypes.get(d.type()); // the schema allowed only known types
      Map<String, Object> settings = new LinkedHashMap<>(d.settings());
      for (StoreSetting setting : type.settings()) {
        if (setting.kind() == StoreSetting.Kind.PATH && settings.get(setting.name()) != null) {
          // Relative to the file that declares it, as every path in keyturn.yaml.
          Path p = dir.resolve(String.valueOf(settings.get(setting.name()))).normalize();
          settings.put(setting.name(), p.toString());
        }
      }
      Destination dest = new Destination(d.type(), Map.copyOf(settings));
      try {
        type.parse(dest.stringSettings());
      } catch (IllegalArgumentException e) {
        problems.add(
            new ConfigProblem(
                f,
                at + ".destinations[" + i + "]",
                e.getMessage() + ".",
                "fix the setting (`keyturn schema` shows each store's settings)."));
      }
      int first = dests.indexOf(dest);
      if (first >= 0) {
        problems.add(
            new ConfigProblem(
                f,
                at + ".destinations[" + i + "]",
                "repeats destinations[" + first + "] (" + dest.describe() + ").",
                "list each store location once."));
      }
      dests.add(dest);
    }
    return List.copyOf(dests);
  }

  private static KeySource keySource(Path dir, KeyturnFile.KeyRef k) {
    return k == null
        ? null
        : new KeySource(
            k.env(), k.file() == null ? null : dir.resolve(k.file()).normalize(), k.keyHash());
  }

  /** The shortest time between two of the next runs of a cron, or null after a problem. */
  private Duration cronGap(Path f, String at, String expr, ZoneId zone) {
    Cron cron;
    try {
      cron = CRON.parse(expr).validate();
    } catch (IllegalArgumentException e) {
      problems.add(
          new ConfigProblem(
              f,
              at,
              "'" + expr + "' is not a cron expression: " + e.getMessage(),
              "use five fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * 1\"."));
      return null;
    }
    ExecutionTime times = ExecutionTime.forCron(cron);
    ZonedDateTime t = ZonedDateTime.now(zone);
    ZonedDateTime horizon = t.plusYears(5);
    Duration gap = null;
    ZonedDateTime prev = null;
    for (int i = 0; i < 60; i++) {
      Optional<ZonedDateTime> next;
      try {
        next = times.nextExecution(t);
      } catch (RuntimeException e) {
        next = Optional.empty();
      }
      if (next.isEmpty() || next.get().isAfter(horizon)) {
        break;
      }
      if (prev != null) {
        Duration d = Duration.between(prev, next.get());
        gap = gap == null || d.compareTo(gap) < 0 ? d : gap;
      }
      prev = next.get();
      t = next.get();
    }
    if (prev == null) {
      problems.add(
          new ConfigProblem(
              f,
              at,
              "'" + expr + "' never fires (no run in the next five years).",
              "check the day-of-month and month fields (there is no February 30th)."));
      return null;
    }
    return gap;
  }
}
