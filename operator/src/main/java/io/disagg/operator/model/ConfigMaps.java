package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.Map;
import java.util.TreeMap;

/**
 * The two ConfigMaps of a cluster. Their content is rendered by {@link
 * io.disagg.operator.config.TrtllmConfig}; these functions only wrap it, so they take the data as a
 * parameter.
 */
public final class ConfigMaps {
  private ConfigMaps() {}

  /** Component label value of the ConfigMaps (they belong to no single pool). */
  public static final String COMPONENT = "config";

  /**
   * {@code <name>-config}: the worker LLM-API YAML files ({@code context.yaml}, {@code
   * generation.yaml}, passed to {@code trtllm-serve --extra_llm_api_options}) and the router config
   * ({@code router.yaml}, passed to {@code trtllm-serve disaggregated -c}) and the workers' preStop
   * script ({@code deregister.py}). Mounted read-only at {@link WorkerStatefulSets#CONFIG_DIR}.
   */
  public static ConfigMap config(DisaggCluster cr, Map<String, String> data) {
    return build(cr, Names.configMap(cr), data);
  }

  /**
   * {@code <name>-fabric}: the fabric environment (e.g. {@code TRTLLM_NIXL_KVCACHE_BACKEND}, {@code
   * FI_PROVIDER=efa}) that worker containers load with {@code envFrom}.
   */
  public static ConfigMap fabric(DisaggCluster cr, Map<String, String> env) {
    return build(cr, Names.fabricConfigMap(cr), env);
  }

  private static ConfigMap build(DisaggCluster cr, String name, Map<String, String> data) {
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(Labels.component(cr, COMPONENT))
            .endMetadata()
            .withData(new TreeMap<>(data))
            .build();
    return Hashes.withDesiredHash(cm);
  }
}
