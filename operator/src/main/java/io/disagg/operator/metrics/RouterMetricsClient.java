package io.disagg.operator.metrics;

import java.time.Duration;
import java.util.Optional;

/**
 * Scrapes a disaggregated router's {@code GET /prometheus/metrics} (TensorRT-LLM {@code
 * tensorrt_llm/serve/openai_disagg_server.py} mounts prometheus_client's ASGI app there) and reads
 * the requests in flight per pool ({@link RouterLoad}).
 *
 * <p>The path ends with a slash: the router mounts the app with a plain Starlette {@code
 * app.mount("/prometheus/metrics", ...)}, which answers {@code /prometheus/metrics} with a 307
 * redirect to {@code /prometheus/metrics/} (workers register a regex route that serves both).
 * Redirects are not followed, so the client asks for the final path at once.
 */
public class RouterMetricsClient {

  /** Path of the router's Prometheus endpoint. */
  public static final String PATH = "/prometheus/metrics/";

  private final TextScraper scraper;

  /**
   * @param timeout connect and read timeout of one scrape, positive
   * @throws IllegalArgumentException when the timeout is not positive
   */
  public RouterMetricsClient(Duration timeout) {
    this.scraper = new TextScraper(timeout);
  }

  /** A client with a 2-second timeout. */
  public RouterMetricsClient() {
    this(Duration.ofSeconds(2));
  }

  /**
   * The in-flight requests the router at {@code host:port} reports, or empty when it cannot be read
   * (not serving, HTTP status other than 200, timeout). Never throws for a network problem.
   */
  public Optional<RouterLoad> load(String host, int port) {
    return scraper.scrape(host, port, PATH).map(RouterLoad::from);
  }
}
