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

  /** Component label value of {@code <name>-config} (it belongs to no single pool). */
  public static final String COMPONENT = "config";

  /**
   * Component label value of {@code <name>-fabric}; apart from {@link #COMPONENT} so that each
   * ConfigMap's informer caches only its own kind ({@link Labels#FABRIC_CHILDREN}).
   */
  public static final String FABRIC_COMPONENT = "fabric";

  /**
   * {@code <name>-config}: the worker LLM-API YAML files ({@code context.yaml}, {@code
   * generation.yaml}, passed to {@code trtllm-serve --extra_llm_api_options}) and the router config
   * ({@code router.yaml}, passed to {@code trtllm-serve disaggregated -c}) and the workers' preStop
   * script ({@code deregister.py}), and with the fabric pre-flight its script ({@code
   * fabric-preflight.sh}). Mounted read-only at {@link WorkerStatefulSets#CONFIG_DIR}.
   */
  public static ConfigMap config(DisaggCluster cr, RevisionNames names, Map<String, String> data) {
    return build(cr, names, names.configMap(), COMPONENT, data);
  }

  /**
   * {@code <name>-fabric}: the fabric environment (e.g. {@code TRTLLM_NIXL_KVCACHE_BACKEND}, {@code
   * FI_PROVIDER=efa}) that worker containers load with {@code envFrom}.
   */
  public static ConfigMap fabric(DisaggCluster cr, RevisionNames names, Map<String, String> env) {
    return build(cr, names, names.fabricConfigMap(), FABRIC_COMPONENT, env);
  }

  private static ConfigMap build(
      DisaggCluster cr,
      RevisionNames names,
      String name,
      String component,
      Map<String, String> data) {
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(names.objectLabels(cr, component))
            .endMetadata()
            .withData(new TreeMap<>(data))
            .build();
    return Hashes.withDesiredHash(cm);
  }
}
