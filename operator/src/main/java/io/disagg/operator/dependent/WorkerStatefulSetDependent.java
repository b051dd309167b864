package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.model.Names;
import io.disagg.operator.core.Pool;
import io.disagg.operator.scaling.ReplicaPlan;
import io.disagg.operator.scaling.Replicas;
import io.disagg.operator.model.WorkerStatefulSets;
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
  protected String childName(DisaggCluster primary) {
    return Names.pool(primary, pool);
  }

  @Override
  protected StatefulSet desired(DisaggCluster primary, Context<DisaggCluster> context) {
    int replicas = context == null ? Replicas.desired(primary, pool)
        : context.managedWorkflowAndDependentResourceContext().get(ReplicaPlan.KEY, ReplicaPlan.class)
            .map(p -> p.replicas(primary, pool))
            .orElseGet(() -> Replicas.desired(primary, pool));
    return WorkerStatefulSets.desired(primary, pool, replicas, configHash(primary));
  }

  /** Hash of this pool's worker YAML and the fabric environment; a seam for tests. */
  protected String configHash(DisaggCluster primary) {
    return WorkerStatefulSets.configHash(TrtllmConfig.configMapData(primary), TrtllmConfig.fabricEnv(primary), pool);
  }
}
