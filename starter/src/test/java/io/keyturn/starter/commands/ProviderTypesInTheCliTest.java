package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code rotate-provider --help} is made from the providers, as the schema is (ConfigSchemaTest).
 */
class ProviderTypesInTheCliTest {
  @Test
  void rotateProviderHelpNamesEveryProviderWithItsSummary() {
    String help = new CommandLine(new RotateProviderCommand()).getUsageMessage();
    assertThat(help).contains("Rotates the upstream provider key").contains("confirm-revoked");
    for (ProviderType t : ProviderTypes.all()) {
      String words = t.summary().substring(0, Math.min(30, t.summary().length()));
      assertThat(help).as(t.name()).contains(t.name() + ": " + words);
    }
    assertThat(help).contains("manual: ").contains("openai: ").contains("aws-iam: ");
  }
}
