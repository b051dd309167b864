package io.disagg.operator.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** {@link Replicas#target}: the one function deciding a pool's target. */
class ReplicasTargetTest {

  private static PoolAutoscalingStatus decided(int n) {
    PoolAutoscalingStatus s = new PoolAutoscalingStatus();
    s.setDesiredReplicas(n);
    return s;
  }

  @Test
  void withoutAutoscalingTheSpecDecidesAndAStatusIsIgnored() {
    DisaggCluster cr = Fixtures.minimal("ns", "c");
    cr.getSpec().getGeneration().setReplicas(2);
    assertThat(Replicas.target(cr, Pool.GENERATION, decided(5))).isEqualTo(2);
  }

  @Test
  void withAutoscalingTheLastDecisionClampedToTheBounds() {
    DisaggCluster cr = Fixtures.minimal("ns", "c");
    var gen = cr.getSpec().getGeneration();
    gen.setReplicas(2);
    gen.setMinimalInstances(1);
    gen.setMaxInstances(3);
    PoolAutoscalingSpec a = new PoolAutoscalingSpec();
    a.setEnabled(true);
    gen.setAutoscaling(a);
    assertThat(Replicas.target(cr, Pool.GENERATION, null))
        .as("before the first decision: replicas")
        .isEqualTo(2);
    assertThat(Replicas.target(cr, Pool.GENERATION, decided(3))).isEqualTo(3);
    assertThat(Replicas.target(cr, Pool.GENERATION, decided(7)))
        .as("maxInstances lowered since")
        .isEqualTo(3);
    assertThat(Replicas.target(cr, Pool.GENERATION, decided(0)))
        .as("never below minimalInstances")
        .isEqualTo(1);
    gen.setReplicas(null);
    assertThat(Replicas.target(cr, Pool.GENERATION, null))
        .as("no replicas: minimalInstances")
        .isEqualTo(1);
  }
}
