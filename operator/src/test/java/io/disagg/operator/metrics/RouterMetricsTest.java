package io.disagg.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RouterMetricsTest {

  /**
   * As prometheus_client's multiprocess collector renders the router's counters (perf_metrics.py).
   */
  static final String ROUTER =
      """
      # HELP ctx_total_requests_total Total number of requests
      # TYPE ctx_total_requests_total counter
      ctx_total_requests_total 120.0
      # HELP ctx_completed_requests_total Total number of completed requests
      # TYPE ctx_completed_requests_total counter
      ctx_completed_requests_total 117.0
      ctx_error_requests_total 1.0
      gen_total_requests_total 110.0
      gen_completed_requests_total 100.0
      # TYPE gen_first_token_latency_seconds histogram
      gen_first_token_latency_seconds_bucket{le="0.1"} 90.0
      gen_first_token_latency_seconds_bucket{le="+Inf"} 100.0
      total_requests_total 120.0
      """;

  @Test
  void inFlightIsTotalMinusCompletedPerPool() {
    RouterLoad l = RouterLoad.from(PrometheusText.parse(ROUTER));
    assertThat(l.contextInFlight()).isEqualTo(3.0);
    assertThat(l.generationInFlight()).isEqualTo(10.0);
  }

  @Test
  void missingCountersAreNullAndANegativeDifferenceIsZero() {
    RouterLoad old =
        RouterLoad.from(
            PrometheusText.parse("total_requests_total 5\nctx_total_requests_total 4\n"));
    assertThat(old.contextInFlight()).as("completed counter missing").isNull();
    assertThat(old.generationInFlight()).isNull();
    RouterLoad racy =
        RouterLoad.from(
            PrometheusText.parse(
                "ctx_total_requests_total 4\nctx_completed_requests_total 5\ngen_total_requests_total 0\ngen_completed_requests_total 0\n"));
    assertThat(racy.contextInFlight()).isZero();
    assertThat(racy.generationInFlight()).isZero();
  }

  @Test
  void replicasAreSummedAndAMissingPoolInAnyReplicaIsMissing() {
    RouterLoad sum = RouterLoad.sum(List.of(new RouterLoad(1.0, 2.0), new RouterLoad(3.0, 4.0)));
    assertThat(sum).isEqualTo(new RouterLoad(4.0, 6.0));
    assertThat(RouterLoad.sum(List.of(new RouterLoad(1.0, 2.0), new RouterLoad(null, 4.0))))
        .isEqualTo(new RouterLoad(null, 6.0));
    assertThat(RouterLoad.sum(List.of())).isEqualTo(new RouterLoad(null, null));
  }

  @Test
  void clientReadsTheRouterEndpointWithTheTrailingSlash() throws Exception {
    try (LoopbackHttpServer router = new LoopbackHttpServer()) {
      router.answer(200, "text/plain; version=0.0.4", ROUTER);
      RouterMetricsClient client = new RouterMetricsClient(Duration.ofSeconds(2));
      Optional<RouterLoad> l = client.load(router.host(), router.port());
      assertThat(l).contains(new RouterLoad(3.0, 10.0));
      assertThat(router.requests()).containsExactly("/prometheus/metrics/");

      router.redirect(307, "/prometheus/metrics/");
      assertThat(client.load(router.host(), router.port()))
          .as("redirects are not followed")
          .isEmpty();
      router.answer(500, "text/plain", "oops");
      assertThat(client.load(router.host(), router.port())).isEmpty();
      router.answer(200, "text/plain", ROUTER);
      router.hold();
      assertThat(new RouterMetricsClient(Duration.ofMillis(300)).load(router.host(), router.port()))
          .as("timeout")
          .isEmpty();
    }
  }
}
