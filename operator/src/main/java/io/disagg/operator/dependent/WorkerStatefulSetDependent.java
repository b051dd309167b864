package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** Base of the two worker StatefulSet dependents; {@link WorkerStatefulSets} does the work. */
public abstract class WorkerStatefulSetDependent extends DesiredHashDependent<StatefulSet> {

  private final Pool pool;

  protected WorkerStatefulSetDependent(Pool pool) {
    super(StatefulSet.class);
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return Plan.of(context).names().pool(pool);
  }

  @Override
  protected StatefulSet desired(DisaggCluster primary, Context<DisaggCluster> context) {
    Plan plan = Plan.of(context);
    return WorkerStatefulSets.desired(
        plan.cluster(),
        plan.names(),
        pool,
        plan.replicas(pool),
        plan.workerConfigHash().get(pool),
        plan.pairing());
  }
}
