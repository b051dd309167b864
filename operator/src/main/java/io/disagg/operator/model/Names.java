package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;

/** Names of the child resources of a {@link DisaggCluster}; all are prefixed by its name. */
public final class Names {
  private Names() {}

  /** StatefulSet, headless Service and PodDisruptionBudget of a pool: {@code <name>-<pool>}. */
  public static String pool(DisaggCluster cr, Pool pool) {
    return cr.getMetadata().getName() + "-" + pool.id();
  }

  /** ConfigMap with the worker and router YAML: {@code <name>-config}. */
  public static String configMap(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-config";
  }

  /** ConfigMap with the fabric (NIXL/UCX/libfabric) environment: {@code <name>-fabric}. */
  public static String fabricConfigMap(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-fabric";
  }

  /** Router Deployment and Service: {@code <name>-router}. */
  public static String router(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-router";
  }
}
