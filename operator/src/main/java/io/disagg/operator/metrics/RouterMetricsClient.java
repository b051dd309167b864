package io.disagg.operator.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param timeout connect and read timeout of one scrape, positive
   */
  public RouterMetricsClient(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
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
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://" + h + ":" + port + PATH))
            .timeout(timeout)
            .GET()
            .build();
    try {
      HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() != 200) {
        return Optional.empty();
      }
      return Optional.of(RouterLoad.from(PrometheusText.parse(resp.body())));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
