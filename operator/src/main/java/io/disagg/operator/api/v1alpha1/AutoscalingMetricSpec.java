package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * One load signal and its per-instance target. The pool is sized so that the average per instance
 * meets the target: {@code desired = ceil(current * average / target)}, as the
 * HorizontalPodAutoscaler does for {@code AverageValue} targets.
 */
@ValidationRule(
    value = "self.type != 'KvCacheUtilization' || !has(self.target) || self.target <= 1.0",
    message =
        "autoscaling.metrics[].target of a KvCacheUtilization metric is a fraction of the KV-cache blocks: at most 1 (e.g. 0.8)")
@ValidationRule(
    value = "self.type != 'InFlightRequests' || has(self.target)",
    message =
        "autoscaling.metrics[].target is required for InFlightRequests: no default fits both pools (context about 1, the target of its default metric; generation a batch, e.g. 0.8 * max_batch_size)")
public class AutoscalingMetricSpec {

  @Required
  @JsonPropertyDescription(
      "The signal: WaitingRequests (queued requests per instance), RunningRequests (requests being processed per instance), KvCacheUtilization (fraction 0..1 of KV-cache blocks in use), InFlightRequests (running + waiting per instance; the only one source Router provides).")
  private AutoscalingMetricType type;

  @Min(value = 0, inclusive = false)
  @JsonPropertyDescription(
      "Per-instance average to keep: requests per instance, or a fraction 0..1 for KvCacheUtilization. Unset: WaitingRequests 2, KvCacheUtilization 0.8, RunningRequests 0.8 * llmApiOptions.max_batch_size (required when max_batch_size is unset), InFlightRequests required (the context pool's default metric list has it at 1).")
  private Double target;

  @JsonPropertyDescription(
      "Source Prometheus only: PromQL instant query whose single result (a one-series vector or a scalar) is the per-instance AVERAGE of this signal over the pool's serving pods, in the metric's unit, e.g. avg(trtllm_kv_cache_utilization{pod=~\"mycluster-generation-[0-9]+\"}). The operator multiplies it by the pool's ready instances. Several series, no data, NaN or a negative value count as missing.")
  private String query;

  public AutoscalingMetricSpec() {}

  public AutoscalingMetricSpec(AutoscalingMetricType type, Double target) {
    this.type = type;
    this.target = target;
  }

  public AutoscalingMetricType getType() {
    return type;
  }

  public void setType(AutoscalingMetricType type) {
    this.type = type;
  }

  public Double getTarget() {
    return target;
  }

  public void setTarget(Double target) {
    this.target = target;
  }

  public String getQuery() {
    return query;
  }

  public void setQuery(String query) {
    this.query = query;
  }
}
