package io.disagg.operator.metrics;

/**
 * Requests in flight per pool as seen by the disaggregated router ({@code trtllm-serve
 * disaggregated}), read from its {@code GET /prometheus/metrics}.
 *
 * <p>Upstream (TensorRT-LLM {@code tensorrt_llm/serve/perf_metrics.py}, {@code
 * ClientMetricsCollector}; incremented in {@code tensorrt_llm/serve/openai_client.py}): the
 * router's client of each role counts {@code <role>_total_requests} when it sends a request to a
 * worker of that role and {@code <role>_completed_requests} when the request finishes, in a {@code
 * finally} block, so failed requests count as completed too. Prefix {@code ctx} is the context
 * pool, {@code gen} the generation pool. prometheus_client exports the counters with the suffix
 * {@code _total}. The difference is therefore the number of requests the pool is processing or
 * queueing right now (running + waiting, summed over the pool's workers). Both counters restart at
 * 0 together when the router restarts, so the difference stays right.
 *
 * @param contextInFlight requests in flight on the context pool (requests, at least 0), or null
 *     when the router does not export the counters (older releases)
 * @param generationInFlight likewise for the generation pool
 */
public record RouterLoad(Double contextInFlight, Double generationInFlight) {

  public static final String CTX_TOTAL = "ctx_total_requests_total";
  public static final String CTX_COMPLETED = "ctx_completed_requests_total";
  public static final String GEN_TOTAL = "gen_total_requests_total";
  public static final String GEN_COMPLETED = "gen_completed_requests_total";

  /** Reads the counters from one router's scrape. */
  public static RouterLoad from(PrometheusText.Scrape scrape) {
    return new RouterLoad(
        inFlight(scrape, CTX_TOTAL, CTX_COMPLETED), inFlight(scrape, GEN_TOTAL, GEN_COMPLETED));
  }

  /**
   * The load behind several router replicas: each replica counts only the requests it routed, so
   * the pool's in flight is the sum. Null for a pool when any replica lacks it (a partial sum would
   * understate the load, and understated load could lower the pool).
   */
  public static RouterLoad sum(Iterable<RouterLoad> loads) {
    double ctx = 0;
    double gen = 0;
    boolean ctxOk = true;
    boolean genOk = true;
    boolean any = false;
    for (RouterLoad l : loads) {
      any = true;
      if (l.contextInFlight() == null) {
        ctxOk = false;
      } else {
        ctx += l.contextInFlight();
      }
      if (l.generationInFlight() == null) {
        genOk = false;
      } else {
        gen += l.generationInFlight();
      }
    }
    return new RouterLoad(any && ctxOk ? ctx : null, any && genOk ? gen : null);
  }

  private static Double inFlight(PrometheusText.Scrape scrape, String total, String completed) {
    Double t = scrape.sum(total);
    Double c = scrape.sum(completed);
    if (t == null || c == null || !Double.isFinite(t) || !Double.isFinite(c)) {
      return null;
    }
    // The two counters are not read atomically: a request completing between them can make the
    // difference briefly negative.
    return Math.max(0, t - c);
  }
}
