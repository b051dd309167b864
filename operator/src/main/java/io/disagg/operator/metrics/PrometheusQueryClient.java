package io.disagg.operator.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Runs PromQL instant queries against a Prometheus server's HTTP API: {@code GET
 * <baseUrl>/api/v1/query?query=<PromQL>&timeout=<seconds>s}. Answers are read by {@link
 * PrometheusQueryResult#parse}. Redirects are not followed; no authentication is sent.
 */
public class PrometheusQueryClient {

  /** Path of the instant-query endpoint, relative to the base URL. */
  public static final String PATH = "/api/v1/query";

  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param timeout connect timeout and timeout of the whole request, positive; also sent to
   *     Prometheus as the query's evaluation {@code timeout} (whole seconds, at least 1)
   */
  public PrometheusQueryClient(Duration timeout) {
    this.timeout = TextScraper.positive(timeout);
    this.http = TextScraper.client(timeout);
  }

  /** A client with a 3-second timeout. */
  public PrometheusQueryClient() {
    this(Duration.ofSeconds(3));
  }

  /**
   * The request URI of a query.
   *
   * @param baseUrl {@code http(s)://host[:port][/prefix]}, with or without a trailing slash
   * @throws IllegalArgumentException when {@code baseUrl} is not an http(s) URL
   */
  public URI uri(String baseUrl, String promql) {
    String base = baseUrl == null ? "" : baseUrl.strip();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    URI u =
        URI.create(
            base
                + PATH
                + "?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&timeout="
                + Math.max(1, timeout.toSeconds())
                + "s");
    if ((!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) || u.getHost() == null) {
      throw new IllegalArgumentException("not an http(s) URL: " + baseUrl);
    }
    return u;
  }

  /**
   * Runs {@code promql} at {@code baseUrl}. Never throws: a bad URL, a network problem, a timeout,
   * an error answer, no data or a non-number are a {@link PrometheusQueryResult#failed} result.
   */
  public PrometheusQueryResult query(String baseUrl, String promql) {
    URI uri;
    try {
      uri = uri(baseUrl, promql);
    } catch (IllegalArgumentException e) {
      return PrometheusQueryResult.failed("bad prometheus.url: " + e.getMessage());
    }
    HttpRequest req =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Accept", "application/json")
            .GET()
            .build();
    try {
      HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
      return PrometheusQueryResult.parse(resp.statusCode(), resp.body());
    } catch (HttpTimeoutException e) {
      return PrometheusQueryResult.failed("no answer within " + timeout.toMillis() + " ms");
    } catch (IOException e) {
      return PrometheusQueryResult.failed("cannot reach Prometheus: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return PrometheusQueryResult.failed("interrupted");
    }
  }
}
