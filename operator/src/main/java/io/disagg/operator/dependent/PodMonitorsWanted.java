package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.plan.Plan;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * Reconcile precondition of the PodMonitor dependents: the effective {@code
 * spec.monitoring.podMonitors}. When false (and the CRD exists) JOSDK deletes the PodMonitor.
 */
public class PodMonitorsWanted implements Condition<PodMonitor, DisaggCluster> {

  @Override
  public boolean isMet(
      DependentResource<PodMonitor, DisaggCluster> dependentResource,
      DisaggCluster primary,
      Context<DisaggCluster> context) {
    return Plan.of(context).spec().podMonitors();
  }
}
