package io.disagg.operator.testing;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.EfaSpec;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * Ready-made {@link DisaggCluster}s for tests. Every call returns a new, fully mutable object:
 * adjust it with the API setters, e.g. {@code cr.getSpec().getContext().setReplicas(3)}. Both
 * fixtures pass {@code SpecValidator} without errors or warnings.
 */
public final class Fixtures {
  private Fixtures() {}

  public static final String MODEL = "Qwen/Qwen3-0.6B";
  public static final String IMAGE = "nvcr.io/nvidia/tensorrt-llm/release:1.2.0";
  public static final String ETCD_ENDPOINT = "etcd.infra.svc:2379";

  /** NIXL_PLUGINS_DIR of {@link #efa}: where a custom image keeps libplugin_LIBFABRIC.so. */
  public static final String NIXL_PLUGINS_DIR =
      "/opt/nvidia/nvda_nixl/lib/x86_64-linux-gnu/plugins";

  /**
   * A small cluster: {@value #MODEL}, image {@value #IMAGE}, etcd {@value #ETCD_ENDPOINT}, KV cache
   * over UCX ({@code cache_transceiver_config.backend: UCX}), no EFA, context pool 2 replicas,
   * generation pool 1 replica, one GPU per instance, minimalInstances 1, all other fields at their
   * API defaults. {@code metadata.generation} is 1.
   */
  public static DisaggCluster minimal(String namespace, String name) {
    DisaggCluster cr = new DisaggCluster();
    cr.setMetadata(
        new ObjectMetaBuilder().withNamespace(namespace).withName(name).withGeneration(1L).build());
    DisaggClusterSpec spec = new DisaggClusterSpec();
    spec.setModel(MODEL);
    spec.setImage(IMAGE);
    spec.getKvCacheTransfer().setBackend(KvCacheTransferBackend.UCX);
    spec.getDiscovery().getEtcd().setEndpoints(new ArrayList<>(List.of(ETCD_ENDPOINT)));
    spec.setContext(pool(2, 1));
    spec.setGeneration(pool(1, 1));
    cr.setSpec(spec);
    return cr;
  }

  /**
   * A p5.48xlarge-class cluster: like {@link #minimal} but tensor parallelism 8 in both pools (8
   * GPUs per instance), one replica each, KV cache over NIXL with the LIBFABRIC transport, EFA
   * enabled with 32 devices per pod, GPU-direct RDMA, and {@link #NIXL_PLUGINS_DIR} set.
   */
  public static DisaggCluster efa(String namespace, String name) {
    DisaggCluster cr = minimal(namespace, name);
    DisaggClusterSpec spec = cr.getSpec();
    spec.getKvCacheTransfer().setBackend(KvCacheTransferBackend.NIXL);
    spec.getKvCacheTransfer().setNixlBackend(NixlBackend.LIBFABRIC);
    EfaSpec efa = spec.getFabric().getEfa();
    efa.setEnabled(true);
    efa.setDevicesPerPod(32);
    efa.setGpuDirectRdma(true);
    efa.setNixlPluginsDir(NIXL_PLUGINS_DIR);
    spec.setContext(pool(1, 1));
    spec.setGeneration(pool(1, 1));
    spec.getContext().setTensorParallelSize(8);
    spec.getGeneration().setTensorParallelSize(8);
    return cr;
  }

  private static PoolSpec pool(int replicas, int minimalInstances) {
    PoolSpec p = new PoolSpec();
    p.setReplicas(replicas);
    p.setMinimalInstances(minimalInstances);
    return p;
  }
}
