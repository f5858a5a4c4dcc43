package io.keyturn.gateway.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Masks anything shaped like a LiteLLM key in text that came from elsewhere (proxy messages). */
public final class Redact {
  private Redact() {}

  private static final Pattern KEY = Pattern.compile("sk-[A-Za-z0-9_\\-]{6,}");

  /** Replaces every {@code sk-...} token with {@code sk-...} plus its last four characters. */
  public static String keys(String text) {
    if (text == null) {
      return null;
    }
    Matcher m = KEY.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String k = m.group();
      m.appendReplacement(sb, Matcher.quoteReplacement("sk-..." + k.substring(k.length() - 4)));
    }
    m.appendTail(sb);
    return sb.toString();
  }
}
