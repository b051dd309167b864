package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.PodMonitors;
import io.disagg.operator.plan.Plan;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** PodMonitor {@code <name>-router}: every router pod's {@code /prometheus/metrics/}. */
@KubernetesDependent(
    informer =
        @Informer(
            labelSelector = Labels.ROUTER_MONITOR_CHILDREN,
            itemStore = WithoutManagedFields.class))
public class RouterPodMonitorDependent extends PodMonitorDependent {

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return PodMonitors.routerName(primary);
  }

  @Override
  protected PodMonitor desired(DisaggCluster primary, Context<DisaggCluster> context) {
    return PodMonitors.router(Plan.of(context).cluster(), legacyRevision(primary, context));
  }
}
