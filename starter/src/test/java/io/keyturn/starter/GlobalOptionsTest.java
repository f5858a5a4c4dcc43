package io.keyturn.starter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where UI links point: configured, or the UI a local dev server serves beside its frontend. */
class GlobalOptionsTest {

  @Test
  void aLocalDevServerOnAnyPortLinksToItsOwnUi() {
    GlobalOptions g = new GlobalOptions();
    assertThat(g.uiLink(Map.of(), "127.0.0.1:17233", "default", "rotation/a/1"))
        .isEqualTo("http://127.0.0.1:18233/namespaces/default/workflows/rotation%2Fa%2F1");
    assertThat(g.uiLink(Map.of(), "127.0.0.1:7233", "default", "x"))
        .startsWith(GlobalOptions.DEFAULT_UI_URL);
  }

  @Test
  void configurationWinsAndARemoteClusterWithoutOneGetsNoGuessedLink() {
    GlobalOptions g = new GlobalOptions();
    assertThat(
            g.uiLink(
                Map.of("KEYTURN_UI_URL", "https://ui.example/"), "127.0.0.1:7233", "prod", "x"))
        .isEqualTo("https://ui.example/namespaces/prod/workflows/x");
    assertThat(g.uiLink(Map.of(), "temporal.internal:7233", "default", "x")).isNull();
    g.uiUrl = "http://127.0.0.1:9999";
    assertThat(g.uiLink(Map.of("KEYTURN_UI_URL", "https://ui.example"), "h:1", "d", "x"))
        .startsWith("http://127.0.0.1:9999/");
  }
}
