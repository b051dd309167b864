package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.Names;
import io.disagg.operator.model.PoolServices;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Headless Service {@code <name>-context}, governing service of the context StatefulSet. */
@KubernetesDependent(
    informer =
        @Informer(labelSelector = Labels.CONTEXT_CHILDREN, itemStore = WithoutManagedFields.class))
public class ContextServiceDependent extends DesiredHashDependent<Service> {
  public ContextServiceDependent() {
    super(Service.class);
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return Names.pool(primary, Pool.CONTEXT);
  }

  @Override
  protected Service desired(DisaggCluster primary, Context<DisaggCluster> context) {
    return PoolServices.desired(Plan.of(context).cluster(), Pool.CONTEXT);
  }
}
