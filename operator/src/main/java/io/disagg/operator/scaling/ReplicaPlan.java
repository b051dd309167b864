package io.disagg.operator.scaling;

import io.disagg.operator.core.Pool;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import java.util.EnumMap;
import java.util.Map;

/**
 * The StatefulSet {@code replicas} the reconciler decided for this reconcile, handed to the
 * StatefulSet dependents through the workflow context. It differs from {@link Replicas#desired}
 * while a scale-down is draining (the old count is held until the removed workers are drained).
 */
public record ReplicaPlan(Map<Pool, Integer> replicas) {

  /** Key under which the plan is stored in the managed-workflow context. */
  public static final String KEY = "disagg.replica-plan";

  public ReplicaPlan {
    replicas = Map.copyOf(replicas);
  }

  /** A plan with the given counts. */
  public static ReplicaPlan of(Map<Pool, Integer> replicas) {
    return new ReplicaPlan(new EnumMap<>(replicas));
  }

  /** The planned replicas of a pool, or {@link Replicas#desired} when the plan does not say. */
  public int replicas(DisaggCluster cr, Pool pool) {
    Integer r = replicas.get(pool);
    return r != null ? r : Replicas.desired(cr, pool);
  }
}
