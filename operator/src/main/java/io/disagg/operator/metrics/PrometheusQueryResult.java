package io.disagg.operator.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The outcome of one Prometheus instant query ({@code GET /api/v1/query}): a single finite,
 * non-negative number, or why there is none. Never both.
 *
 * <p>{@link #parse} accepts what the Prometheus HTTP API documents
 * (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries):
 *
 * <ul>
 *   <li>{@code {"status":"success","data":{"resultType":"vector","result":[{"metric":{...},
 *       "value":[<unix time>,"<number>"]}]}}} with exactly one series: its value;
 *   <li>{@code resultType} {@code scalar}: {@code "result":[<unix time>,"<number>"]};
 *   <li>an empty vector: no value ("no data": the series does not exist or went stale);
 *   <li>several series: no value (ambiguous; the query must aggregate, e.g. {@code avg(...)});
 *   <li>{@code NaN}, {@code +Inf}, {@code -Inf} or a negative number: no value;
 *   <li>{@code {"status":"error","errorType":...,"error":...}} (HTTP 400, 422, 503...): no value,
 *       with Prometheus' message;
 *   <li>{@code matrix} or {@code string} results and anything unparsable: no value.
 * </ul>
 *
 * @param value the number (finite, at least 0), or null
 * @param error why there is no value (for the status message and the log), or null
 */
public record PrometheusQueryResult(Double value, String error) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ERROR_CHARS = 200;

  public PrometheusQueryResult {
    if ((value == null) == (error == null)) {
      throw new IllegalArgumentException("exactly one of value and error must be set");
    }
    if (value != null && (!Double.isFinite(value) || value < 0)) {
      throw new IllegalArgumentException("value must be a finite number >= 0, is " + value);
    }
  }

  /** A value. */
  public static PrometheusQueryResult of(double value) {
    return new PrometheusQueryResult(value, null);
  }

  /** No value, and why. */
  public static PrometheusQueryResult failed(String error) {
    return new PrometheusQueryResult(null, error);
  }

  /** Whether there is a value. */
  public boolean ok() {
    return value != null;
  }

  /**
   * Reads an HTTP answer of {@code /api/v1/query}. Never throws.
   *
   * @param httpStatus the HTTP status code
   * @param body the response body (may be null or not JSON)
   */
  public static PrometheusQueryResult parse(int httpStatus, String body) {
    JsonNode root;
    try {
      root = body == null || body.isBlank() ? null : JSON.readTree(body);
    } catch (IOException e) {
      root = null;
    }
    if (root == null || !root.isObject()) {
      return failed("HTTP " + httpStatus + ", not a Prometheus API answer: " + abbreviate(body));
    }
    String status = root.path("status").asText("");
    if (!"success".equals(status)) {
      return failed(
          "HTTP "
              + httpStatus
              + ", Prometheus "
              + root.path("errorType").asText("error")
              + ": "
              + abbreviate(root.path("error").asText(status.isEmpty() ? "no status" : status)));
    }
    if (httpStatus != 200) {
      return failed("HTTP " + httpStatus);
    }
    JsonNode data = root.path("data");
    String type = data.path("resultType").asText("");
    JsonNode result = data.path("result");
    return switch (type) {
      case "scalar" -> number(result);
      case "vector" -> {
        if (!result.isArray()) {
          yield failed("vector result is not a list");
        }
        if (result.isEmpty()) {
          yield failed("no data (empty result: the series does not exist or is stale)");
        }
        if (result.size() > 1) {
          yield failed(
              result.size() + " series returned, expected one: aggregate the query, e.g. avg(...)");
        }
        yield number(result.get(0).path("value"));
      }
      default ->
          failed(
              "result type '"
                  + type
                  + "' is not supported: use an instant query returning a vector or scalar");
    };
  }

  /** A {@code [<unix time>, "<number>"]} pair. */
  private static PrometheusQueryResult number(JsonNode pair) {
    if (!pair.isArray() || pair.size() != 2 || !pair.get(1).isTextual()) {
      return failed("malformed sample " + abbreviate(pair.toString()));
    }
    String text = pair.get(1).asText().strip();
    double v;
    try {
      v =
          switch (text) {
            case "NaN" -> Double.NaN;
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
          };
    } catch (NumberFormatException e) {
      return failed("value '" + abbreviate(text) + "' is not a number");
    }
    if (!Double.isFinite(v)) {
      return failed("value is " + text);
    }
    if (v < 0) {
      return failed("value " + text + " is negative");
    }
    return of(v);
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "(empty)";
    }
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= MAX_ERROR_CHARS ? one : one.substring(0, MAX_ERROR_CHARS) + "...";
  }
}
