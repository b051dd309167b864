package io.disagg.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.LogLevel;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A spec asking for what its TensorRT-LLM release does not have is refused, naming both. */
class ReleaseCompatibilityTest {

  static DisaggCluster on(String version) {
    DisaggCluster cr = Fixtures.minimal("ml", "qwen");
    cr.getSpec().setTrtllmVersion(version);
    return cr;
  }

  static List<SpecProblem> problems(DisaggCluster cr) {
    return ReleaseCompatibility.problems(EffectiveSpecs.of(cr, List.of()).spec());
  }

  @Test
  void aPlainSpecFitsEveryRelease() {
    for (String v : List.of("1.2", "1.3", "1.4")) {
      assertThat(problems(on(v))).isEmpty();
    }
    DisaggCluster latest = Fixtures.minimal("ml", "qwen");
    latest.getSpec().setImage("nvcr.io/nvidia/tensorrt-llm/release:latest");
    assertThat(problems(latest)).isEmpty();
  }

  /**
   * tensorrt_llm/logger.py's severity map (the click choice of --log_level) is internal_error,
   * error, warning, info, verbose in every version read: debug would stop trtllm-serve at once.
   */
  @Test
  void debugLogLevelIsRefusedVerboseIsNot() {
    DisaggCluster cr = on("1.4");
    cr.getSpec().setLogLevel(LogLevel.DEBUG);
    assertThat(problems(cr))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo("spec.logLevel");
              assertThat(p.isError()).isTrue();
              assertThat(p.message())
                  .contains("TensorRT-LLM 1.4", "--log_level trace and debug", "logger.py");
            });
    cr.getSpec().setLogLevel(LogLevel.VERBOSE);
    assertThat(problems(cr)).isEmpty();
  }

  /**
   * Etcd3ClusterStorage (tensorrt_llm/serve/cluster_storage.py) splits cluster_uri on commas only
   * in the newer source (057d4a79); the older one rsplits host:port of the whole URI.
   */
  @Test
  void severalEtcdEndpointsNeedAReleaseThatSplitsTheUri() {
    DisaggCluster cr = on("1.2");
    cr.getSpec().getDiscovery().getEtcd().setEndpoints(List.of("etcd-0:2379", "etcd-1:2379"));
    assertThat(problems(cr))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo("spec.discovery.etcd.endpoints");
              assertThat(p.message())
                  .contains("TensorRT-LLM 1.2", "Service in front of the etcd cluster");
            });
    cr.getSpec().setTrtllmVersion("1.4");
    assertThat(problems(cr)).isEmpty();
  }

  /** CacheTransceiverConfig is strict; the timeouts are documented from 1.3 (1.3.0rc27 API). */
  @Test
  void transceiverFieldsNeedAReleaseThatHasThem() {
    DisaggCluster cr = on("1.2");
    cr.getSpec().getKvCacheTransfer().setKvTransferTimeoutMs(30000);
    Map<String, Object> ctc = new LinkedHashMap<>(Map.of("transceiver_runtime", "PYTHON"));
    cr.getSpec()
        .getGeneration()
        .setLlmApiOptions(new LinkedHashMap<>(Map.of("cache_transceiver_config", ctc)));
    assertThat(problems(cr))
        .extracting(SpecProblem::field)
        .containsExactly(
            "spec.kvCacheTransfer.kvTransferTimeoutMs",
            "spec.generation.llmApiOptions.cache_transceiver_config.transceiver_runtime");
    cr.getSpec().setTrtllmVersion("1.3.0rc27");
    assertThat(problems(cr)).isEmpty();
  }
}
