package io.disagg.e2e.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.disagg.e2e.testing.GoTools;
import io.disagg.e2e.testing.MetricCatalog;
import io.disagg.e2e.testing.PromQl;
import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard {@code helm/disagg-operator/dashboards/disagg-cluster.json}: it passes
 * Grafana's dashboard schema (e2e/tools/dashboard-check, Grafana's Foundation SDK), and every query
 * of its panels and variables, with the variables set, returns data when Prometheus's own promtool
 * evaluates it against series built from the metric catalog (docs/metrics-catalog.yaml), so a
 * misspelt metric, label or label value fails; every metric and label it names is in the catalog.
 */
class MonitoringDashboardTest {

  static final Path DASHBOARD =
      LocalCluster.repoRoot().resolve("helm/disagg-operator/dashboards/disagg-cluster.json");

  /** The variables as a user picks them: every pool, a 5-minute rate interval. */
  static final Map<String, String> VARIABLES =
      Map.of(
          "namespace", MetricCatalog.DEFAULT_VALUES.get("namespace"),
          "cluster", MetricCatalog.DEFAULT_VALUES.get("disagg_cluster"),
          "pool", "context|generation",
          "__rate_interval", "5m",
          "__interval", "1m",
          "__range", "1h");

  /** One query of the dashboard and where it is. */
  record Query(String where, String expr) {}

  static List<Query> queries() throws IOException {
    JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<Query> out = new ArrayList<>();
    List<JsonNode> panels = new ArrayList<>();
    d.path("panels").forEach(panels::add);
    d.path("panels").forEach(p -> p.path("panels").forEach(panels::add));
    for (JsonNode p : panels) {
      for (JsonNode t : p.path("targets")) {
        out.add(
            new Query(
                "panel '" + p.path("title").asText() + "' " + t.path("refId").asText(),
                t.path("expr").asText()));
      }
    }
    for (JsonNode v : d.path("templating").path("list")) {
      if ("query".equals(v.path("type").asText())) {
        JsonNode q = v.path("query");
        String text = q.isTextual() ? q.asText() : q.path("query").asText();
        out.add(new Query("variable " + v.path("name").asText(), text));
      }
    }
    return out;
  }

  @Test
  void passesGrafanasDashboardSchema() {
    GoTools.Result r =
        GoTools.run("dashboard-check", DASHBOARD.getParent(), List.of(DASHBOARD.toString()));
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).startsWith("ok ");
  }

  @Test
  void theSchemaCheckRejectsAnUnknownField(@TempDir Path dir) throws IOException {
    String json =
        Files.readString(DASHBOARD).replaceFirst("\"title\":", "\"titel\": \"x\", \"title\":");
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, json);
    GoTools.Result r = GoTools.run("dashboard-check", dir, List.of(bad.toString()));
    assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
    assertThat(r.output()).contains("unexpected field 'titel'");
  }

  @Test
  void hasTheVariablesAndPanelsOfTheIssue() throws IOException {
    JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> variables = new ArrayList<>();
    d.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
    assertThat(variables).containsExactly("datasource", "namespace", "cluster", "pool");
    String all = queries().stream().map(Query::expr).reduce("", (a, b) -> a + "\n" + b);
    assertThat(all)
        .contains(
            "disagg_pool_desired_instances",
            "disagg_pool_ready_instances",
            "disagg_pool_registered_instances",
            "trtllm_num_requests_running",
            "trtllm_num_requests_waiting",
            "trtllm_kv_cache_utilization",
            "trtllm_time_to_first_token_seconds_bucket",
            "trtllm_time_per_output_token_seconds_bucket",
            "ctx_total_requests_total",
            "gen_error_requests_total",
            "disagg_autoscaling_decisions_total",
            "disagg_pool_draining",
            "disagg_pool_drain_timeouts_total",
            "disagg_discovery_foreign_registrations_removed_total",
            "disagg_discovery_unmatched_registrations",
            "operator_sdk_reconciliations_started_total",
            "operator_sdk_reconciliations_failed_total",
            "operator_sdk_reconciliations_queue_size_disaggcluster");
  }

  @Test
  void everyMetricAndLabelIsInTheCatalog() throws IOException {
    MetricCatalog catalog = MetricCatalog.load();
    for (Query q : queries()) {
      String expr = PromQl.selectorOfLabelValues(q.expr());
      List<MetricCatalog.Metric> used = new ArrayList<>();
      for (String name : PromQl.metricNames(expr)) {
        Optional<MetricCatalog.Metric> m = catalog.bySeriesName(name);
        assertThat(m).as("%s: metric %s in docs/metrics-catalog.yaml", q.where(), name).isPresent();
        used.add(m.get());
      }
      assertThat(used).as("%s names a metric: %s", q.where(), q.expr()).isNotEmpty();
      List<String> labels = new ArrayList<>(PromQl.labelNames(expr));
      Optional.ofNullable(PromQl.labelOfLabelValues(q.expr())).ifPresent(labels::add);
      for (String label : labels) {
        assertThat(used)
            .as("%s: label %s is a catalog label of %s", q.where(), label, used)
            .anySatisfy(m -> assertThat(m.allLabels()).contains(label));
      }
    }
  }

  @Test
  void everyQueryReturnsDataFromTheCatalogsSeries(@TempDir Path dir) throws IOException {
    GoTools.Result r = evaluate(dir, queries());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  @Test
  void aMisspeltMetricOrLabelValueReturnsNoDataAndFails(@TempDir Path dir) throws IOException {
    Query q = queries().get(0);
    for (Query bad :
        List.of(
            new Query(
                "misspelt metric",
                q.expr().replace("disagg_cluster_condition", "disagg_cluster_conditions")),
            new Query("misspelt label", q.expr().replace("condition=", "conditon=")))) {
      assertThat(bad.expr()).isNotEqualTo(q.expr());
      GoTools.Result r = evaluate(dir, List.of(bad));
      assertThat(r.exitCode()).as(bad.where() + ":\n" + r.output()).isNotZero();
    }
  }

  /**
   * Runs {@code promtool test rules} with one {@code count(<query>) > bool 0} test per query (1
   * when the query returns any series) against the catalog's series.
   */
  static GoTools.Result evaluate(Path dir, List<Query> queries) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("rule_files: []\nevaluation_interval: 1m\ntests:\n");
    b.append("  - interval: 1m\n    input_series:\n");
    b.append(MetricCatalog.load().inputSeries(60));
    b.append("    promql_expr_test:\n");
    Map<String, Query> seen = new LinkedHashMap<>();
    for (Query q : queries) {
      String expr = PromQl.substitute(PromQl.selectorOfLabelValues(q.expr()), VARIABLES);
      assertThat(expr).as(q.where()).doesNotContain("$");
      seen.put(expr, q);
      b.append("      # ").append(q.where()).append('\n');
      b.append("      - expr: '")
          .append(("count(" + expr + ") > bool 0").replace("'", "''"))
          .append("'\n");
      b.append("        eval_time: 30m\n");
      b.append("        exp_samples:\n          - labels: '{}'\n            value: 1\n");
    }
    Path file = dir.resolve("dashboard-queries-test.yaml");
    Files.writeString(file, b.toString());
    return GoTools.run("promtool", dir, List.of("test", "rules", file.getFileName().toString()));
  }
}
