package io.disagg.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.RouterType;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class PairingRevisionTest {

  private static DisaggCluster cr() {
    return Fixtures.minimal("ml", "qwen");
  }

  private static PairingRevision revision(DisaggCluster cr) {
    return PairingRevision.of(EffectiveSpec.of(cr, List.of("etcd:2379")).spec());
  }

  private static PairingRevision after(Consumer<DisaggCluster> change) {
    DisaggCluster cr = cr();
    change.accept(cr);
    return revision(cr);
  }

  private static final String BASE = revision(cr()).hash();

  @Test
  void isStableShortHexAndListsItsFields() {
    PairingRevision r = revision(cr());
    assertThat(r.hash()).matches("[0-9a-f]{10}").isEqualTo(revision(cr()).hash());
    assertThat(r.fields())
        .containsOnlyKeys(
            "image",
            "trtllmVersion",
            "model",
            "backend",
            "kvCacheTransfer",
            "fabricEnv",
            "context",
            "generation");
  }

  @Test
  void whatDecidesPairingMakesANewRevision() {
    List<Consumer<DisaggCluster>> changes =
        List.of(
            c -> c.getSpec().setImage("nvcr.io/nvidia/tensorrt-llm/release:1.3.0"),
            c -> c.getSpec().setModel("Qwen/Qwen3-8B"),
            c -> c.getSpec().getKvCacheTransfer().setNixlBackend(NixlBackend.LIBFABRIC),
            c -> c.getSpec().getKvCacheTransfer().setMaxTokensInBuffer(8192),
            c -> c.getSpec().getKvCacheTransfer().setEnv(Map.of("UCX_TLS", "rc,cuda_copy")),
            c -> c.getSpec().getGeneration().setTensorParallelSize(2),
            c -> options(c).put("kv_cache_config", Map.of("dtype", "fp8")),
            c -> options(c).put("kv_cache_config", Map.of("tokens_per_block", 64)),
            c -> options(c).put("enable_attention_dp", true),
            c -> options(c).put("some_option_nobody_classified", 1));
    for (int i = 0; i < changes.size(); i++) {
      assertThat(after(changes.get(i)).hash()).as("change %d", i).isNotEqualTo(BASE);
    }
  }

  @Test
  void whatOnlyShapesOneSideRollsInPlace() {
    List<Consumer<DisaggCluster>> changes =
        List.of(
            c -> c.getSpec().getGeneration().setReplicas(3),
            c -> c.getSpec().getContext().setMaxInstances(9),
            c ->
                c.getSpec()
                    .getGeneration()
                    .setResources(
                        new ResourceRequirementsBuilder()
                            .addToRequests("memory", new Quantity("64Gi"))
                            .build()),
            c -> c.getSpec().getRouter().getGenerationRouter().setType(RouterType.LOAD_BALANCING),
            c -> c.getSpec().getRouter().setMaxRetries(5),
            c -> c.getSpec().getKvCacheTransfer().setKvTransferTimeoutMs(60_000),
            c -> options(c).put("max_batch_size", 128),
            c -> options(c).put("max_num_tokens", 4096),
            c ->
                options(c)
                    .put(
                        "kv_cache_config",
                        Map.of("free_gpu_memory_fraction", 0.8, "enable_block_reuse", false)));
    for (int i = 0; i < changes.size(); i++) {
      assertThat(after(changes.get(i)).hash()).as("change %d", i).isEqualTo(BASE);
    }
  }

  private static Map<String, Object> options(DisaggCluster c) {
    if (c.getSpec().getGeneration().getLlmApiOptions() == null) {
      c.getSpec().getGeneration().setLlmApiOptions(new LinkedHashMap<>());
    }
    return c.getSpec().getGeneration().getLlmApiOptions();
  }
}
