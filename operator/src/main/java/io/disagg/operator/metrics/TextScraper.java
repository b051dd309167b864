package io.disagg.operator.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * One HTTP client for reading Prometheus endpoints: redirects not followed (a redirect means a
 * wrong path, see {@link RouterMetricsClient}), the same timeout for connecting and for the whole
 * request.
 */
final class TextScraper {

  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param timeout connect and request timeout, positive
   * @throws IllegalArgumentException when the timeout is null, zero or negative
   */
  TextScraper(Duration timeout) {
    this.timeout = positive(timeout);
    this.http = client(timeout);
  }

  static Duration positive(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    return timeout;
  }

  static HttpClient client(Duration timeout) {
    return HttpClient.newBuilder()
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /**
   * The Prometheus text exposition at {@code http://host:port<path>} (an IPv6 host is bracketed),
   * or empty when it cannot be read: no connection, a status other than 200, a timeout or a body
   * that does not parse. Never throws for a network problem.
   */
  Optional<PrometheusText.Scrape> scrape(String host, int port, String path) {
    try {
      return get(host, port, path).map(PrometheusText::parse);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The body of {@code GET http://host:port<path>} (an IPv6 host is bracketed), or empty when it
   * cannot be read: no connection, a status other than 200, a redirect, a timeout or an address
   * that is not a URI. Never throws for a network problem.
   */
  Optional<String> get(String host, int port, String path) {
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    try {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create("http://" + h + ":" + port + path))
              .timeout(timeout)
              .GET()
              .build();
      HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
      return resp.statusCode() == 200 ? Optional.of(resp.body()) : Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
