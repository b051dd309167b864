package io.disagg.operator.config;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Pool;
import java.util.Map;

/**
 * Renders the files and environment TensorRT-LLM reads. Pure functions of the spec.
 * TODO(helper): implement.
 */
public final class TrtllmConfig {
  private TrtllmConfig() {}

  /** ConfigMap key of a pool's worker YAML, e.g. {@code context.yaml}. */
  public static String workerConfigKey(Pool pool) {
    return pool.id() + ".yaml";
  }

  /** ConfigMap key of the router config. */
  public static final String ROUTER_CONFIG_KEY = "router.yaml";

  /** The data of the {@code <name>-config} ConfigMap: context.yaml, generation.yaml, router.yaml. */
  public static Map<String, String> configMapData(DisaggCluster cr) {
    throw new UnsupportedOperationException("TODO");
  }

  /** The fabric environment ({@code <name>-fabric} ConfigMap), sorted by name. */
  public static Map<String, String> fabricEnv(DisaggCluster cr) {
    throw new UnsupportedOperationException("TODO");
  }

  /** The effective {@code disagg_cluster.cluster_name}: spec value or {@code <namespace>.<name>}. */
  public static String clusterName(DisaggCluster cr) {
    String n = cr.getSpec().getDiscovery().getClusterName();
    return n != null && !n.isBlank() ? n : cr.getMetadata().getNamespace() + "." + cr.getMetadata().getName();
  }
}
