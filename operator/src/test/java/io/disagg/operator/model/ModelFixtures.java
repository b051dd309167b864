package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-only DisaggCluster builders for the model and dependent tests (no cluster, no TrtllmConfig).
 */
public final class ModelFixtures {
  private ModelFixtures() {}

  public static final String NAME = "demo";
  public static final String NAMESPACE = "serving";
  public static final String MODEL = "meta-llama/Llama-3.1-8B-Instruct";
  public static final String IMAGE = "nvcr.io/nvidia/tensorrt-llm/release:1.2.0";

  /** A pairing revision for the names of {@link #names}. */
  public static final String REVISION = "0123456789";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /**
   * The first (legacy-named) revision of {@code cr}: {@code <name>-context}, ... and {@code
   * cluster_name} its effective one ({@code <namespace>.<name>} when unset).
   */
  public static RevisionNames names(DisaggCluster cr) {
    String clusterName =
        cr.getSpec().getDiscovery() == null || cr.getSpec().getDiscovery().getClusterName() == null
            ? cr.getMetadata().getNamespace() + "." + cr.getMetadata().getName()
            : cr.getSpec().getDiscovery().getClusterName();
    return new RevisionNames(cr.getMetadata().getName(), REVISION, null, clusterName);
  }

  /** A minimal valid DisaggCluster: defaults everywhere, no EFA. */
  public static DisaggCluster cluster() {
    DisaggCluster cr = new DisaggCluster();
    cr.setMetadata(
        new ObjectMetaBuilder().withName(NAME).withNamespace(NAMESPACE).withUid("uid-1").build());
    DisaggClusterSpec spec = new DisaggClusterSpec();
    spec.setModel(MODEL);
    spec.setImage(IMAGE);
    cr.setSpec(spec);
    return cr;
  }

  /** The same cluster with AWS EFA enabled (defaults: 32 devices, 512Mi hugepages). */
  public static DisaggCluster efaCluster() {
    DisaggCluster cr = cluster();
    cr.getSpec().getFabric().getEfa().setEnabled(true);
    return cr;
  }

  /** A deep copy through JSON, as a fresh informer event would deliver it. */
  public static DisaggCluster copy(DisaggCluster cr) {
    return SERIALIZATION.unmarshal(SERIALIZATION.asJson(cr), DisaggCluster.class);
  }

  /**
   * Hand-made config ConfigMap data standing in for TrtllmConfig.configMapData (with a stand-in for
   * the preStop script under {@code deregister.py}).
   */
  public static Map<String, String> configData(
      String contextYaml, String generationYaml, String routerYaml) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("context.yaml", contextYaml);
    m.put("generation.yaml", generationYaml);
    m.put("router.yaml", routerYaml);
    m.put("deregister.py", "# preStop script\n");
    return m;
  }

  /** Hand-made fabric environment standing in for TrtllmConfig.fabricEnv. */
  public static Map<String, String> fabricEnv() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("TRTLLM_NIXL_KVCACHE_BACKEND", "UCX");
    m.put("UCX_MAX_RNDV_RAILS", "1");
    return m;
  }
}
