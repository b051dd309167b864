package io.disagg.operator.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.RouterLoad;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SampleTest {

  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void routerLoadIsSpreadOverTheReadyInstancesOfItsPool() {
    RouterLoad load = new RouterLoad(3.0, 10.0);
    assertThat(Sample.fromRouter(load, Pool.CONTEXT, 2, T))
        .containsExactly(new Sample(AutoscalingMetricType.InFlightRequests, 1.5, 2, T));
    assertThat(Sample.fromRouter(load, Pool.GENERATION, 4, T))
        .containsExactly(new Sample(AutoscalingMetricType.InFlightRequests, 2.5, 4, T));
  }

  @Test
  void noRouterSampleWithoutTheCountersOrWithoutReadyInstances() {
    assertThat(Sample.fromRouter(new RouterLoad(null, 1.0), Pool.CONTEXT, 2, T)).isEmpty();
    assertThat(Sample.fromRouter(new RouterLoad(1.0, 1.0), Pool.GENERATION, 0, T)).isEmpty();
    assertThat(Sample.fromRouter(null, Pool.GENERATION, 2, T)).isEmpty();
  }

  @Test
  void perInstanceAverageCoversTheReadyInstancesAndRejectsNonNumbers() {
    assertThat(Sample.perInstance(AutoscalingMetricType.KvCacheUtilization, 0.9, 3, T))
        .containsExactly(new Sample(AutoscalingMetricType.KvCacheUtilization, 0.9, 3, T));
    assertThat(Sample.perInstance(AutoscalingMetricType.KvCacheUtilization, Double.NaN, 3, T))
        .isEmpty();
    assertThat(
            Sample.perInstance(
                AutoscalingMetricType.KvCacheUtilization, Double.POSITIVE_INFINITY, 3, T))
        .isEmpty();
    assertThat(Sample.perInstance(AutoscalingMetricType.WaitingRequests, -1.0, 3, T)).isEmpty();
    assertThat(Sample.perInstance(AutoscalingMetricType.WaitingRequests, null, 3, T)).isEmpty();
    assertThat(Sample.perInstance(AutoscalingMetricType.WaitingRequests, 1.0, 0, T)).isEmpty();
  }
}
