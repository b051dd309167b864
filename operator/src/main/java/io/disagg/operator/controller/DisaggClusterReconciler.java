package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.dependent.ConfigMapDependent;
import io.disagg.operator.dependent.ContextPdbDependent;
import io.disagg.operator.dependent.ContextServiceDependent;
import io.disagg.operator.dependent.ContextStatefulSetDependent;
import io.disagg.operator.dependent.FabricConfigMapDependent;
import io.disagg.operator.dependent.GenerationPdbDependent;
import io.disagg.operator.dependent.GenerationServiceDependent;
import io.disagg.operator.dependent.GenerationStatefulSetDependent;
import io.disagg.operator.dependent.RouterDeploymentDependent;
import io.disagg.operator.dependent.RouterServiceDependent;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;

@Workflow(dependents = {
    @Dependent(type = ConfigMapDependent.class, name = "config"),
    @Dependent(type = FabricConfigMapDependent.class, name = "fabric-config"),
    @Dependent(type = ContextServiceDependent.class, name = "context-service"),
    @Dependent(type = GenerationServiceDependent.class, name = "generation-service"),
    @Dependent(type = ContextStatefulSetDependent.class, name = "context-statefulset",
        dependsOn = {"config", "fabric-config", "context-service"}),
    @Dependent(type = GenerationStatefulSetDependent.class, name = "generation-statefulset",
        dependsOn = {"config", "fabric-config", "generation-service"}),
    @Dependent(type = ContextPdbDependent.class, name = "context-pdb"),
    @Dependent(type = GenerationPdbDependent.class, name = "generation-pdb"),
    @Dependent(type = RouterDeploymentDependent.class, name = "router-deployment", dependsOn = "config"),
    @Dependent(type = RouterServiceDependent.class, name = "router-service"),
})
public class DisaggClusterReconciler implements Reconciler<DisaggCluster> {
  @Override
  public UpdateControl<DisaggCluster> reconcile(DisaggCluster resource, Context<DisaggCluster> context) {
    return UpdateControl.noUpdate();
  }
}
