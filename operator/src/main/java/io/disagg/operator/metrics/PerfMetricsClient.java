package io.disagg.operator.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a worker's {@code GET /perf_metrics}: TensorRT-LLM's per-request performance metrics of the
 * requests finished since the last read ({@code OpenAIServer.get_perf_metrics}, {@code
 * tensorrt_llm/serve/openai_server.py}).
 *
 * <p>Upstream behaviour this relies on: the worker keeps the entries in a {@code
 * deque(maxlen=perf_metrics_max_requests)} only when {@code return_perf_metrics} is true and {@code
 * perf_metrics_max_requests > 0} (else the answer is always {@code []}); {@code _extract_metrics}
 * appends one entry per finished request; <b>each GET swaps the deque for an empty one</b>, so this
 * read takes the entries away from any other reader (the router's own {@code /perf_metrics}, {@code
 * DisaggPerfMetricsCollector} in {@code tensorrt_llm/serve/perf_metrics.py}, reads the same
 * endpoint). An entry's {@code perf_metrics.timing_metrics} holds {@code kv_cache_size} (bytes),
 * {@code kv_cache_transfer_start} and {@code kv_cache_transfer_end} (seconds of the worker's steady
 * clock plus the same offset) only when {@code kv_cache_size > 0}, which only the receiving side,
 * the generation worker, records ({@code RequestPerfMetrics::TimingMetrics}, {@code
 * cpp/include/tensorrt_llm/executor/types.h}).
 */
public class PerfMetricsClient {

  /** Path of the endpoint on workers. */
  public static final String PATH = "/perf_metrics";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TextScraper scraper;

  /**
   * One KV-cache transfer, as a generation worker recorded it.
   *
   * @param bytes {@code kv_cache_size}, bytes received, positive
   * @param seconds {@code kv_cache_transfer_end - kv_cache_transfer_start}, positive
   */
  public record KvTransfer(long bytes, double seconds) {}

  /**
   * What one read returned.
   *
   * @param entries finished requests in the answer
   * @param transfers those of them with a KV-cache transfer (size > 0, end after start)
   */
  public record Read(int entries, List<KvTransfer> transfers) {
    public Read {
      transfers = List.copyOf(transfers);
    }
  }

  /**
   * @param timeout connect and request timeout of one read, positive
   * @throws IllegalArgumentException when the timeout is not positive
   */
  public PerfMetricsClient(Duration timeout) {
    this.scraper = new TextScraper(timeout);
  }

  /** A client with a 2-second timeout. */
  public PerfMetricsClient() {
    this(Duration.ofSeconds(2));
  }

  /**
   * Reads (and so empties) {@code http://host:port/perf_metrics}; empty when it cannot be read: no
   * connection, a status other than 200, a timeout, a body that is not a JSON list. Never throws
   * for a network problem.
   */
  public Optional<Read> read(String host, int port) {
    return scraper
        .get(host, port, PATH)
        .flatMap(
            body -> {
              try {
                return parse(JSON.readTree(body));
              } catch (IOException e) {
                return Optional.empty();
              }
            });
  }

  /**
   * The transfers in a {@code /perf_metrics} answer; empty when it is not a JSON list. Entries
   * without {@code kv_cache_size} (context workers, requests without a transfer), with a size of 0
   * or less, or whose end is not after their start are counted but give no transfer.
   */
  public static Optional<Read> parse(JsonNode body) {
    if (body == null || !body.isArray()) {
      return Optional.empty();
    }
    List<KvTransfer> out = new ArrayList<>();
    for (JsonNode entry : body) {
      JsonNode tm = entry.path("perf_metrics").path("timing_metrics");
      JsonNode size = tm.path("kv_cache_size");
      JsonNode start = tm.path("kv_cache_transfer_start");
      JsonNode end = tm.path("kv_cache_transfer_end");
      if (!size.isNumber() || !start.isNumber() || !end.isNumber()) {
        continue;
      }
      long bytes = size.asLong();
      double seconds = end.asDouble() - start.asDouble();
      if (bytes > 0 && seconds > 0 && Double.isFinite(seconds)) {
        out.add(new KvTransfer(bytes, seconds));
      }
    }
    return Optional.of(new Read(body.size(), out));
  }
}
