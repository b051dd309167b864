package io.disagg.operator.api.v1alpha1;

/** Where the autoscaler reads a pool's load from. */
public enum MetricsSource {
  /** Each ready worker's {@code /prometheus/metrics} (needs {@code return_perf_metrics: true}, which the operator writes). */
  Pods,
  /** The router's {@code /prometheus/metrics}: requests sent to minus requests completed by the pool. */
  Router,
  /** A Prometheus server: one PromQL query per metric. */
  Prometheus
}
