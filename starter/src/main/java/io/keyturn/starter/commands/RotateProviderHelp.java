package io.keyturn.starter.commands;

import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.ListResourceBundle;

/**
 * {@code keyturn rotate-provider --help}'s description (picocli reads {@code usage.description.0},
 * {@code .1}... from the command's resource bundle), with a line per provider made from the {@link
 * ProviderType}s, so a new provider shows there without an edit here.
 */
public final class RotateProviderHelp extends ListResourceBundle {
  private static final String KEY = "usage.description";

  /** The description, one line each. */
  static List<String> lines() {
    List<String> lines = new ArrayList<>();
    lines.add(
        "Rotates the upstream provider key behind a LiteLLM model group declared under"
            + " providerKeys: in keyturn.yaml, as the workflow provider-key/<modelGroup>, through"
            + " dual deployments so no request fails:");
    lines.add(
        "  1. preflight: the proxy has stored deployments of the group, the provider is usable by"
            + " the worker, no master-key rotation of the proxy runs (the worker asks Temporal, also"
            + " for scheduled runs). A failure changes nothing.");
    lines.add(
        "  2. the new key, from the entry's provider (`keyturn schema` shows each one's"
            + " settings):");
    for (ProviderType t : ProviderTypes.all()) {
      lines.add(
          "       "
              + t.name()
              + ": "
              + t.summary()
              + (t.automated()
                  ? ""
                  : " (the rotation waits for `keyturn provide provider-key/<group> --key-file F`)")
              + ";");
    }
    lines.add(
        "  3. the new key is checked at the provider (list models, or the provider's own check:"
            + " aws-iam asks STS GetCallerIdentity): refused, nothing changes;");
    lines.add(
        "  4. a deployment of the group with the new key is added (/model/new), and a request"
            + " routed to it must succeed (/health?model_id=); if not, it is deleted again;");
    lines.add(
        "  5. after overlap: (`keyturn rollback-provider` until then), the old deployment(s) are"
            + " removed (/model/delete);");
    lines.add(
        "  6. after grace:, the old key is revoked at the provider (keys a person made: `keyturn"
            + " confirm-revoked provider-key/<group>` once you revoked it).");
    lines.add("");
    lines.add(
        "One rotation per model group at a time (the workflow id is the group's). With schedule:"
            + " in its entry, `keyturn apply` schedules it (keyturn/provider-key/<modelGroup>).");
    return lines;
  }

  @Override
  protected Object[][] getContents() {
    List<String> lines = lines();
    Object[][] contents = new Object[lines.size()][];
    for (int i = 0; i < lines.size(); i++) {
      // Percent signs are picocli format specifiers; the lines are plain text.
      contents[i] = new Object[] {KEY + "." + i, lines.get(i).replace("%", "%%")};
    }
    return contents;
  }
}
