package io.disagg.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  static final String TRTLLM =
      """
      # HELP trtllm_num_requests_running Number of requests currently running.
      # TYPE trtllm_num_requests_running gauge
      trtllm_num_requests_running{model_name="llama",engine_type="trtllm"} 3.0
      # HELP trtllm_num_requests_waiting Number of requests waiting.
      # TYPE trtllm_num_requests_waiting gauge
      trtllm_num_requests_waiting{model_name="llama",engine_type="trtllm"} 2.0
      trtllm_kv_cache_utilization{model_name="llama"} 0.625
      # TYPE time_to_first_token_seconds histogram
      time_to_first_token_seconds_bucket{le="0.5",model_name="llama"} 4.0
      time_to_first_token_seconds_bucket{le="+Inf",model_name="llama"} 7.0
      time_to_first_token_seconds_sum{model_name="llama"} 2.5 1700000000000
      weird_metric{path="a\\"b\\\\c\\nd"} NaN
      """;

  @Test
  void readsTensorRtLlmGaugesAndHistograms() {
    PrometheusText.Scrape s = PrometheusText.parse(TRTLLM);
    assertThat(s.unreadableLines()).isZero();
    assertThat(s.sum("trtllm_num_requests_running")).isEqualTo(3.0);
    assertThat(s.samples())
        .anySatisfy(
            x -> {
              assertThat(x.name()).isEqualTo("time_to_first_token_seconds_bucket");
              assertThat(x.labels()).containsEntry("le", "+Inf");
              assertThat(x.value()).isEqualTo(7.0);
            });
    assertThat(s.sum("time_to_first_token_seconds_sum")).isEqualTo(2.5);
    assertThat(s.samples())
        .anySatisfy(x -> assertThat(x.labels()).containsEntry("path", "a\"b\\c\nd"));
    assertThat(s.sum("weird_metric")).isNull();

    WorkerLoad load = WorkerLoad.from(s);
    assertThat(load.inFlight()).isEqualTo(5);
    assertThat(load.kvCacheUtilization()).isEqualTo(0.625);
  }

  @Test
  void sumsAcrossLabelSetsAndSkipsBrokenLines() {
    PrometheusText.Scrape s =
        PrometheusText.parse(
            """
        a{x="1"} 1
        a{x="2"} 2.5e0
        a{x="3" 4
        {x="1"} 3
        b notanumber
        c +Inf
        """);
    assertThat(s.sum("a")).isEqualTo(3.5);
    assertThat(s.unreadableLines()).isEqualTo(3);
    assertThat(s.sum("c")).isInfinite();
  }

  @Test
  void olderReleasesWithoutGaugesGiveUnknownLoad() {
    WorkerLoad load =
        WorkerLoad.from(PrometheusText.parse("time_to_first_token_seconds_count 3\n"));
    assertThat(load.inFlight()).isNull();
  }
}
