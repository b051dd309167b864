package io.disagg.operator.api.v1alpha1;

/**
 * A load signal the autoscaler compares with a per-instance target. Names follow the gauges of a
 * TensorRT-LLM worker's {@code /prometheus/metrics} ({@code tensorrt_llm/metrics/collector.py}).
 */
public enum AutoscalingMetricType {
  /**
   * Requests queued on an instance ({@code trtllm_num_requests_waiting}), requests per instance.
   */
  WaitingRequests,
  /**
   * Requests an instance is processing ({@code trtllm_num_requests_running}), requests per
   * instance.
   */
  RunningRequests,
  /**
   * Fraction of an instance's KV-cache blocks in use ({@code trtllm_kv_cache_utilization}), 0..1.
   */
  KvCacheUtilization,
  /**
   * Running plus waiting requests per instance. The only signal the router offers ({@code
   * ctx_total_requests_total - ctx_completed_requests_total}, {@code gen_...} likewise).
   */
  InFlightRequests
}
