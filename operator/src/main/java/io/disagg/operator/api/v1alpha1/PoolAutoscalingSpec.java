package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Autoscaling of one pool between {@code minimalInstances} and {@code maxInstances}. The desired
 * count is computed per metric as the HorizontalPodAutoscaler does and the largest wins.
 *
 * <p>{@code evaluationIntervalSeconds} (seconds, 5..3600, default 15) stays at least 5 on purpose:
 * each evaluation is a full reconcile that reads every ready worker serially (2 s timeout each) or
 * runs up to four Prometheus queries (3 s timeout each); TensorRT-LLM's gauges and a Prometheus
 * scrape (typically every 15-30 s) change no faster; and what the decision changes, an instance
 * loading a model, takes minutes. A 1-second interval would multiply the operator's work and the
 * scrapes of the workers by 15 without reacting measurably sooner.
 */
@ValidationRule(
    value =
        "!has(self.metrics) || self.metrics.all(m, self.metrics.exists_one(n, n.type == m.type))",
    message = "autoscaling.metrics must not list a type twice")
@ValidationRule(
    value =
        "self.source != 'Router' || (has(self.metrics) && size(self.metrics) > 0 && self.metrics.all(m, m.type == 'InFlightRequests'))",
    message =
        "autoscaling.source Router provides only InFlightRequests (requests the router sent to the pool minus those completed): list metrics with type InFlightRequests and a target")
@ValidationRule(
    value =
        "self.source != 'Prometheus' || (has(self.prometheus) && has(self.metrics) && size(self.metrics) > 0 && self.metrics.all(m, has(m.query)))",
    message =
        "autoscaling.source Prometheus needs autoscaling.prometheus.url and a query on every entry of autoscaling.metrics")
@ValidationRule(
    value =
        "self.source == 'Prometheus' || !has(self.metrics) || self.metrics.all(m, !has(m.query))",
    message = "autoscaling.metrics[].query is only used with autoscaling.source Prometheus")
public class PoolAutoscalingSpec {

  @Default("false")
  @JsonPropertyDescription(
      "Let the operator size the pool from its load, between minimalInstances and maxInstances (maxInstances is then required). replicas becomes the initial count.")
  private boolean enabled;

  @Default("Pods")
  @JsonPropertyDescription(
      "Where the load is read: Pods (each ready worker's /prometheus/metrics), Router (every ready router pod's /prometheus/metrics/ counters <ctx|gen>_total_requests_total - <ctx|gen>_completed_requests_total, summed over the router replicas and divided by the pool's ready instances; InFlightRequests only) or Prometheus (a PromQL instant query per metric, GET <prometheus.url>/api/v1/query, whose single result is the per-instance average). A source that cannot be read never lowers the pool.")
  private MetricsSource source = MetricsSource.Pods;

  @JsonPropertyDescription("The Prometheus server, for source Prometheus.")
  private PrometheusSourceSpec prometheus;

  @Size(min = 1, max = 4)
  @JsonPropertyDescription(
      "Signals and per-instance targets; the pool gets the largest count any of them asks for. Unset: context [InFlightRequests 1], generation [KvCacheUtilization 0.8, RunningRequests 0.8 * llmApiOptions.max_batch_size (only when max_batch_size is set)].")
  private List<AutoscalingMetricSpec> metrics;

  @Default("0.1")
  @Min(0)
  @Max(1)
  @JsonPropertyDescription(
      "Relative deviation from the target ignored, as a fraction (0.1 = no change while the average is within 10% of the target), as HPA.")
  private double tolerance = 0.1;

  @Default("15")
  @Min(5)
  @Max(3600)
  @JsonPropertyDescription(
      "Seconds between evaluations (and scrapes or queries), 5..3600. Samples older than three intervals count as missing. The last evaluation time is kept in the status, so an operator restart does not cause an early evaluation.")
  private int evaluationIntervalSeconds = 15;

  @JsonPropertyDescription(
      "Stabilization windows and step limits per direction, like HPA's behavior.")
  private AutoscalingBehavior behavior = new AutoscalingBehavior();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public MetricsSource getSource() {
    return source;
  }

  public void setSource(MetricsSource source) {
    this.source = source;
  }

  public PrometheusSourceSpec getPrometheus() {
    return prometheus;
  }

  public void setPrometheus(PrometheusSourceSpec prometheus) {
    this.prometheus = prometheus;
  }

  public List<AutoscalingMetricSpec> getMetrics() {
    return metrics;
  }

  public void setMetrics(List<AutoscalingMetricSpec> metrics) {
    this.metrics = metrics;
  }

  public double getTolerance() {
    return tolerance;
  }

  public void setTolerance(double tolerance) {
    this.tolerance = tolerance;
  }

  public int getEvaluationIntervalSeconds() {
    return evaluationIntervalSeconds;
  }

  public void setEvaluationIntervalSeconds(int evaluationIntervalSeconds) {
    this.evaluationIntervalSeconds = evaluationIntervalSeconds;
  }

  public AutoscalingBehavior getBehavior() {
    return behavior;
  }

  public void setBehavior(AutoscalingBehavior behavior) {
    this.behavior = behavior;
  }
}
