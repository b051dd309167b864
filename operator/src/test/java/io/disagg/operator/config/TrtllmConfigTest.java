package io.disagg.operator.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PoolRouterSpec;
import io.disagg.operator.api.v1alpha1.RouterType;
import io.disagg.operator.core.Pool;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrtllmConfigTest {

  /**
   * The effective spec of {@code cr}, as the reconciler renders it (no operator default endpoints).
   */
  static DisaggCluster eff(DisaggCluster cr) {
    return effSpec(cr).cluster();
  }

  /** The effective spec of {@code cr} with its release, as the reconciler renders it. */
  static EffectiveSpec effSpec(DisaggCluster cr) {
    return EffectiveSpecs.of(cr, List.of()).spec();
  }

  private static final YAMLMapper YAML = new YAMLMapper();

  static Map<String, Object> parse(String yaml) {
    try {
      return YAML.readValue(yaml, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  static DisaggCluster cr() {
    return Fixtures.minimal("ml", "qwen");
  }

  static Map<String, Object> worker(DisaggCluster cr, Pool pool) {
    return parse(TrtllmConfig.workerYaml(effSpec(cr), pool));
  }

  static Map<String, Object> router(DisaggCluster cr) {
    return parse(TrtllmConfig.routerYaml(effSpec(cr)));
  }

  @Nested
  class WorkerOptions {

    @Test
    void contextDisablesOverlapSchedulerAndGenerationDoesNot() {
      assertThat(worker(cr(), Pool.CONTEXT)).containsEntry("disable_overlap_scheduler", true);
      assertThat(worker(cr(), Pool.GENERATION)).doesNotContainKey("disable_overlap_scheduler");
    }

    @ParameterizedTest
    @EnumSource(KvCacheTransferBackend.class)
    void cacheTransceiverBackendIsAlwaysWrittenByName(KvCacheTransferBackend backend) {
      DisaggCluster cr = cr();
      cr.getSpec().getKvCacheTransfer().setBackend(backend);
      // DEFAULT is written as NIXL: TensorRT-LLM's own DEFAULT meant NIXL, later UCX
      // (NVIDIA/TensorRT-LLM PR #9352, CacheTransceiverFactory in cacheTransceiver.cpp).
      String expected = backend == KvCacheTransferBackend.DEFAULT ? "NIXL" : backend.name();
      for (Pool pool : Pool.values()) {
        Map<String, Object> ctc = map(worker(cr, pool).get("cache_transceiver_config"));
        assertThat(ctc).containsExactly(Map.entry("backend", expected));
      }
    }

    /**
     * A kv_cache_aware router routes by the KV-cache events the workers publish
     * (tensorrt_llm/serve/router.py KvCacheAwareRouter polls /kv_cache_events); KvCacheConfig's
     * event_buffer_max_size defaults to 0, no events (tensorrt_llm/llmapi/llm_args.py). The
     * operator writes 1024, the size of upstream's kv_cache_aware test configuration
     * (tests/integration/defs/disaggregated/test_configs/disagg_config_cache_aware_balance.yaml).
     */
    @Test
    void kvCacheAwareRouterGetsKvCacheEventsFromItsPoolOnly() {
      DisaggCluster cr = cr();
      PoolRouterSpec aware = new PoolRouterSpec();
      aware.setType(RouterType.KV_CACHE_AWARE);
      cr.getSpec().getRouter().setContextRouter(aware);
      Map<String, Object> kvc = new LinkedHashMap<>();
      kvc.put("free_gpu_memory_fraction", 0.8);
      cr.getSpec()
          .getContext()
          .setLlmApiOptions(new LinkedHashMap<>(Map.of("kv_cache_config", kvc)));

      assertThat(map(worker(cr, Pool.CONTEXT).get("kv_cache_config")))
          .containsExactly(
              Map.entry("event_buffer_max_size", 1024), Map.entry("free_gpu_memory_fraction", 0.8));
      assertThat(worker(cr, Pool.GENERATION)).doesNotContainKey("kv_cache_config");

      kvc.put("event_buffer_max_size", 4096);
      assertThat(map(worker(cr, Pool.CONTEXT).get("kv_cache_config")))
          .containsEntry("event_buffer_max_size", 4096);
    }

    /**
     * AutoDeploy's LlmArgs (tensorrt_llm/_torch/auto_deploy/llm_args.py) rejects a non-default
     * tensor/pipeline parallel size (ensure_no_custom_parallel_config) and shards over world_size;
     * it extends TorchLlmArgs, which owns enable_iter_perf_stats, in the 1.4 source read.
     */
    @Test
    void autoDeployGetsWorldSizeAndIterationStatsOnlyWhereTheReleaseHasThem() {
      DisaggCluster cr = cr();
      cr.getSpec().setBackend(ModelBackend.AUTODEPLOY);
      cr.getSpec().getGeneration().setTensorParallelSize(4);
      cr.getSpec().setImage("nvcr.io/nvidia/tensorrt-llm/release:1.4.0rc4");
      Map<String, Object> w = worker(cr, Pool.GENERATION);
      assertThat(w).containsEntry("world_size", 4).containsEntry("enable_iter_perf_stats", true);
      assertThat(w).doesNotContainKeys("tensor_parallel_size", "pipeline_parallel_size");

      cr.getSpec().setImage("nvcr.io/nvidia/tensorrt-llm/release:1.2.0");
      assertThat(worker(cr, Pool.GENERATION))
          .containsEntry("world_size", 4)
          .doesNotContainKey("enable_iter_perf_stats");
    }

    @Test
    void transferTuningIsWrittenOnlyWhenSet() {
      DisaggCluster cr = cr();
      cr.getSpec().getKvCacheTransfer().setMaxTokensInBuffer(8192);
      cr.getSpec().getKvCacheTransfer().setKvTransferTimeoutMs(30000);
      cr.getSpec().getKvCacheTransfer().setKvTransferSenderFutureTimeoutMs(1000);
      Map<String, Object> ctc = map(worker(cr, Pool.GENERATION).get("cache_transceiver_config"));
      assertThat(ctc)
          .containsExactly(
              Map.entry("backend", "UCX"),
              Map.entry("max_tokens_in_buffer", 8192),
              Map.entry("kv_transfer_timeout_ms", 30000),
              Map.entry("kv_transfer_sender_future_timeout_ms", 1000));
    }

    @Test
    void metricsSwitchesDefaultToTrue() {
      Map<String, Object> w = worker(cr(), Pool.GENERATION);
      assertThat(w)
          .containsEntry("enable_iter_perf_stats", true)
          .containsEntry("return_perf_metrics", true);
    }

    @Test
    void operatorKeyOrderIsFixed() {
      assertThat(worker(cr(), Pool.CONTEXT).keySet())
          .containsExactly(
              "disable_overlap_scheduler",
              "cache_transceiver_config",
              "enable_iter_perf_stats",
              "return_perf_metrics",
              "disagg_cluster");
      assertThat(worker(cr(), Pool.GENERATION).keySet())
          .containsExactly(
              "cache_transceiver_config",
              "enable_iter_perf_stats",
              "return_perf_metrics",
              "disagg_cluster");
    }

    @Test
    void kvTransferCheckGivesGenerationWorkersAPerfMetricsBuffer() {
      DisaggCluster cr = cr();
      assertThat(worker(cr, Pool.GENERATION)).doesNotContainKey("perf_metrics_max_requests");
      cr.getSpec().getFabric().getEfa().setEnabled(true);
      assertThat(worker(cr, Pool.GENERATION).keySet())
          .containsExactly(
              "cache_transceiver_config",
              "enable_iter_perf_stats",
              "return_perf_metrics",
              "perf_metrics_max_requests",
              "disagg_cluster");
      assertThat(worker(cr, Pool.GENERATION)).containsEntry("perf_metrics_max_requests", 1000);
      // Context entries carry no kv_cache_size: not read, no buffer.
      assertThat(worker(cr, Pool.CONTEXT)).doesNotContainKey("perf_metrics_max_requests");
      // The user's value wins; the check switched off writes none.
      cr.getSpec().getGeneration().setLlmApiOptions(Map.of("perf_metrics_max_requests", 50));
      assertThat(worker(cr, Pool.GENERATION)).containsEntry("perf_metrics_max_requests", 50);
      cr.getSpec().getGeneration().setLlmApiOptions(Map.of());
      var check = new io.disagg.operator.api.v1alpha1.KvTransferCheckSpec();
      check.setEnabled(false);
      cr.getSpec().getFabric().setKvTransferCheck(check);
      assertThat(worker(cr, Pool.GENERATION)).doesNotContainKey("perf_metrics_max_requests");
      // TrtLlmArgs (tensorrt backend) has no such field and rejects unknown keys.
      check.setEnabled(true);
      cr.getSpec().setBackend(ModelBackend.TENSORRT);
      assertThat(worker(cr, Pool.GENERATION)).doesNotContainKey("perf_metrics_max_requests");
    }

    @Test
    void tensorrtBackendGetsNoTorchOnlyKeys() {
      DisaggCluster cr = cr();
      cr.getSpec().setBackend(ModelBackend.TENSORRT);
      Map<String, Object> ctx = worker(cr, Pool.CONTEXT);
      assertThat(ctx).doesNotContainKeys("disable_overlap_scheduler", "enable_iter_perf_stats");
      assertThat(ctx)
          .containsKeys("cache_transceiver_config", "return_perf_metrics", "disagg_cluster");
    }

    @Test
    void autodeployBackendDisablesOverlapButHasNoIterPerfStats() {
      DisaggCluster cr = cr();
      cr.getSpec().setBackend(ModelBackend.AUTODEPLOY);
      Map<String, Object> ctx = worker(cr, Pool.CONTEXT);
      assertThat(ctx)
          .containsEntry("disable_overlap_scheduler", true)
          .doesNotContainKey("enable_iter_perf_stats");
    }
  }

  @Nested
  class UserOptions {

    @Test
    void userOptionsAreMergedAndOperatorKeysWin() {
      DisaggCluster cr = cr();
      Map<String, Object> opts = new LinkedHashMap<>();
      opts.put("max_batch_size", 64);
      opts.put("kv_cache_config", new LinkedHashMap<>(Map.of("free_gpu_memory_fraction", 0.85)));
      opts.put("disable_overlap_scheduler", false);
      opts.put(
          "cache_transceiver_config",
          new LinkedHashMap<>(
              Map.of(
                  "backend", "MPI", "max_tokens_in_buffer", 4096, "transceiver_runtime", "CPP")));
      opts.put(
          "disagg_cluster",
          new LinkedHashMap<>(Map.of("cluster_name", "other", "inactive_interval_sec", 3)));
      cr.getSpec().getContext().setLlmApiOptions(opts);

      Map<String, Object> w = worker(cr, Pool.CONTEXT);
      assertThat(w).containsEntry("max_batch_size", 64);
      assertThat(map(w.get("kv_cache_config"))).containsEntry("free_gpu_memory_fraction", 0.85);
      assertThat(w).containsEntry("disable_overlap_scheduler", true);
      Map<String, Object> ctc = map(w.get("cache_transceiver_config"));
      assertThat(ctc)
          .containsEntry("backend", "UCX")
          .containsEntry("max_tokens_in_buffer", 4096)
          .containsEntry("transceiver_runtime", "CPP");
      assertThat(w.get("disagg_cluster")).isEqualTo(TrtllmConfig.disaggClusterSection(eff(cr)));
      assertThat(map(w.get("disagg_cluster")))
          .doesNotContainKey("inactive_interval_sec")
          .containsEntry("cluster_name", "ml.qwen");
      assertThat(w.keySet())
          .containsExactly(
              "disable_overlap_scheduler",
              "cache_transceiver_config",
              "enable_iter_perf_stats",
              "return_perf_metrics",
              "disagg_cluster",
              "kv_cache_config",
              "max_batch_size");
    }

    @Test
    void specTransferTuningWinsOverUserCacheTransceiverKeys() {
      DisaggCluster cr = cr();
      cr.getSpec().getKvCacheTransfer().setMaxTokensInBuffer(8192);
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(
              new LinkedHashMap<>(
                  Map.of(
                      "cache_transceiver_config",
                      new LinkedHashMap<>(Map.of("max_tokens_in_buffer", 1)))));
      Map<String, Object> ctc = map(worker(cr, Pool.GENERATION).get("cache_transceiver_config"));
      assertThat(ctc)
          .containsExactly(Map.entry("backend", "UCX"), Map.entry("max_tokens_in_buffer", 8192));
    }

    @Test
    void userMayTurnMetricsSwitchesOff() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(
              new LinkedHashMap<>(
                  Map.of("enable_iter_perf_stats", false, "return_perf_metrics", false)));
      Map<String, Object> w = worker(cr, Pool.GENERATION);
      assertThat(w)
          .containsEntry("enable_iter_perf_stats", false)
          .containsEntry("return_perf_metrics", false);
    }

    @Test
    void userMapInsertionOrderDoesNotChangeTheYaml() {
      DisaggCluster a = cr();
      DisaggCluster b = cr();
      Map<String, Object> kvA = new LinkedHashMap<>();
      kvA.put("free_gpu_memory_fraction", 0.9);
      kvA.put("enable_block_reuse", true);
      Map<String, Object> optsA = new LinkedHashMap<>();
      optsA.put("max_num_tokens", 8192);
      optsA.put("kv_cache_config", kvA);
      optsA.put("cuda_graph_config", Map.of("batch_sizes", List.of(8, 1, 4)));
      Map<String, Object> kvB = new LinkedHashMap<>();
      kvB.put("enable_block_reuse", true);
      kvB.put("free_gpu_memory_fraction", 0.9);
      Map<String, Object> optsB = new LinkedHashMap<>();
      optsB.put("cuda_graph_config", Map.of("batch_sizes", List.of(8, 1, 4)));
      optsB.put("kv_cache_config", kvB);
      optsB.put("max_num_tokens", 8192);
      a.getSpec().getGeneration().setLlmApiOptions(optsA);
      b.getSpec().getGeneration().setLlmApiOptions(optsB);

      String yaml = TrtllmConfig.workerYaml(effSpec(a), Pool.GENERATION);
      assertThat(TrtllmConfig.workerYaml(effSpec(b), Pool.GENERATION)).isEqualTo(yaml);
      Map<String, Object> w = parse(yaml);
      assertThat(map(w.get("kv_cache_config")).keySet())
          .containsExactly("enable_block_reuse", "free_gpu_memory_fraction");
      // list order is meaningful and kept
      assertThat(map(w.get("cuda_graph_config")).get("batch_sizes")).isEqualTo(List.of(8, 1, 4));
    }

    @Test
    void stringsThatLookLikeOtherTypesStayStrings() {
      DisaggCluster cr = cr();
      List<Object> values =
          List.of(
              "on",
              "off",
              "yes",
              "no",
              "true",
              "null",
              "~",
              "8000",
              "1_000",
              "0x1F",
              "12:30",
              "1e5",
              ".inf",
              "2024-01-01",
              "",
              "a: b",
              "# not a comment",
              "multi\nline");
      Map<String, Object> opts = new LinkedHashMap<>();
      opts.put("values", values);
      opts.put("on", "y");
      cr.getSpec().getGeneration().setLlmApiOptions(opts);
      String yaml = TrtllmConfig.workerYaml(effSpec(cr), Pool.GENERATION);

      assertThat(yaml)
          .contains(
              "- \"on\"\n",
              "- \"8000\"\n",
              "- \"1_000\"\n",
              "- \"12:30\"\n",
              "- \"2024-01-01\"\n",
              "\"on\": \"y\"\n");
      Map<String, Object> w = parse(yaml);
      assertThat(w.get("values")).isEqualTo(values);
      assertThat(w).containsEntry("on", "y");
    }

    @Test
    void floatsAreWrittenSoPyYamlReadsFloats() {
      assertThat(TrtllmYaml.pythonFloat(0.9)).isEqualTo("0.9");
      assertThat(TrtllmYaml.pythonFloat(2.0)).isEqualTo("2.0");
      assertThat(TrtllmYaml.pythonFloat(1e10)).isEqualTo("10000000000.0");
      assertThat(TrtllmYaml.pythonFloat(1e-7)).isEqualTo("0.0000001");
      assertThat(TrtllmYaml.pythonFloat(Double.NaN)).isEqualTo(".nan");
      assertThat(TrtllmYaml.pythonFloat(Double.NEGATIVE_INFINITY)).isEqualTo("-.inf");

      DisaggCluster cr = cr();
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(new LinkedHashMap<>(Map.of("big", 1e10, "ratio", 0.5f)));
      String yaml = TrtllmConfig.workerYaml(effSpec(cr), Pool.GENERATION);
      assertThat(yaml).contains("big: 10000000000.0\n", "ratio: 0.5\n");
    }
  }

  @Nested
  class DisaggClusterSection {

    @Test
    void exactFieldsAndValues() {
      DisaggCluster cr = cr();
      cr.getSpec().getContext().setMinimalInstances(2);
      cr.getSpec().getDiscovery().setHeartbeatIntervalSeconds(3);
      cr.getSpec().getDiscovery().setInactiveTimeoutSeconds(12);
      Map<String, Object> dc = map(worker(cr, Pool.GENERATION).get("disagg_cluster"));
      assertThat(dc.keySet())
          .containsExactly(
              "cluster_uri",
              "cluster_name",
              "minimal_instances",
              "heartbeat_interval_sec",
              "inactive_timeout_sec");
      assertThat(dc).doesNotContainKey("inactive_interval_sec");
      assertThat(dc)
          .containsEntry("cluster_uri", "etcd://etcd.infra.svc:2379")
          .containsEntry("cluster_name", "ml.qwen")
          .containsEntry("heartbeat_interval_sec", 3)
          .containsEntry("inactive_timeout_sec", 12);
      assertThat(map(dc.get("minimal_instances")))
          .containsExactly(Map.entry("context_servers", 2), Map.entry("generation_servers", 1));
    }

    @Test
    void routerAndWorkersShareTheIdenticalSection() {
      DisaggCluster cr = Fixtures.efa("prod", "llama");
      cr.getSpec().getDiscovery().setClusterName("shared-name");
      cr.getSpec().getDiscovery().getEtcd().getEndpoints().add("etcd-2.infra.svc:2379");
      Object fromRouter = router(cr).get("disagg_cluster");
      assertThat(fromRouter).isNotNull();
      assertThat(worker(cr, Pool.CONTEXT).get("disagg_cluster")).isEqualTo(fromRouter);
      assertThat(worker(cr, Pool.GENERATION).get("disagg_cluster")).isEqualTo(fromRouter);
      assertThat(map(fromRouter)).containsEntry("cluster_name", "shared-name");
    }

    @Test
    void clusterUriJoinsEveryEndpointWithItsOwnScheme() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getDiscovery()
          .getEtcd()
          .setEndpoints(
              new ArrayList<>(
                  List.of(
                      "etcd-0.etcd:2379",
                      "etcd://etcd-1.etcd:2379",
                      "http://etcd-2.etcd:2379/",
                      " HTTP://etcd-3.etcd:2379 ")));
      assertThat(TrtllmConfig.clusterUri(eff(cr)))
          .isEqualTo(
              "etcd://etcd-0.etcd:2379,etcd://etcd-1.etcd:2379,etcd://etcd-2.etcd:2379,etcd://etcd-3.etcd:2379");
      assertThat(map(worker(cr, Pool.CONTEXT).get("disagg_cluster")).get("cluster_uri"))
          .isEqualTo(TrtllmConfig.clusterUri(eff(cr)));
    }

    @Test
    void clusterNameDefaultsToNamespaceDotName() {
      DisaggCluster cr = cr();
      assertThat(TrtllmConfig.clusterName(eff(cr))).isEqualTo("ml.qwen");
      cr.getSpec().getDiscovery().setClusterName("  ");
      assertThat(TrtllmConfig.clusterName(eff(cr))).isEqualTo("ml.qwen");
      cr.getSpec().getDiscovery().setClusterName("blue");
      assertThat(TrtllmConfig.clusterName(eff(cr))).isEqualTo("blue");
    }
  }

  @Nested
  class RouterConfig {

    @Test
    void exactTopLevelKeysAndValues() {
      DisaggCluster cr = cr();
      cr.getSpec().getRouter().setPort(9000);
      cr.getSpec().getRouter().setMaxRetries(3);
      Map<String, Object> r = router(cr);
      assertThat(r.keySet())
          .containsExactly(
              "hostname",
              "port",
              "backend",
              "max_retries",
              "context_servers",
              "generation_servers",
              "disagg_cluster");
      assertThat(r)
          .containsEntry("hostname", "0.0.0.0")
          .containsEntry("port", 9000)
          .containsEntry("backend", "pytorch")
          .containsEntry("max_retries", 3);
    }

    @Test
    void serverSectionsHoldOnlyTheRouterBlock() {
      DisaggCluster cr = cr();
      cr.getSpec().getRouter().getGenerationRouter().setType(RouterType.LOAD_BALANCING);
      cr.getSpec().getRouter().getGenerationRouter().setUseTokens(true);
      Map<String, Object> r = router(cr);
      Map<String, Object> ctx = map(r.get("context_servers"));
      Map<String, Object> gen = map(r.get("generation_servers"));
      assertThat(ctx.keySet()).containsExactly("router");
      assertThat(gen.keySet()).containsExactly("router");
      assertThat(map(ctx.get("router"))).containsExactly(Map.entry("type", "round_robin"));
      assertThat(map(gen.get("router")))
          .containsExactly(Map.entry("type", "load_balancing"), Map.entry("use_tokens", true));
    }

    @Test
    void kvCacheAwareRouterGetsTheWorkersBlockSizeAndBatchSize() {
      DisaggCluster cr = cr();
      cr.getSpec().getRouter().getGenerationRouter().setType(RouterType.KV_CACHE_AWARE);
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(
              new LinkedHashMap<>(
                  Map.of(
                      "max_batch_size", 128, "kv_cache_config", Map.of("tokens_per_block", 64))));
      Map<String, Object> gen = map(map(router(cr).get("generation_servers")).get("router"));
      assertThat(gen)
          .containsExactly(
              Map.entry("type", "kv_cache_aware"),
              Map.entry("tokens_per_block", 64),
              Map.entry("max_batch_size", 128));
    }

    @Test
    void conditionalDisaggOnlyWhenSet() {
      DisaggCluster cr = cr();
      assertThat(router(cr)).doesNotContainKey("conditional_disagg_config");
      cr.getSpec().getRouter().getGenerationRouter().setType(RouterType.KV_CACHE_AWARE);
      cr.getSpec().getRouter().setMaxLocalPrefillLength(512);
      Map<String, Object> r = router(cr);
      assertThat(map(r.get("conditional_disagg_config")))
          .containsExactly(Map.entry("max_local_prefill_length", 512));
    }

    @Test
    void extraConfigIsMergedAtTopLevelAndOperatorKeysWin() {
      DisaggCluster cr = cr();
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("schedule_style", "generation_first");
      extra.put("perf_metrics_max_requests", 1000);
      extra.put("port", 1);
      extra.put("hostname", "localhost");
      extra.put("backend", "tensorrt");
      extra.put("disagg_cluster", Map.of("cluster_name", "x"));
      extra.put("otlp_config", Map.of("otlp_traces_endpoint", "http://otel:4318/v1/traces"));
      cr.getSpec().getRouter().setExtraConfig(extra);
      Map<String, Object> r = router(cr);
      assertThat(r)
          .containsEntry("port", 8000)
          .containsEntry("hostname", "0.0.0.0")
          .containsEntry("backend", "pytorch");
      assertThat(r.get("disagg_cluster")).isEqualTo(TrtllmConfig.disaggClusterSection(eff(cr)));
      assertThat(r)
          .containsEntry("schedule_style", "generation_first")
          .containsEntry("perf_metrics_max_requests", 1000);
      assertThat(map(r.get("otlp_config")))
          .containsEntry("otlp_traces_endpoint", "http://otel:4318/v1/traces");
      assertThat(r.keySet())
          .containsExactly(
              "hostname",
              "port",
              "backend",
              "max_retries",
              "context_servers",
              "generation_servers",
              "disagg_cluster",
              "otlp_config",
              "perf_metrics_max_requests",
              "schedule_style");
    }

    @Test
    void extraConditionalDisaggPassesOnlyWhenTheSpecDoesNotSetIt() {
      DisaggCluster cr = cr();
      cr.getSpec().getRouter().getGenerationRouter().setType(RouterType.KV_CACHE_AWARE);
      cr.getSpec()
          .getRouter()
          .setExtraConfig(
              new LinkedHashMap<>(
                  Map.of("conditional_disagg_config", Map.of("max_local_prefill_length", 128))));
      assertThat(map(router(cr).get("conditional_disagg_config")))
          .containsExactly(Map.entry("max_local_prefill_length", 128));
      cr.getSpec().getRouter().setMaxLocalPrefillLength(512);
      assertThat(map(router(cr).get("conditional_disagg_config")))
          .containsExactly(Map.entry("max_local_prefill_length", 512));
    }
  }

  @Nested
  class ConfigMapAndDeterminism {

    @Test
    void configMapHasTheThreeFilesAndThePreStopScript() {
      DisaggCluster cr = cr();
      Map<String, String> data = TrtllmConfig.configMapData(effSpec(cr));
      assertThat(data.keySet())
          .containsExactly("context.yaml", "deregister.py", "generation.yaml", "router.yaml");
      assertThat(data.get("context.yaml"))
          .isEqualTo(TrtllmConfig.workerYaml(effSpec(cr), Pool.CONTEXT));
      assertThat(data.get("generation.yaml"))
          .isEqualTo(TrtllmConfig.workerYaml(effSpec(cr), Pool.GENERATION));
      assertThat(data.get("router.yaml")).isEqualTo(TrtllmConfig.routerYaml(effSpec(cr)));
      assertThat(data.get("deregister.py")).isEqualTo(TrtllmConfig.deregisterScript());
      assertThat(TrtllmConfig.workerConfigKey(Pool.CONTEXT)).isEqualTo("context.yaml");
      assertThat(TrtllmConfig.ROUTER_CONFIG_KEY).isEqualTo("router.yaml");
      assertThat(TrtllmConfig.DEREGISTER_SCRIPT_KEY).isEqualTo("deregister.py");
    }

    @Test
    void preStopScriptIsTheShippedResourceAndTheSameForEveryCluster() throws IOException {
      String script = TrtllmConfig.deregisterScript();
      try (var in = TrtllmConfig.class.getResourceAsStream("/trtllm/deregister.py")) {
        assertThat(in).isNotNull();
        assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
            .isEqualTo(script);
      }
      assertThat(script)
          .startsWith("#!/usr/bin/env python3\n")
          .contains("/trtllm-disagg/")
          .endsWith("\n")
          .doesNotContain("\r");
      assertThat(TrtllmConfig.deregisterScript()).isSameAs(script); // read once
      DisaggCluster other = Fixtures.efa("other-ns", "other");
      other.getSpec().getDiscovery().setClusterName("elsewhere");
      assertThat(TrtllmConfig.configMapData(effSpec(other)).get("deregister.py")).isEqualTo(script);
    }

    @Test
    void twoRendersAreByteIdentical() {
      Map<String, String> first = TrtllmConfig.configMapData(effSpec(Fixtures.efa("a", "b")));
      Map<String, String> second = TrtllmConfig.configMapData(effSpec(Fixtures.efa("a", "b")));
      assertThat(second).isEqualTo(first);
      assertThat(TrtllmConfig.fabricEnv(eff(Fixtures.efa("a", "b"))))
          .isEqualTo(TrtllmConfig.fabricEnv(eff(Fixtures.efa("a", "b"))));
    }

    @Test
    void aSpecChangeChangesTheYaml() {
      DisaggCluster cr = cr();
      String before = TrtllmConfig.routerYaml(effSpec(cr));
      cr.getSpec().getGeneration().setMinimalInstances(2);
      assertThat(TrtllmConfig.routerYaml(effSpec(cr))).isNotEqualTo(before);
    }

    @Test
    void yamlHasNoDocumentMarkerAndUnixLineBreaks() {
      TrtllmConfig.configMapData(effSpec(cr()))
          .forEach(
              (key, yaml) -> {
                if (key.endsWith(".yaml")) {
                  assertThat(yaml).doesNotStartWith("---").doesNotContain("\r").endsWith("\n");
                }
              });
    }

    @Test
    void workerFileGolden() {
      assertThat(TrtllmConfig.workerYaml(effSpec(cr()), Pool.CONTEXT))
          .isEqualTo(
              """
          disable_overlap_scheduler: true
          cache_transceiver_config:
            backend: UCX
          enable_iter_perf_stats: true
          return_perf_metrics: true
          disagg_cluster:
            cluster_uri: etcd://etcd.infra.svc:2379
            cluster_name: ml.qwen
            minimal_instances:
              context_servers: 1
              generation_servers: 1
            heartbeat_interval_sec: 5
            inactive_timeout_sec: 10
          """);
    }
  }

  @Nested
  class FabricEnv {

    @Test
    void theEfaSampleSetsTheDirectoryVariableNixlReads() {
      // ai-dynamo/nixl src/core/nixl_plugin_manager.cpp, getPluginDir(): NIXL_PLUGIN_DIR, singular.
      DisaggCluster cr = io.disagg.operator.testing.Samples.load("aws-efa-p5.yaml");
      assertThat(TrtllmConfig.fabricEnv(eff(cr)))
          .containsEntry("NIXL_PLUGIN_DIR", "/opt/nixl/lib/x86_64-linux-gnu/plugins")
          .containsEntry("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC")
          .containsEntry("FI_PROVIDER", "efa")
          .doesNotContainKey("NIXL_PLUGINS_DIR");
    }

    @Test
    void ucxTransferNeedsNoFabricEnvironment() {
      assertThat(TrtllmConfig.fabricEnv(eff(cr()))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(
        value = KvCacheTransferBackend.class,
        names = {"NIXL", "DEFAULT"})
    void nixlTransportIsSelectedForNixlAndDefault(KvCacheTransferBackend backend) {
      DisaggCluster cr = cr();
      cr.getSpec().getKvCacheTransfer().setBackend(backend);
      assertThat(TrtllmConfig.fabricEnv(eff(cr)))
          .containsExactly(Map.entry("TRTLLM_NIXL_KVCACHE_BACKEND", "UCX"));
      cr.getSpec().getKvCacheTransfer().setNixlBackend(NixlBackend.LIBFABRIC);
      assertThat(TrtllmConfig.fabricEnv(eff(cr)))
          .containsExactly(Map.entry("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC"));
    }

    @Test
    void efaEnvironment() {
      assertThat(TrtllmConfig.fabricEnv(eff(Fixtures.efa("a", "b"))))
          .containsExactly(
              Map.entry("FI_EFA_USE_DEVICE_RDMA", "1"),
              Map.entry("FI_LOG_LEVEL", "warn"),
              Map.entry("FI_PROVIDER", "efa"),
              // NIXL reads NIXL_PLUGIN_DIR (ai-dynamo/nixl src/core/nixl_plugin_manager.cpp,
              // getPluginDir()).
              Map.entry("NIXL_PLUGIN_DIR", Fixtures.NIXL_PLUGINS_DIR),
              Map.entry("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC"));
    }

    @Test
    void efaWithoutGpuDirectRdmaAndWithoutPluginsDir() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec().getFabric().getEfa().setGpuDirectRdma(false);
      cr.getSpec().getFabric().getEfa().setNixlPluginsDir(null);
      cr.getSpec().getFabric().getEfa().setLogLevel("info");
      Map<String, String> env = TrtllmConfig.fabricEnv(eff(cr));
      assertThat(env)
          .containsEntry("FI_EFA_USE_DEVICE_RDMA", "0")
          .containsEntry("FI_LOG_LEVEL", "info")
          .doesNotContainKeys("NIXL_PLUGIN_DIR", "NIXL_PLUGINS_DIR", "LD_LIBRARY_PATH");
    }

    @Test
    void extraEnvIsIncludedSortedAndOperatorVariablesWin() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put("UCX_MAX_RNDV_RAILS", "1");
      extra.put("FI_PROVIDER", "tcp");
      extra.put("TRTLLM_KVCACHE_TRANSFER_BUFFER_SIZE", "1GB");
      cr.getSpec().getKvCacheTransfer().setEnv(extra);
      Map<String, String> env = TrtllmConfig.fabricEnv(eff(cr));
      assertThat(env)
          .containsEntry("UCX_MAX_RNDV_RAILS", "1")
          .containsEntry("TRTLLM_KVCACHE_TRANSFER_BUFFER_SIZE", "1GB")
          .containsEntry("FI_PROVIDER", "efa");
      assertThat(new ArrayList<>(env.keySet())).isSorted();
    }
  }
}
