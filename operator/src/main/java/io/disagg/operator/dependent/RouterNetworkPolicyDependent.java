package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.NetworkPolicies;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * NetworkPolicy {@code <name>-router} ({@link NetworkPolicies#router}); deleted when the effective
 * spec turns NetworkPolicies off ({@link NetworkPoliciesWanted}).
 */
@KubernetesDependent(
    informer =
        @Informer(
            labelSelector = Labels.ROUTER_NETWORK_POLICY_CHILDREN,
            itemStore = WithoutManagedFields.class))
public class RouterNetworkPolicyDependent extends DesiredHashDependent<NetworkPolicy> {

  public RouterNetworkPolicyDependent() {
    super(NetworkPolicy.class);
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return NetworkPolicies.routerName(primary);
  }

  @Override
  protected NetworkPolicy desired(DisaggCluster primary, Context<DisaggCluster> context) {
    Plan plan = Plan.of(context);
    return NetworkPolicies.router(plan.cluster(), plan.spec().operatorPeers());
  }
}
