package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * Reconcile precondition of the NetworkPolicy dependents: the effective {@code
 * spec.networkPolicy.enabled}. When false JOSDK deletes the NetworkPolicy.
 */
public class NetworkPoliciesWanted implements Condition<NetworkPolicy, DisaggCluster> {

  @Override
  public boolean isMet(
      DependentResource<NetworkPolicy, DisaggCluster> dependentResource,
      DisaggCluster primary,
      Context<DisaggCluster> context) {
    return Plan.of(context).spec().networkPolicies();
  }
}
