package io.disagg.e2e.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The metric catalog {@code docs/metrics-catalog.yaml}: the metrics the dashboard and the alerts
 * may use, their labels (the process's and its scrape's), and input series for promtool built from
 * them.
 */
public final class MetricCatalog {

  /** Values of labels the catalog does not fix, as the dashboard's variables are set in tests. */
  public static final Map<String, String> DEFAULT_VALUES =
      Map.ofEntries(
          Map.entry("namespace", "serving"),
          Map.entry("name", "demo"),
          Map.entry("disagg_cluster", "demo"),
          Map.entry("resource_namespace", "serving"),
          Map.entry("resource_name", "demo"),
          Map.entry("group", "serving.disagg.io"),
          Map.entry("resource_group", "serving.disagg.io"),
          Map.entry("version", "v1alpha1"),
          Map.entry("resource_version", "v1alpha1"),
          Map.entry("revision", "e45d678ebd"),
          Map.entry("model_name", "tinyllama"),
          Map.entry("engine_type", "trtllm"),
          Map.entry("type", "resource"));

  /** A metric of the catalog. */
  public record Metric(
      String name,
      String type,
      String source,
      List<String> ownLabels,
      List<String> labels,
      Map<String, List<String>> values,
      String appears) {

    /** The names of its series: a histogram's _bucket, _sum and _count, else its name. */
    public List<String> seriesNames() {
      return "histogram".equals(type)
          ? List.of(name + "_bucket", name + "_sum", name + "_count")
          : List.of(name);
    }

    /** Every label its series may have ({@code le} too for a histogram's buckets). */
    public Set<String> allLabels() {
      Set<String> s = new LinkedHashSet<>(labels);
      s.add("__name__");
      if ("histogram".equals(type)) {
        s.add("le");
      }
      return s;
    }
  }

  private final List<Metric> metrics;

  private MetricCatalog(List<Metric> metrics) {
    this.metrics = metrics;
  }

  /** Reads {@code docs/metrics-catalog.yaml} of this checkout. */
  public static MetricCatalog load() {
    return load(LocalCluster.repoRoot().resolve("docs/metrics-catalog.yaml"));
  }

  /** Reads a catalog file. */
  public static MetricCatalog load(Path file) {
    try {
      JsonNode root = new YAMLMapper().readTree(file.toFile());
      List<Metric> out = new ArrayList<>();
      for (JsonNode m : root.path("metrics")) {
        String source = m.path("source").asText();
        JsonNode target = root.path("targets").path(source);
        if (target.isMissingNode()) {
          throw new IllegalStateException(m.path("name").asText() + ": unknown source " + source);
        }
        List<String> own = strings(m.path("labels"));
        Set<String> labels = new LinkedHashSet<>(own);
        labels.addAll(strings(target.path("labels")));
        Map<String, List<String>> values = new LinkedHashMap<>();
        m.path("values")
            .fields()
            .forEachRemaining(e -> values.put(e.getKey(), strings(e.getValue())));
        out.add(
            new Metric(
                m.path("name").asText(),
                m.path("type").asText(),
                source,
                own,
                List.copyOf(labels),
                values,
                m.path("appears").asText(null)));
      }
      return new MetricCatalog(List.copyOf(out));
    } catch (IOException e) {
      throw new IllegalStateException(file + ": " + e.getMessage(), e);
    }
  }

  public List<Metric> metrics() {
    return metrics;
  }

  /** The metric a series name belongs to (a histogram's by its _bucket, _sum or _count). */
  public Optional<Metric> bySeriesName(String series) {
    return metrics.stream().filter(m -> m.seriesNames().contains(series)).findFirst();
  }

  /**
   * Input series of a promtool unit test, one YAML list item per series: every metric with every
   * combination of its fixed label values, other labels set as {@link #DEFAULT_VALUES} (or {@code
   * x}); counters and histograms rise by 1 per interval, gauges stay at 1. The worker label {@code
   * pool} and the pods differ per pool.
   *
   * @param samples how many samples after the first
   */
  public String inputSeries(int samples) {
    StringBuilder b = new StringBuilder();
    for (Metric m : metrics) {
      for (Map<String, String> labels : combinations(m)) {
        if ("histogram".equals(m.type())) {
          for (String le : List.of("0.1", "1", "+Inf")) {
            Map<String, String> l = new LinkedHashMap<>(labels);
            l.put("le", le);
            series(b, m.name() + "_bucket", l, "0+1x" + samples);
          }
          series(b, m.name() + "_sum", labels, "0+0.5x" + samples);
          series(b, m.name() + "_count", labels, "0+1x" + samples);
        } else {
          series(b, m.name(), labels, ("gauge".equals(m.type()) ? "1+0x" : "0+1x") + samples);
        }
      }
    }
    return b.toString();
  }

  /**
   * What is wrong with a Prometheus text exposition (e.g. the operator's {@code /q/metrics}) for
   * these catalog metrics: a metric without any series, or whose series carry other labels than the
   * ones the catalog says the process writes ({@code le} of histogram buckets aside).
   *
   * @return one line per problem; empty when every metric is there as catalogued
   */
  public static List<String> problemsOf(String exposition, List<Metric> metrics) {
    Map<String, Set<Set<String>>> seen = new LinkedHashMap<>();
    java.util.regex.Pattern line =
        java.util.regex.Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+\\S+.*$");
    java.util.regex.Pattern label = java.util.regex.Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
    for (String l : exposition.split("\n")) {
      java.util.regex.Matcher m = line.matcher(l);
      if (l.startsWith("#") || !m.matches()) {
        continue;
      }
      Set<String> keys = new java.util.TreeSet<>();
      if (m.group(3) != null) {
        java.util.regex.Matcher k =
            label.matcher(m.group(3).replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\""));
        while (k.find()) {
          keys.add(k.group(1));
        }
      }
      seen.computeIfAbsent(m.group(1), x -> new java.util.HashSet<>()).add(keys);
    }
    List<String> problems = new ArrayList<>();
    for (Metric m : metrics) {
      String series = "histogram".equals(m.type()) ? m.name() + "_count" : m.name();
      Set<Set<String>> keys = seen.get(series);
      Set<String> expected = new java.util.TreeSet<>(m.ownLabels());
      if (keys == null) {
        problems.add(series + ": no series");
      } else if (!keys.equals(Set.of(expected))) {
        problems.add(series + ": labels " + keys + ", catalog " + expected);
      }
    }
    return problems;
  }

  private static List<Map<String, String>> combinations(Metric m) {
    List<Map<String, String>> out = new ArrayList<>();
    out.add(new LinkedHashMap<>());
    for (String label : m.labels()) {
      List<String> values = m.values().get(label);
      if (values == null && label.equals("pool")) {
        values = List.of("context", "generation");
      }
      if (values == null) {
        values = List.of(DEFAULT_VALUES.getOrDefault(label, "x"));
      }
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> partial : out) {
        for (String v : values) {
          Map<String, String> c = new LinkedHashMap<>(partial);
          c.put(label, v);
          next.add(c);
        }
      }
      out = next;
    }
    for (Map<String, String> c : out) {
      if (c.containsKey("pod")) {
        c.put("pod", c.containsKey("pool") ? "demo-" + c.get("pool") + "-0" : "demo-0");
      }
    }
    return out;
  }

  private static void series(StringBuilder b, String name, Map<String, String> labels, String v) {
    StringBuilder l = new StringBuilder();
    labels.forEach(
        (k, val) ->
            l.append(l.length() == 0 ? "" : ",")
                .append(k)
                .append("=\\\"")
                .append(val)
                .append("\\\""));
    b.append("      - series: \"")
        .append(name)
        .append('{')
        .append(l)
        .append("}\"\n        values: \"")
        .append(v)
        .append("\"\n");
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out;
  }
}
