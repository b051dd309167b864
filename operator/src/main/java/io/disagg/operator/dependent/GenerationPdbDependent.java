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
 * PodDisruptionBudget {@code <name>-generation}: minAvailable = minimalInstances of the generation
 * pool.
 */
@KubernetesDependent(
    informer =
        @Informer(
            labelSelector = Labels.GENERATION_CHILDREN,
            itemStore = WithoutManagedFields.class))
public class GenerationPdbDependent extends DesiredHashDependent<PodDisruptionBudget> {
  public GenerationPdbDependent() {
    super(PodDisruptionBudget.class);
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return Names.pool(primary, Pool.GENERATION);
  }

  @Override
  protected PodDisruptionBudget desired(DisaggCluster primary, Context<DisaggCluster> context) {
    return PoolDisruptionBudgets.desired(Plan.of(context).cluster(), Pool.GENERATION);
  }
}
