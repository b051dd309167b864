package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.PodMonitors;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * Base of the two PodMonitor dependents; {@link PodMonitors} does the work. Reconciled only while
 * the Prometheus Operator's CRD exists ({@link PodMonitorsActivation}) and deleted when the
 * effective spec no longer asks for PodMonitors ({@link PodMonitorsWanted}).
 */
public abstract class PodMonitorDependent extends DesiredHashDependent<PodMonitor> {

  protected PodMonitorDependent() {
    super(PodMonitor.class);
  }

  /** The first revision's pairing revision, from the DisaggCluster's StatefulSets (or null). */
  protected static String legacyRevision(DisaggCluster primary, Context<DisaggCluster> context) {
    Plan plan = Plan.of(context);
    if (plan.names().legacy()) {
      return plan.names().revision();
    }
    return PodMonitors.legacyRevision(
        plan.cluster(), context.getSecondaryResourcesAsStream(StatefulSet.class).toList());
  }
}
