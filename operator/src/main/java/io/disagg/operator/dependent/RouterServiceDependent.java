package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.Names;
import io.disagg.operator.model.RouterServices;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Service {@code <name>-router}: the cluster's OpenAI-compatible endpoint. */
@KubernetesDependent(
    informer =
        @Informer(labelSelector = Labels.ROUTER_CHILDREN, itemStore = WithoutManagedFields.class))
public class RouterServiceDependent extends DesiredHashDependent<Service> {
  public RouterServiceDependent() {
    super(Service.class);
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return Names.router(primary);
  }

  @Override
  protected Service desired(DisaggCluster primary, Context<DisaggCluster> context) {
    return RouterServices.desired(Plan.of(context).cluster());
  }
}
