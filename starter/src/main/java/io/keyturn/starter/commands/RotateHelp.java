package io.keyturn.starter.commands;

import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.ListResourceBundle;

/**
 * The part of {@code keyturn rotate --help} made from the store types (picocli reads an option's
 * {@code descriptionKey} lines {@code KEY.0}, {@code KEY.1}... from the command's resource bundle):
 * the {@code --to} usage line of every {@link StoreType}, so a new store type shows there without
 * an edit here.
 */
public final class RotateHelp extends ListResourceBundle {
  /** The {@code --to} option's description key. */
  static final String TO = "to";

  /** The {@code --to} description, one line each. */
  static List<String> toLines() {
    List<String> lines = new ArrayList<>();
    lines.add(
        "Publish to this destination instead of the --vault-* one; repeat to publish to several"
            + " (the first is the primary). The grace period starts only when every destination"
            + " holds the new key; if one fails, the others are put back and the new key deleted.");
    for (StoreType<?> t : StoreTypes.all()) {
      lines.add("  " + t.usage());
    }
    lines.add(
        "Store credentials are the worker's (VAULT_TOKEN, the AWS default chain, its kubeconfig,"
            + " file access). `keyturn schema` describes every setting.");
    return lines;
  }

  @Override
  protected Object[][] getContents() {
    List<String> lines = toLines();
    Object[][] contents = new Object[lines.size()][];
    for (int i = 0; i < lines.size(); i++) {
      // Percent signs are picocli format specifiers; the lines are plain text.
      contents[i] = new Object[] {TO + "." + i, lines.get(i).replace("%", "%%")};
    }
    return contents;
  }
}
