package io.disagg.operator.scaling;

import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.WaitingRequests;
import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.MutableClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutoscalingMetricsTest {

  /** A decision of the context pool (WaitingRequests) from 1 to 2 instances. */
  private static Autoscaler.PoolDecision scaleUp() {
    Autoscaler scaler = new Autoscaler(new MutableClock(AutoscalerTest.T0));
    Autoscaler.PoolInput ctx =
        AutoscalerTest.pool(
            AutoscalerTest.waiting(1, 4),
            1,
            1,
            WaitingRequests,
            4.0,
            AutoscalerTest.T0,
            AutoscalerTest.old());
    Autoscaler.PoolDecision d =
        scaler
            .decide(new Autoscaler.Input(ctx, AutoscalerTest.fixed(1), ClusterPolicy.NONE))
            .context();
    assertThat(d.changed()).isTrue();
    return d;
  }

  private static int meters(MeterRegistry r, String name) {
    return (int) r.getMeters().stream().filter(m -> name.equals(m.getId().getTag("name"))).count();
  }

  @Test
  void removeDropsEveryMeterOfTheClusterAndOnlyThose() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AutoscalingMetrics m = new AutoscalingMetrics(registry);
    m.record("serving", "a", scaleUp());
    m.record("serving", "b", scaleUp());
    m.record("other", "a", scaleUp());
    // desired replicas, observed load, target, decisions{up}
    assertThat(meters(registry, "a")).isEqualTo(8);

    assertThat(m.remove("serving", "a")).isEqualTo(4);

    assertThat(
            registry
                .find(AutoscalingMetrics.DESIRED_REPLICAS)
                .tags("namespace", "serving", "name", "a")
                .gauge())
        .isNull();
    assertThat(
            registry
                .find(AutoscalingMetrics.DECISIONS)
                .tags("namespace", "serving", "name", "a")
                .counter())
        .isNull();
    assertThat(
            registry
                .find(AutoscalingMetrics.DESIRED_REPLICAS)
                .tags("namespace", "serving", "name", "b")
                .gauge())
        .isNotNull();
    assertThat(
            registry
                .find(AutoscalingMetrics.DESIRED_REPLICAS)
                .tags("namespace", "other", "name", "a")
                .gauge())
        .isNotNull();
    assertThat(m.remove("serving", "a")).as("idempotent").isZero();

    // A cluster created again under the same name gets fresh meters.
    m.record("serving", "a", scaleUp());
    assertThat(
            registry
                .find(AutoscalingMetrics.DESIRED_REPLICAS)
                .tags("namespace", "serving", "name", "a")
                .gauge()
                .value())
        .isEqualTo(2.0);
    assertThat(
            registry
                .find(AutoscalingMetrics.DECISIONS)
                .tags("namespace", "serving", "name", "a")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  void removePoolKeepsTheOtherPool() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AutoscalingMetrics m = new AutoscalingMetrics(registry);
    m.record("serving", "a", scaleUp());
    assertThat(m.removePool("serving", "a", Pool.GENERATION)).isZero();
    assertThat(m.removePool("serving", "a", Pool.CONTEXT)).isEqualTo(4);
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void removalReachesTheRegistriesBehindAComposite() {
    // Under Quarkus the meters go to Micrometer's global (composite) registry holding the
    // Prometheus one.
    SimpleMeterRegistry child = new SimpleMeterRegistry();
    CompositeMeterRegistry composite = new CompositeMeterRegistry();
    composite.add(child);
    AutoscalingMetrics m = new AutoscalingMetrics(composite);
    m.record("serving", "a", scaleUp());
    assertThat(meters(child, "a")).isEqualTo(4);
    m.remove("serving", "a");
    assertThat(child.getMeters()).isEqualTo(List.of());
  }
}
