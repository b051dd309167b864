package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.Names;
import io.disagg.operator.model.PoolDisruptionBudgets;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * PodDisruptionBudget {@code <name>-context}: minAvailable = minimalInstances of the context pool.
 */
@KubernetesDependent(
    informer =
        @Informer(labelSelector = Labels.CONTEXT_CHILDREN, itemStore = WithoutManagedFields.class))
public class ContextPdbDependent extends DesiredHashDependent<PodDisruptionBudget> {
  public ContextPdbDependent() {
    super(PodDisruptionBudget.class);
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return Names.pool(primary, Pool.CONTEXT);
  }

  @Override
  protected PodDisruptionBudget desired(DisaggCluster primary, Context<DisaggCluster> context) {
    return PoolDisruptionBudgets.desired(Plan.of(context).cluster(), Pool.CONTEXT);
  }
}
