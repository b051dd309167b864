package io.disagg.operator.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param timeout connect and read timeout of one scrape
   */
  public WorkerMetricsClient(Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
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
      return Optional.of(WorkerLoad.from(PrometheusText.parse(resp.body())));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
