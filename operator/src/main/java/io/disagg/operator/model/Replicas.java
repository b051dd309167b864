package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PoolSpec;

/** How many instances (pods, one {@code trtllm-serve} each) a pool should run. */
public final class Replicas {
  private Replicas() {}

  /**
   * Desired instance count of a pool: {@code spec.<pool>.replicas} when set, else
   * {@code minimalInstances} (below which the TensorRT-LLM router answers {@code /health} with
   * 500 and refuses requests).
   *
   * <p>This is the single place that decides the StatefulSet's {@code replicas}; scale-down
   * draining and autoscaling are meant to plug in here.
   */
  public static int desired(DisaggCluster cr, Pool pool) {
    PoolSpec spec = pool.spec(cr.getSpec());
    return spec.getReplicas() != null ? spec.getReplicas() : spec.getMinimalInstances();
  }
}
