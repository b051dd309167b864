package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.RouterDeployments;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Deployment {@code <name>-router}: {@code trtllm-serve disaggregated}. */
@KubernetesDependent(
    informer =
        @Informer(labelSelector = Labels.ROUTER_CHILDREN, itemStore = WithoutManagedFields.class))
public class RouterDeploymentDependent extends DesiredHashDependent<Deployment> {
  public RouterDeploymentDependent() {
    super(Deployment.class);
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return Plan.of(context).names().router();
  }

  @Override
  protected Deployment desired(DisaggCluster primary, Context<DisaggCluster> context) {
    Plan plan = Plan.of(context);
    return RouterDeployments.desired(
        plan.cluster(), plan.names(), plan.routerReplicas(), plan.routerConfigHash());
  }
}
