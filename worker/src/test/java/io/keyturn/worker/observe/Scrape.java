package io.keyturn.worker.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** A scraped Prometheus text exposition, read the way Prometheus reads it. */
record Scrape(String text) {

  static Scrape of(int port) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("/metrics answered " + r.statusCode());
    }
    return new Scrape(r.body());
  }

  /** The value of the one sample of {@code name} whose labels include {@code labels}, or null. */
  Double value(String name, Map<String, String> labels) {
    Double found = null;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      String series = line.substring(0, line.lastIndexOf(' '));
      boolean all =
          labels.entrySet().stream()
              .allMatch(e -> series.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) {
        if (found != null) {
          throw new AssertionError("more than one series of " + name + labels + " in\n" + text);
        }
        found = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return found;
  }

  /** Every metric name with at least one sample. */
  Set<String> names() {
    Set<String> out = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        out.add(line.split("[{ ]", 2)[0]);
      }
    }
    return out;
  }
}
