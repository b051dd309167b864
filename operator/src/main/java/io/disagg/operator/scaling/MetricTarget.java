package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import java.util.Objects;

/**
 * One resolved autoscaling metric.
 *
 * @param type the signal
 * @param target per-instance average to keep: requests per instance, or a fraction 0..1 for {@link
 *     AutoscalingMetricType#KvCacheUtilization}; greater than 0
 * @param query PromQL returning the per-instance average (source Prometheus only), else null
 */
public record MetricTarget(AutoscalingMetricType type, double target, String query) {
  public MetricTarget {
    Objects.requireNonNull(type, "type");
    if (!(target > 0) || Double.isInfinite(target)) {
      throw new IllegalArgumentException(
          "target of " + type + " must be a positive number, is " + target);
    }
  }
}
