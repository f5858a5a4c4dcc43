package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.config.ConfigException;
import io.keyturn.starter.config.ConfigLoader;
import io.keyturn.starter.config.ConfigProblem;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.starter.output.Report;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Loads keyturn.yaml for validate, plan and apply, and reports its problems the same way. */
final class ConfigFiles {
  private ConfigFiles() {}

  /**
   * Loads and checks the file (or directory). On problems prints every one (as JSON on stdout when
   * asked) and throws a usage failure: exit 2, nothing sent to Temporal.
   */
  static List<SecretSpec> load(Path file, boolean json, PrintWriter out) {
    try {
      return ConfigLoader.load(file);
    } catch (ConfigException e) {
      throw invalid(file, e.problems(), json, out);
    }
  }

  /** The usage failure for {@code problems}, printed as JSON first when asked. */
  static CliFailure invalid(
      Path file, List<ConfigProblem> problems, boolean json, PrintWriter out) {
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("file", file.toString());
      o.put("valid", false);
      o.put("problems", problems.stream().map(ConfigFiles::problemJson).toList());
      Report.printJson(out, o);
    }
    StringBuilder b = new StringBuilder();
    b.append(problems.size())
        .append(problems.size() == 1 ? " problem" : " problems")
        .append(" in ")
        .append(file)
        .append("; nothing was changed:");
    for (ConfigProblem p : problems) {
      b.append("\n  ").append(p);
    }
    return new CliFailure(CliFailure.USAGE, b.toString(), json);
  }

  static Map<String, Object> problemJson(ConfigProblem p) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("file", p.file() == null ? null : p.file().toString());
    o.put("field", p.field());
    o.put("message", p.message());
    o.put("fix", p.fix());
    return o;
  }
}
