package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.core.Pool;

/** How many instances (pods, one {@code trtllm-serve} each) a pool should run. */
public final class Replicas {
  private Replicas() {}

  /**
   * Desired instance count of a pool from the spec alone: {@code spec.<pool>.replicas} when set,
   * else {@code minimalInstances} (below which the TensorRT-LLM router answers {@code /health} with
   * 500 and refuses requests). With autoscaling this is only the initial count.
   */
  public static int desired(DisaggCluster cr, Pool pool) {
    PoolSpec spec = cr.getSpec().pool(pool);
    return spec.getReplicas() != null ? spec.getReplicas() : spec.getMinimalInstances();
  }

  /**
   * The pool's target: the single place that decides how many instances a pool should run (the
   * {@code replicas} the drain planner works towards and {@code status.<pool>.desiredReplicas}).
   *
   * <ul>
   *   <li>Autoscaling disabled: {@link #desired}.
   *   <li>Autoscaling enabled: the count the autoscaler decided last ({@code autoscaling}, i.e.
   *       {@code status.<pool>.autoscaling} or the decision just made), clamped to {@code
   *       [minimalInstances, maxInstances]} (the bounds may have been edited since); before the
   *       first decision, {@link #desired} clamped the same way.
   * </ul>
   *
   * @param autoscaling the pool's latest autoscaling status, or null
   */
  public static int target(DisaggCluster cr, Pool pool, PoolAutoscalingStatus autoscaling) {
    PoolSpec spec = cr.getSpec().pool(pool);
    if (spec.getAutoscaling() == null || !spec.getAutoscaling().isEnabled()) {
      return desired(cr, pool);
    }
    int n =
        autoscaling != null && autoscaling.getDesiredReplicas() != null
            ? autoscaling.getDesiredReplicas()
            : desired(cr, pool);
    int min = spec.getMinimalInstances();
    int max =
        spec.getMaxInstances() != null ? Math.max(min, spec.getMaxInstances()) : Math.max(min, n);
    return Math.max(min, Math.min(max, n));
  }
}
