package io.disagg.operator.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Prometheus text exposition format (version 0.0.4, as served by TensorRT-LLM's {@code
 * /prometheus/metrics} through {@code prometheus_client}) into samples.
 *
 * <p>Why our own: no maintained Java library parses this format (Prometheus' client_java only
 * writes it; Hawkular's prometheus-scraper is unmaintained since 2016 and brings protobuf 2). This
 * reads what the format defines for samples: {@code name{label="value",...} value [timestamp]},
 * escaped label values ({@code \\}, {@code \"}, {@code \n}), {@code NaN}, {@code +Inf}, {@code
 * -Inf}; {@code # HELP}/{@code # TYPE} and other comment lines are skipped. A line that does not
 * parse is skipped and counted, never thrown.
 */
public final class PrometheusText {
  private PrometheusText() {}

  /** One sample: metric name (with a {@code _bucket}/{@code _sum} suffix if any), labels, value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  /** The samples of a scrape and the number of lines that could not be read. */
  public record Scrape(List<Sample> samples, int unreadableLines) {

    /** Sum of all samples of that name (any labels), or null when there is none. */
    public Double sum(String name) {
      Double total = null;
      for (Sample s : samples) {
        if (s.name().equals(name) && !Double.isNaN(s.value())) {
          total = (total == null ? 0 : total) + s.value();
        }
      }
      return total;
    }
  }

  /** Parses a scrape body. */
  public static Scrape parse(String body) {
    List<Sample> out = new ArrayList<>();
    int bad = 0;
    for (String raw : body.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Sample s = sample(line);
      if (s == null) {
        bad++;
      } else {
        out.add(s);
      }
    }
    return new Scrape(Collections.unmodifiableList(out), bad);
  }

  private static Sample sample(String line) {
    int i = 0;
    int n = line.length();
    while (i < n && isNameChar(line.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      return null;
    }
    String name = line.substring(0, i);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < n && line.charAt(i) == '{') {
      i++;
      while (true) {
        while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == ',')) {
          i++;
        }
        if (i < n && line.charAt(i) == '}') {
          i++;
          break;
        }
        int start = i;
        while (i < n && isNameChar(line.charAt(i), i == start)) {
          i++;
        }
        if (i == start || i >= n || line.charAt(i) != '=') {
          return null;
        }
        String key = line.substring(start, i);
        i++;
        if (i >= n || line.charAt(i) != '"') {
          return null;
        }
        i++;
        StringBuilder v = new StringBuilder();
        boolean closed = false;
        while (i < n) {
          char c = line.charAt(i++);
          if (c == '\\' && i < n) {
            char e = line.charAt(i++);
            v.append(e == 'n' ? '\n' : e);
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            v.append(c);
          }
        }
        if (!closed) {
          return null;
        }
        labels.put(key, v.toString());
      }
    }
    String[] rest = line.substring(i).strip().split("\\s+");
    if (rest.length < 1 || rest.length > 2 || rest[0].isEmpty()) {
      return null;
    }
    Double value = number(rest[0]);
    if (value == null) {
      return null;
    }
    return new Sample(name, Collections.unmodifiableMap(labels), value);
  }

  private static Double number(String s) {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "+Inf":
      case "Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        try {
          return Double.parseDouble(s);
        } catch (NumberFormatException e) {
          return null;
        }
    }
  }

  private static boolean isNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || c == '_'
        || c == ':'
        || (!first && c >= '0' && c <= '9');
  }
}
