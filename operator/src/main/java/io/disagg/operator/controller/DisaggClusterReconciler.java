package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

public class DisaggClusterReconciler implements Reconciler<DisaggCluster> {
  @Override
  public UpdateControl<DisaggCluster> reconcile(DisaggCluster resource, Context<DisaggCluster> context) {
    return UpdateControl.noUpdate();
  }
}
