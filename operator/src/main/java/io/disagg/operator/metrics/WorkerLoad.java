package io.disagg.operator.metrics;

/**
 * Load of one TensorRT-LLM worker, read from its {@code /prometheus/metrics} (served with {@code
 * return_perf_metrics: true}; gauge names of current releases: {@code trtllm_num_requests_running},
 * {@code trtllm_num_requests_waiting}, {@code trtllm_kv_cache_utilization}). A field is null when
 * the worker does not export it (older releases export only latency histograms).
 *
 * @param running requests being processed
 * @param waiting requests queued
 * @param kvCacheUtilization fraction of KV-cache blocks in use, 0..1
 */
public record WorkerLoad(Double running, Double waiting, Double kvCacheUtilization) {

  /** Gauge names, as exported by TensorRT-LLM ({@code tensorrt_llm/metrics/collector.py}). */
  public static final String RUNNING = "trtllm_num_requests_running";

  public static final String WAITING = "trtllm_num_requests_waiting";
  public static final String KV_CACHE_UTILIZATION = "trtllm_kv_cache_utilization";

  /** Reads the gauges from a scrape. */
  public static WorkerLoad from(PrometheusText.Scrape scrape) {
    return new WorkerLoad(
        scrape.sum(RUNNING), scrape.sum(WAITING), scrape.sum(KV_CACHE_UTILIZATION));
  }

  /** Running plus waiting requests, rounded up; null when the worker exports neither. */
  public Integer inFlight() {
    if (running == null && waiting == null) {
      return null;
    }
    double total = (running == null ? 0 : running) + (waiting == null ? 0 : waiting);
    return (int) Math.ceil(total);
  }
}
