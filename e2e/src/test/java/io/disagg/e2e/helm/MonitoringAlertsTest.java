package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.disagg.e2e.testing.GoTools;
import io.disagg.e2e.testing.HelmTest;
import io.disagg.e2e.testing.MetricCatalog;
import io.disagg.e2e.testing.PromQl;
import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's PrometheusRule ({@code alerts.enabled}): the rendered rules pass {@code promtool
 * check rules}; {@code promtool test rules} runs
 * e2e/src/test/resources/monitoring/alerts-test.yaml, where each alert fires when it should and not
 * otherwise; every metric and label the rules and those tests use is in docs/metrics-catalog.yaml;
 * every alert has its runbook in docs/runbooks.md.
 */
@HelmTest
class MonitoringAlertsTest {

  static final List<String> ALERTS =
      List.of(
          "DisaggClusterNotReady",
          "DisaggClusterStalled",
          "DisaggClusterDrainTimedOut",
          "DisaggClusterWorkersNotRegistered",
          "DisaggClusterPodsUnschedulable",
          "DisaggOperatorReconcileErrors",
          "DisaggClusterForeignRegistration");

  static final Path UNIT_TESTS =
      LocalCluster.repoRoot().resolve("e2e/src/test/resources/monitoring/alerts-test.yaml");

  static ObjectNode rule(String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("--set", "alerts.enabled=true"));
    args.addAll(List.of(extraArgs));
    List<ObjectNode> rules =
        Rendered.template(args.toArray(String[]::new)).ofKind("PrometheusRule");
    assertThat(rules).hasSize(1);
    return rules.get(0);
  }

  static List<JsonNode> alerts(ObjectNode rule) {
    List<JsonNode> out = new ArrayList<>();
    rule.path("spec").path("groups").forEach(g -> g.path("rules").forEach(out::add));
    return out;
  }

  /** The rendered rules as a Prometheus rule file (the PrometheusRule's spec), in dir. */
  static Path ruleFile(Path dir, ObjectNode rule) throws IOException {
    Path file = dir.resolve("rules.yaml");
    Files.writeString(file, new YAMLMapper().writeValueAsString(rule.path("spec")));
    return file;
  }

  @Test
  void offByDefault() {
    assertThat(Rendered.template().ofKind("PrometheusRule")).isEmpty();
  }

  @Test
  void renderedRulesPassPromtoolCheckRules(@TempDir Path dir) throws IOException {
    ObjectNode rule = rule("--set", "alerts.labels.release=prometheus");
    assertThat(rule.path("metadata").path("labels").path("release").asText())
        .isEqualTo("prometheus");
    assertThat(alerts(rule).stream().map(a -> a.path("alert").asText()))
        .containsExactlyElementsOf(ALERTS);
    Path file = ruleFile(dir, rule);
    GoTools.Result r = GoTools.run("promtool", dir, List.of("check", "rules", file.toString()));
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: 7 rules found");
  }

  @Test
  void eachAlertFiresWhenItShouldAndNotOtherwise(@TempDir Path dir) throws IOException {
    ruleFile(dir, rule("--set", "alerts.runbookBaseUrl=https://example.test/runbooks.md"));
    Files.copy(UNIT_TESTS, dir.resolve("alerts-test.yaml"));
    GoTools.Result r = GoTools.run("promtool", dir, List.of("test", "rules", "alerts-test.yaml"));
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");

    // Each alert is tested both ways.
    JsonNode tests = new YAMLMapper().readTree(UNIT_TESTS.toFile());
    for (String alert : ALERTS) {
      List<JsonNode> cases = new ArrayList<>();
      tests.path("tests").forEach(t -> t.path("alert_rule_test").forEach(cases::add));
      List<JsonNode> mine =
          cases.stream().filter(c -> alert.equals(c.path("alertname").asText())).toList();
      assertThat(mine)
          .as("%s fires in a test", alert)
          .anyMatch(c -> !c.path("exp_alerts").isEmpty());
      assertThat(mine)
          .as("%s stays quiet in a test", alert)
          .anyMatch(c -> c.path("exp_alerts").isEmpty());
    }
  }

  @Test
  void theUnitTestsFailWhenAnAlertIsWrong(@TempDir Path dir) throws IOException {
    // A 5-minute NotReady alert fires where the tests expect it quiet.
    ruleFile(
        dir,
        rule(
            "--set", "alerts.runbookBaseUrl=https://example.test/runbooks.md",
            "--set", "alerts.notReadyFor=5m"));
    Files.copy(UNIT_TESTS, dir.resolve("alerts-test.yaml"));
    GoTools.Result r = GoTools.run("promtool", dir, List.of("test", "rules", "alerts-test.yaml"));
    assertThat(r.exitCode()).as(r.output()).isNotZero();
  }

  @Test
  void everyMetricAndLabelOfTheRulesAndTheirTestsIsInTheCatalog() throws IOException {
    MetricCatalog catalog = MetricCatalog.load();
    for (JsonNode a : alerts(rule())) {
      String expr = a.path("expr").asText();
      List<MetricCatalog.Metric> used = new ArrayList<>();
      for (String name : PromQl.metricNames(expr)) {
        Optional<MetricCatalog.Metric> m = catalog.bySeriesName(name);
        assertThat(m)
            .as("%s: metric %s in the catalog", a.path("alert").asText(), name)
            .isPresent();
        used.add(m.get());
      }
      assertThat(used).as(expr).isNotEmpty();
      for (String label : PromQl.labelNames(expr)) {
        assertThat(used)
            .as("%s: label %s", a.path("alert").asText(), label)
            .anySatisfy(m -> assertThat(m.allLabels()).contains(label));
      }
    }
    Matcher series =
        Pattern.compile("series: '([a-zA-Z_:][a-zA-Z0-9_:]*)\\{([^}]*)}'")
            .matcher(Files.readString(UNIT_TESTS));
    int n = 0;
    while (series.find()) {
      n++;
      Optional<MetricCatalog.Metric> m = catalog.bySeriesName(series.group(1));
      assertThat(m).as("input series %s in the catalog", series.group(1)).isPresent();
      for (String pair : series.group(2).split(",")) {
        String label = pair.substring(0, pair.indexOf('=')).strip();
        assertThat(m.get().allLabels()).as("%s label %s", series.group(1), label).contains(label);
      }
    }
    assertThat(n).isGreaterThan(10);
  }

  @Test
  void everyAlertHasARunbookAndItsLink() throws IOException {
    String runbooks = Files.readString(LocalCluster.repoRoot().resolve("docs/runbooks.md"));
    for (JsonNode a :
        alerts(rule("--set", "alerts.runbookBaseUrl=https://docs.example.test/runbooks.md"))) {
      String alert = a.path("alert").asText();
      assertThat(runbooks)
          .as("docs/runbooks.md section of %s", alert)
          .contains("\n## " + alert + "\n");
      assertThat(a.path("annotations").path("description").asText())
          .contains("docs/runbooks.md, " + alert);
      assertThat(a.path("annotations").path("runbook_url").asText())
          .isEqualTo("https://docs.example.test/runbooks.md#" + alert.toLowerCase());
    }
    assertThat(alerts(rule()))
        .allSatisfy(a -> assertThat(a.path("annotations").has("runbook_url")).isFalse());
  }

  @Test
  void foreignRegistrationFiresOnUnmatchedOnlyWithAWindow() {
    JsonNode both = alert(rule(), "DisaggClusterForeignRegistration");
    assertThat(both.path("expr").asText())
        .isEqualTo(
            "increase(disagg_discovery_foreign_registrations_removed_total[30m]) > 0"
                + " or min_over_time(disagg_discovery_unmatched_registrations[30m]) > 0");
    JsonNode removedOnly =
        alert(
            rule(
                "--set", "alerts.foreignUnmatchedFor=",
                "--set", "alerts.foreignRemovedWindow=1h"),
            "DisaggClusterForeignRegistration");
    assertThat(removedOnly.path("expr").asText())
        .isEqualTo("increase(disagg_discovery_foreign_registrations_removed_total[1h]) > 0");
    assertThat(
            Rendered.templateError(
                "--set", "alerts.enabled=true", "--set", "alerts.foreignUnmatchedFor=soon"))
        .contains("/alerts/foreignUnmatchedFor");
  }

  static JsonNode alert(ObjectNode rule, String name) {
    return alerts(rule).stream()
        .filter(a -> name.equals(a.path("alert").asText()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void severitiesLabelsAndDisabledAlertsAreConfigurable() {
    List<JsonNode> a =
        alerts(
            rule(
                "--set", "alerts.disabled={DisaggClusterStalled}",
                "--set", "alerts.severities.DisaggClusterNotReady=page",
                "--set", "alerts.additionalLabels.team=llm"));
    assertThat(a.stream().map(x -> x.path("alert").asText()))
        .doesNotContain("DisaggClusterStalled")
        .hasSize(6);
    assertThat(a.get(0).path("labels").path("severity").asText()).isEqualTo("page");
    assertThat(a)
        .allSatisfy(x -> assertThat(x.path("labels").path("team").asText()).isEqualTo("llm"));
    assertThat(
            Rendered.templateError(
                "--set", "alerts.enabled=true", "--set", "alerts.disabled={NoSuchAlert}"))
        .contains("/alerts/disabled/0");
    assertThat(
            Rendered.templateError(
                "--set", "alerts.enabled=true", "--set", "alerts.notReadyFor=ten"))
        .contains("/alerts/notReadyFor");
  }
}
