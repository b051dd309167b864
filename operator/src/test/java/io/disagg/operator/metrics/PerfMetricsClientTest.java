package io.disagg.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@link PerfMetricsClient} against the shape of {@code OpenAIServer.get_perf_metrics} answers
 * ({@code tensorrt_llm/serve/openai_server.py}): generation entries carry {@code kv_cache_size} and
 * the transfer times, context entries do not.
 */
class PerfMetricsClientTest {

  /** A generation worker's entry (receiving side: size and times present). */
  private static String gen(long id, long size, double start, double end) {
    return """
        {"request_id": %d, "ctx_request_id": %d,
         "perf_metrics": {"first_iter": 3, "last_iter": 9,
           "timing_metrics": {"server_arrival_time": null, "arrival_time": 100.0,
             "first_scheduled_time": 100.1, "first_token_time": 100.2,
             "server_first_token_time": null, "last_token_time": 100.9,
             "kv_cache_size": %d, "kv_cache_transfer_start": %s, "kv_cache_transfer_end": %s},
           "kv_cache_metrics": {"num_total_allocated_blocks": 4, "num_new_allocated_blocks": 4,
             "num_reused_blocks": 0, "num_missed_blocks": 0}}}
        """
        .formatted(id, id, size, start, end);
  }

  /** A context worker's entry: no kv_cache_* keys (kv_cache_size is 0 on the sending side). */
  private static final String CTX =
      """
      {"request_id": 7, "ctx_request_id": 7,
       "perf_metrics": {"first_iter": 1, "last_iter": 1,
         "timing_metrics": {"arrival_time": 1.0, "first_scheduled_time": 1.0,
           "first_token_time": 1.1, "last_token_time": 1.1},
         "kv_cache_metrics": {"num_total_allocated_blocks": 1, "num_new_allocated_blocks": 1,
           "num_reused_blocks": 0, "num_missed_blocks": 0}}}
      """;

  @Test
  void readsTransfersOfGenerationEntriesAndCountsTheOthers() throws Exception {
    try (LoopbackHttpServer server = new LoopbackHttpServer()) {
      server.answer(
          200,
          "application/json",
          "["
              + gen(1, 1_000_000, 10.0, 10.5)
              + ","
              + CTX
              + ","
              + gen(2, 0, 11.0, 11.5)
              + ","
              + gen(3, 500, 12.0, 12.0)
              + "]");
      PerfMetricsClient client = new PerfMetricsClient(Duration.ofSeconds(2));
      PerfMetricsClient.Read r = client.read("127.0.0.1", server.port()).orElseThrow();
      assertThat(r.entries()).isEqualTo(4);
      assertThat(r.transfers()).containsExactly(new PerfMetricsClient.KvTransfer(1_000_000, 0.5));
      assertThat(server.requests()).containsExactly(PerfMetricsClient.PATH);
    }
  }

  @Test
  void anEmptyListIsARead() throws Exception {
    try (LoopbackHttpServer server = new LoopbackHttpServer()) {
      server.answer(200, "application/json", "[]");
      PerfMetricsClient.Read r =
          new PerfMetricsClient().read("127.0.0.1", server.port()).orElseThrow();
      assertThat(r.entries()).isZero();
      assertThat(r.transfers()).isEmpty();
    }
  }

  @Test
  void errorsAndOtherBodiesAreNoRead() throws Exception {
    try (LoopbackHttpServer server = new LoopbackHttpServer()) {
      PerfMetricsClient client = new PerfMetricsClient(Duration.ofSeconds(2));
      server.answer(404, "application/json", "{\"detail\": \"Not Found\"}");
      assertThat(client.read("127.0.0.1", server.port())).isEmpty();
      server.answer(200, "application/json", "{\"not\": \"a list\"}");
      assertThat(client.read("127.0.0.1", server.port())).isEmpty();
      server.answer(200, "text/plain", "garbage");
      assertThat(client.read("127.0.0.1", server.port())).isEmpty();
    }
  }
}
