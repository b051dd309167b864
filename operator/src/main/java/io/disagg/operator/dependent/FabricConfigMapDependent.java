package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.model.ConfigMaps;
import io.disagg.operator.model.Labels;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * ConfigMap {@code <name>-fabric}: the fabric environment from {@link TrtllmConfig#fabricEnv},
 * loaded by workers with envFrom.
 */
@KubernetesDependent(
    informer =
        @Informer(labelSelector = Labels.FABRIC_CHILDREN, itemStore = WithoutManagedFields.class))
public class FabricConfigMapDependent extends ConfigMapDataDependent {

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    return Plan.of(context).names().fabricConfigMap();
  }

  @Override
  protected ConfigMap desired(DisaggCluster primary, Context<DisaggCluster> context) {
    Plan plan = Plan.of(context);
    return ConfigMaps.fabric(plan.cluster(), plan.names(), plan.fabricEnv());
  }
}
