package io.disagg.operator.metrics;

import java.time.Duration;
import java.util.Optional;

/**
 * Scrapes a worker's {@code GET /prometheus/metrics}. Uses that endpoint and never the JSON {@code
 * /metrics}, because each read of the latter drains TensorRT-LLM's stats queue and would steal them
 * from any other consumer.
 */
public class WorkerMetricsClient {

  /** Path of the Prometheus endpoint on workers and router. */
  public static final String PATH = "/prometheus/metrics";

  private final TextScraper scraper;

  /**
   * @param timeout connect and read timeout of one scrape, positive
   * @throws IllegalArgumentException when the timeout is not positive
   */
  public WorkerMetricsClient(Duration timeout) {
    this.scraper = new TextScraper(timeout);
  }

  /** A client with a 2-second timeout. */
  public WorkerMetricsClient() {
    this(Duration.ofSeconds(2));
  }

  /**
   * The load of the worker at {@code host:port}, or empty when it cannot be read (not serving yet,
   * wrong status, timeout). Never throws for a network problem.
   */
  public Optional<WorkerLoad> load(String host, int port) {
    return scraper.scrape(host, port, PATH).map(WorkerLoad::from);
  }
}
