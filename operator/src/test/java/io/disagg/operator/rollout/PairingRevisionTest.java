package io.disagg.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.RouterType;
import io.disagg.operator.testing.EffectiveSpecs;
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
    return PairingRevision.of(EffectiveSpecs.of(cr, List.of("etcd:2379")).spec());
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
            "kvCacheTransfer.backend",
            "kvCacheTransfer.nixlBackend",
            "kvCacheTransfer.maxTokensInBuffer",
            "fabricEnv",
            "context.tensorParallelSize",
            "context.pipelineParallelSize",
            "context.llmApiOptions",
            "generation.tensorParallelSize",
            "generation.pipelineParallelSize",
            "generation.llmApiOptions");
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

  /**
   * An operator version that hashed fewer fields (or more) recorded the revision with another hash:
   * the revision is still the desired one, so an operator upgrade starts no rollout. A value that
   * differs, in a field both versions know, is a new revision.
   */
  @Test
  void aRevisionRecordedByAnotherOperatorVersionIsRecognizedByItsFields() throws Exception {
    PairingRevision now = revision(cr());
    ObjectMapper json = new ObjectMapper();
    ObjectNode older = (ObjectNode) json.readTree(now.json());
    older.remove("kvCacheTransfer.maxTokensInBuffer"); // not hashed by that version
    older.put("someFieldThisVersionDropped", "x");
    String olderHash = "0123456789";

    assertThat(now.revisionAmong(Map.of(olderHash, json.writeValueAsString(older))))
        .as("same values in every field both versions hash")
        .isEqualTo(olderHash);
    assertThat(now.revisionAmong(Map.of(olderHash, "{}", "abcdefabcd", "not json")))
        .as("nothing in common, or not a record")
        .isEqualTo(now.hash());

    older.put("image", "nvcr.io/nvidia/tensorrt-llm/release:1.0.0");
    assertThat(now.revisionAmong(Map.of(olderHash, json.writeValueAsString(older))))
        .as("a field both know differs")
        .isEqualTo(now.hash());

    Map<String, String> both = new LinkedHashMap<>();
    both.put(now.hash(), now.json());
    both.put(olderHash, now.json());
    assertThat(now.revisionAmong(both)).as("its own hash, present, wins").isEqualTo(now.hash());
  }

  private static Map<String, Object> options(DisaggCluster c) {
    if (c.getSpec().getGeneration().getLlmApiOptions() == null) {
      c.getSpec().getGeneration().setLlmApiOptions(new LinkedHashMap<>());
    }
    return c.getSpec().getGeneration().getLlmApiOptions();
  }
}
