package io.disagg.operator.api.v1alpha1;

/**
 * Where the autoscaler reads a pool's load from. Whatever the source, a reading that fails, is
 * missing or older than three evaluation intervals never lowers the pool.
 */
public enum MetricsSource {
  /**
   * Each ready worker's {@code /prometheus/metrics} (needs {@code return_perf_metrics: true}, which
   * the operator writes).
   */
  Pods,
  /**
   * Every ready router pod's {@code /prometheus/metrics/}: {@code <ctx|gen>_total_requests_total -
   * <ctx|gen>_completed_requests_total} (TensorRT-LLM {@code tensorrt_llm/serve/perf_metrics.py},
   * counted by the router's client per role in {@code openai_client.py}; failed requests count as
   * completed), summed over the router replicas, divided by the pool's ready instances: requests in
   * flight per instance, metric {@code InFlightRequests} only. All replicas or none: if one cannot
   * be read, the pool has no sample.
   */
  Router,
  /**
   * A Prometheus server's HTTP API ({@code GET <url>/api/v1/query?query=<PromQL>}): one instant
   * query per metric whose single result (a one-series vector or a scalar) is the per-instance
   * average over the pool's serving instances. An error, an empty result, several series, NaN,
   * infinity or a negative value is no sample.
   */
  Prometheus
}
