package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.PodMonitors;
import io.disagg.operator.plan.Plan;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** PodMonitor {@code <name>-workers}: every worker pod's {@code /prometheus/metrics}. */
@KubernetesDependent(
    informer =
        @Informer(
            labelSelector = Labels.WORKERS_MONITOR_CHILDREN,
            itemStore = WithoutManagedFields.class))
public class WorkerPodMonitorDependent extends PodMonitorDependent {

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return PodMonitors.workersName(primary);
  }

  @Override
  protected PodMonitor desired(DisaggCluster primary, Context<DisaggCluster> context) {
    return PodMonitors.workers(Plan.of(context).cluster(), legacyRevision(primary, context));
  }
}
