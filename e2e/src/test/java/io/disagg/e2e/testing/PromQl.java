package io.disagg.e2e.testing;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a PromQL expression (or a Grafana variable query {@code label_values(<selector>, <label>)})
 * names: its metric names and the label names of its matchers and its {@code by}/{@code without}/
 * {@code on}/{@code ignoring}/{@code group_left}/{@code group_right} clauses. A lexical reading,
 * enough for the project's own queries; promtool evaluates them for real.
 */
public final class PromQl {
  private PromQl() {}

  private static final Set<String> KEYWORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "offset",
          "and",
          "or",
          "unless",
          "inf",
          "nan");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{([^}]*)}");
  private static final Pattern CLAUSE =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern MATCHER_LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");

  /** The variables of the dashboard as the tests set them ({@code $name} and {@code ${name}}). */
  public static String substitute(String expr, Map<String, String> variables) {
    String out = expr;
    for (Map.Entry<String, String> e : variables.entrySet()) {
      out =
          out.replace("${" + e.getKey() + "}", e.getValue())
              .replace("$" + e.getKey(), e.getValue());
    }
    return out;
  }

  /** A Grafana {@code label_values(selector, label)} query's selector; other text unchanged. */
  public static String selectorOfLabelValues(String query) {
    Matcher m =
        Pattern.compile("^\\s*label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$")
            .matcher(query);
    return m.matches() ? m.group(1) : query;
  }

  /** The label a {@code label_values(selector, label)} query lists, or null. */
  public static String labelOfLabelValues(String query) {
    Matcher m =
        Pattern.compile("^\\s*label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$")
            .matcher(query);
    return m.matches() ? m.group(2) : null;
  }

  /** The metric names. */
  public static Set<String> metricNames(String expr) {
    String s = STRING.matcher(expr).replaceAll("\"\"");
    s = MATCHERS.matcher(s).replaceAll(" ");
    s = CLAUSE.matcher(s).replaceAll(" ");
    s = RANGE.matcher(s).replaceAll(" ");
    Set<String> names = new LinkedHashSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      String id = m.group();
      int after = m.end();
      while (after < s.length() && Character.isWhitespace(s.charAt(after))) {
        after++;
      }
      boolean call = after < s.length() && s.charAt(after) == '(';
      boolean number = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
      if (!call && !number && !KEYWORDS.contains(id.toLowerCase())) {
        names.add(id);
      }
    }
    return names;
  }

  /** The label names of matchers and of grouping clauses. */
  public static Set<String> labelNames(String expr) {
    String s = STRING.matcher(expr).replaceAll("\"\"");
    Set<String> labels = new LinkedHashSet<>();
    Matcher sel = MATCHERS.matcher(s);
    while (sel.find()) {
      Matcher l = MATCHER_LABEL.matcher(sel.group(1));
      while (l.find()) {
        labels.add(l.group(1));
      }
    }
    Matcher c = CLAUSE.matcher(s);
    while (c.find()) {
      for (String l : c.group(2).split(",")) {
        if (!l.isBlank()) {
          labels.add(l.strip());
        }
      }
    }
    return labels;
  }
}
