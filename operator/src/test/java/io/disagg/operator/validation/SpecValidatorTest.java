package io.disagg.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PodTemplateOverrides;
import io.disagg.operator.api.v1alpha1.PoolRouterSpec;
import io.disagg.operator.api.v1alpha1.RouterType;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.core.SpecProblem.Severity;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ListAssert;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpecValidatorTest {

  static DisaggCluster cr() {
    return Fixtures.minimal("ml", "qwen");
  }

  /**
   * The problems as the reconciler finds them: the effective spec's (etcd endpoints, release), then
   * the validator's (release compatibility included).
   */
  static List<SpecProblem> validate(DisaggCluster cr) {
    EffectiveSpec.Result effective = EffectiveSpecs.of(cr, List.of());
    List<SpecProblem> out = new ArrayList<>(effective.problems());
    out.addAll(SpecValidator.validate(effective.spec()));
    return out;
  }

  static ListAssert<SpecProblem> problems(DisaggCluster cr) {
    return assertThat(validate(cr));
  }

  /**
   * Asserts the spec has exactly one problem: this field, this severity, a message containing the
   * words.
   */
  static void onlyProblem(DisaggCluster cr, String field, Severity severity, String... words) {
    List<SpecProblem> p = validate(cr);
    assertThat(p)
        .extracting(SpecProblem::field, SpecProblem::severity)
        .containsExactly(tuple(field, severity));
    assertThat(p.get(0).message()).contains(words);
  }

  @Test
  void fixturesAreClean() {
    problems(Fixtures.minimal("a", "b")).isEmpty();
    problems(Fixtures.efa("a", "b")).isEmpty();
  }

  @Test
  void problemsTellErrorsFromWarnings() {
    List<SpecProblem> p = List.of(SpecProblem.warning("a", "w"), SpecProblem.error("b", "e"));
    assertThat(p)
        .filteredOn(SpecProblem::isError)
        .extracting(SpecProblem::field)
        .containsExactly("b");
    assertThat(p.get(1)).hasToString("b: e");
  }

  @Nested
  class Resources {

    @Test
    void gpuLimitMustEqualTensorTimesPipelineParallelism() {
      DisaggCluster cr = cr();
      cr.getSpec().getContext().setTensorParallelSize(2);
      cr.getSpec().getContext().setPipelineParallelSize(2);
      cr.getSpec()
          .getContext()
          .setResources(
              new ResourceRequirementsBuilder()
                  .addToLimits("nvidia.com/gpu", new Quantity("2"))
                  .build());
      onlyProblem(
          cr, "spec.context.resources.limits[nvidia.com/gpu]", Severity.ERROR, "is 2", "= 4");
    }

    @Test
    void matchingGpuCountIsFine() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec()
          .getGeneration()
          .setResources(
              new ResourceRequirementsBuilder()
                  .addToLimits("nvidia.com/gpu", new Quantity("8"))
                  .addToRequests("nvidia.com/gpu", new Quantity("8"))
                  .build());
      problems(cr).isEmpty();
    }

    @Test
    void gpuRequestIsCheckedToo() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getGeneration()
          .setResources(
              new ResourceRequirementsBuilder()
                  .addToRequests("nvidia.com/gpu", new Quantity("500m"))
                  .build());
      onlyProblem(cr, "spec.generation.resources.requests[nvidia.com/gpu]", Severity.ERROR, "500m");
    }

    @Test
    void conflictingEfaCountIsAWarning() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec()
          .getContext()
          .setResources(
              new ResourceRequirementsBuilder()
                  .addToLimits("vpc.amazonaws.com/efa", new Quantity("4"))
                  .build());
      onlyProblem(
          cr, "spec.context.resources.limits[vpc.amazonaws.com/efa]", Severity.WARNING, "32");
    }
  }

  /**
   * Malformed quantities are problems naming the field, found before any child is built (a CRD
   * without the apply-time rule lets them through). The values are ones Kubernetes' {@code
   * resource.ParseQuantity} refuses.
   */
  @Nested
  class Quantities {

    @ParameterizedTest
    @ValueSource(strings = {"16 Gi", "16GB", "sixteen", "Gi", "1.5.5Gi", "16gi"})
    void malformedShmSizeIsAnErrorNamingTheField(String value) {
      DisaggCluster cr = cr();
      cr.getSpec().getContext().setShmSize(new Quantity(value));
      onlyProblem(
          cr,
          "spec.context.shmSize",
          Severity.ERROR,
          "'" + value + "'",
          "not a Kubernetes quantity");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1Gi", "0Mi"})
    void sizesMustBePositive(String value) {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec().getFabric().getEfa().setHugepages2Mi(new Quantity(value));
      onlyProblem(
          cr, "spec.fabric.efa.hugepages2Mi", Severity.ERROR, "greater than 0", "(is " + value);
    }

    @Test
    void malformedHugepagesIsAnError() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec().getFabric().getEfa().setHugepages2Mi(new Quantity("5120 Mi"));
      onlyProblem(cr, "spec.fabric.efa.hugepages2Mi", Severity.ERROR, "'5120 Mi'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"16Gi", "512Mi", "1e9", "17179869184", "1.5Gi", "2G", ".5Gi"})
    void wellFormedSizesPass(String value) {
      DisaggCluster cr = cr();
      cr.getSpec().getGeneration().setShmSize(new Quantity(value));
      problems(cr).isEmpty();
    }

    @Test
    void resourcesOfPoolsAndRouterAreChecked() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getContext()
          .setResources(
              new ResourceRequirementsBuilder()
                  .addToLimits("memory", new Quantity("64 Gi"))
                  .addToRequests("cpu", new Quantity("-2"))
                  .build());
      cr.getSpec()
          .getRouter()
          .setResources(
              new ResourceRequirementsBuilder()
                  .addToRequests("memory", new Quantity("1GB"))
                  .build());
      problems(cr)
          .extracting(SpecProblem::field, SpecProblem::severity)
          .containsExactly(
              tuple("spec.router.resources.requests[memory]", Severity.ERROR),
              tuple("spec.context.resources.limits[memory]", Severity.ERROR),
              tuple("spec.context.resources.requests[cpu]", Severity.ERROR));
      assertThat(validate(cr).get(2).message()).contains("must not be negative", "-2");
    }

    @Test
    void malformedGpuCountIsReportedOnceAsMalformed() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getContext()
          .setResources(
              new ResourceRequirementsBuilder()
                  .addToLimits("nvidia.com/gpu", new Quantity("one"))
                  .build());
      onlyProblem(
          cr,
          "spec.context.resources.limits[nvidia.com/gpu]",
          Severity.ERROR,
          "not a Kubernetes quantity");
    }

    @Test
    void podTemplateQuantitiesAreChecked() {
      DisaggCluster cr = cr();
      PodTemplateOverrides t = cr.getSpec().getGeneration().getPodTemplate();
      t.getSidecars()
          .add(
              new ContainerBuilder()
                  .withName("log")
                  .withImage("busybox")
                  .withNewResources()
                  .addToLimits("memory", new Quantity("100 Mi"))
                  .endResources()
                  .build());
      t.getVolumes()
          .add(
              new VolumeBuilder()
                  .withName("scratch")
                  .withNewEmptyDir()
                  .withSizeLimit(new Quantity("1 Ti"))
                  .endEmptyDir()
                  .build());
      problems(cr)
          .extracting(SpecProblem::field)
          .containsExactly(
              "spec.generation.podTemplate.sidecars[0].resources.limits[memory]",
              "spec.generation.podTemplate.volumes[0].emptyDir.sizeLimit",
              // the sidecar has no security context: a warning (PodSecurityLevelsTest)
              "spec.generation.podTemplate");
    }
  }

  @Nested
  class Fabric {

    @Test
    void efaNeedsTheLibfabricTransport() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec().getKvCacheTransfer().setNixlBackend(NixlBackend.UCX);
      onlyProblem(cr, "spec.kvCacheTransfer.nixlBackend", Severity.ERROR, "LIBFABRIC", "UCX");
    }

    @Test
    void efaNeedsNixl() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec().getKvCacheTransfer().setBackend(KvCacheTransferBackend.UCX);
      problems(cr)
          .extracting(SpecProblem::field, SpecProblem::severity)
          .contains(tuple("spec.kvCacheTransfer.backend", Severity.ERROR));
    }

    @Test
    void efaWithDefaultBackendIsFine() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec().getKvCacheTransfer().setBackend(KvCacheTransferBackend.DEFAULT);
      problems(cr).isEmpty();
    }

    @Test
    void libfabricWithoutPluginsDirIsAWarning() {
      DisaggCluster cr = Fixtures.efa("a", "b");
      cr.getSpec().getFabric().getEfa().setNixlPluginsDir(null);
      onlyProblem(cr, "spec.fabric.efa.nixlPluginsDir", Severity.WARNING, "libplugin_LIBFABRIC.so");
    }

    @Test
    void mpiIsOnlyAWarning() {
      DisaggCluster cr = cr();
      cr.getSpec().getKvCacheTransfer().setBackend(KvCacheTransferBackend.MPI);
      onlyProblem(cr, "spec.kvCacheTransfer.backend", Severity.WARNING, "deprecated");
    }

    @Test
    void operatorEnvironmentCannotBeSetByHand() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getKvCacheTransfer()
          .setEnv(new LinkedHashMap<>(Map.of("FI_PROVIDER", "tcp", "UCX_MAX_RNDV_RAILS", "1")));
      onlyProblem(
          cr, "spec.kvCacheTransfer.env[FI_PROVIDER]", Severity.ERROR, "set by the operator");
    }

    @Test
    void envNamesMustBeValidConfigMapKeys() {
      DisaggCluster cr = cr();
      cr.getSpec().getKvCacheTransfer().setEnv(new LinkedHashMap<>(Map.of("BAD NAME", "1")));
      onlyProblem(cr, "spec.kvCacheTransfer.env[BAD NAME]", Severity.ERROR, "not a valid");
    }
  }

  @Nested
  class LlmApiOptions {

    @ParameterizedTest
    @ValueSource(strings = {"tensor_parallel_size", "pipeline_parallel_size", "backend", "model"})
    void keysOwnedByTrtllmServeFlagsAreErrors(String key) {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(new LinkedHashMap<>(Map.of(key, 1, "max_batch_size", 8)));
      onlyProblem(cr, "spec.generation.llmApiOptions." + key, Severity.ERROR, "instead");
    }

    @Test
    void disaggClusterAndTransferBackendAreTheOperators() {
      DisaggCluster cr = cr();
      Map<String, Object> opts = new LinkedHashMap<>();
      opts.put("disagg_cluster", Map.of("cluster_uri", "etcd://x:2379"));
      opts.put("cache_transceiver_config", Map.of("backend", "NIXL"));
      cr.getSpec().getContext().setLlmApiOptions(opts);
      problems(cr)
          .extracting(SpecProblem::field, SpecProblem::severity)
          .containsExactly(
              tuple("spec.context.llmApiOptions.disagg_cluster", Severity.ERROR),
              tuple("spec.context.llmApiOptions.cache_transceiver_config.backend", Severity.ERROR));
    }

    /**
     * AutoDeploy shards over world_size and rejects pipeline_parallel_size
     * (tensorrt_llm/_torch/auto_deploy/llm_args.py LlmArgs.ensure_no_custom_parallel_config).
     */
    @Test
    void autoDeployRefusesPipelineParallelismAndItsOwnWorldSize() {
      DisaggCluster cr = cr();
      cr.getSpec().setBackend(ModelBackend.AUTODEPLOY);
      cr.getSpec().getContext().setPipelineParallelSize(2);
      cr.getSpec().getGeneration().setLlmApiOptions(new LinkedHashMap<>(Map.of("world_size", 2)));
      problems(cr)
          .extracting(SpecProblem::field, SpecProblem::severity)
          .containsExactly(
              tuple("spec.context.pipelineParallelSize", Severity.ERROR),
              tuple("spec.generation.llmApiOptions.world_size", Severity.ERROR));
    }

    /**
     * With event_buffer_max_size 0 workers publish no KV-cache events (KvCacheConfig in
     * tensorrt_llm/llmapi/llm_args.py), so a kv_cache_aware router has nothing to route by.
     */
    @Test
    void kvCacheAwareRouterRefusesAnEventBufferOfZero() {
      DisaggCluster cr = cr();
      PoolRouterSpec aware = new PoolRouterSpec();
      aware.setType(RouterType.KV_CACHE_AWARE);
      cr.getSpec().getRouter().setGenerationRouter(aware);
      Map<String, Object> kvc = new LinkedHashMap<>();
      kvc.put("event_buffer_max_size", 0);
      kvc.put("enable_block_reuse", false);
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(new LinkedHashMap<>(Map.of("kv_cache_config", kvc)));
      problems(cr)
          .extracting(SpecProblem::field, SpecProblem::severity)
          .containsExactly(
              tuple(
                  "spec.generation.llmApiOptions.kv_cache_config.event_buffer_max_size",
                  Severity.ERROR),
              tuple(
                  "spec.generation.llmApiOptions.kv_cache_config.enable_block_reuse",
                  Severity.WARNING));
      // The same options behind a round-robin router are fine.
      cr.getSpec().getRouter().setGenerationRouter(null);
      problems(cr).isEmpty();
    }

    @Test
    void cacheTransceiverKeysShadowedOrUnknownAreWarnings() {
      DisaggCluster cr = cr();
      cr.getSpec().getKvCacheTransfer().setMaxTokensInBuffer(4096);
      cr.getSpec().setTrtllmVersion("1.3"); // has kv_transfer_timeout_ms
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(
              new LinkedHashMap<>(
                  Map.of(
                      "cache_transceiver_config",
                      Map.of(
                          "max_tokens_in_buffer",
                          2048,
                          "kv_transfer_timeout_ms",
                          100,
                          "max_num_tokens",
                          1))));
      problems(cr)
          .extracting(SpecProblem::field, SpecProblem::severity)
          .containsExactly(
              tuple(
                  "spec.generation.llmApiOptions.cache_transceiver_config.max_num_tokens",
                  Severity.WARNING),
              tuple(
                  "spec.generation.llmApiOptions.cache_transceiver_config.max_tokens_in_buffer",
                  Severity.WARNING));
    }

    @Test
    void cacheTransceiverConfigMustBeAMap() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getGeneration()
          .setLlmApiOptions(new LinkedHashMap<>(Map.of("cache_transceiver_config", "UCX")));
      onlyProblem(
          cr, "spec.generation.llmApiOptions.cache_transceiver_config", Severity.ERROR, "map");
    }

    @Test
    void contextOverlapSchedulerOverrideIsAWarning() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getContext()
          .setLlmApiOptions(new LinkedHashMap<>(Map.of("disable_overlap_scheduler", false)));
      onlyProblem(
          cr, "spec.context.llmApiOptions.disable_overlap_scheduler", Severity.WARNING, "ignored");
      cr.getSpec()
          .getContext()
          .setLlmApiOptions(new LinkedHashMap<>(Map.of("disable_overlap_scheduler", true)));
      problems(cr).isEmpty();
    }
  }

  @Nested
  class Counts {

    @Test
    void minimalAboveMaxIsAnError() {
      DisaggCluster cr = cr();
      cr.getSpec().getGeneration().setReplicas(null);
      cr.getSpec().getGeneration().setMinimalInstances(3);
      cr.getSpec().getGeneration().setMaxInstances(2);
      onlyProblem(cr, "spec.generation.minimalInstances", Severity.ERROR, "(3)", "(2)");
    }

    @Test
    void replicasBelowMinimalIsAnError() {
      DisaggCluster cr = cr();
      cr.getSpec().getContext().setReplicas(1);
      cr.getSpec().getContext().setMinimalInstances(2);
      onlyProblem(cr, "spec.context.replicas", Severity.ERROR, "minimalInstances");
    }

    @Test
    void replicasAboveMaxIsAnError() {
      DisaggCluster cr = cr();
      cr.getSpec().getContext().setMaxInstances(1);
      onlyProblem(cr, "spec.context.replicas", Severity.ERROR, "(2)", "maxInstances (1)");
    }

    @Test
    void outOfRangeValuesAreErrorsNotExceptions() {
      DisaggCluster cr = cr();
      cr.getSpec().getContext().setTensorParallelSize(0);
      cr.getSpec().getContext().setMinimalInstances(0);
      cr.getSpec().getGeneration().setPort(70000);
      cr.getSpec().getRouter().setMaxRetries(-1);
      problems(cr)
          .extracting(SpecProblem::field)
          .contains(
              "spec.context.tensorParallelSize",
              "spec.context.minimalInstances",
              "spec.generation.port",
              "spec.router.maxRetries");
      assertThat(validate(cr)).allMatch(SpecProblem::isError);
    }
  }

  @Nested
  class Discovery {

    @Test
    void emptyEndpointsIsAnError() {
      DisaggCluster cr = cr();
      cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>());
      onlyProblem(cr, "spec.discovery.etcd.endpoints", Severity.ERROR, "at least one");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "etcd.infra.svc",
          "https://etcd:2379",
          "etcd:port",
          "etcd:2379/path",
          "a b:2379"
        })
    void malformedEndpointsAreErrors(String endpoint) {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getDiscovery()
          .getEtcd()
          .setEndpoints(new ArrayList<>(List.of("etcd-0:2379", endpoint)));
      onlyProblem(cr, "spec.discovery.etcd.endpoints[1]", Severity.ERROR, "host:port");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "etcd://etcd-1:2379",
          "http://etcd-1:2379",
          "etcd-1.infra.svc.cluster.local:12379"
        })
    void wellFormedEndpointsPass(String endpoint) {
      DisaggCluster cr = cr();
      cr.getSpec().setTrtllmVersion("1.4"); // splits cluster_uri on commas
      cr.getSpec()
          .getDiscovery()
          .getEtcd()
          .setEndpoints(new ArrayList<>(List.of("etcd-0:2379", endpoint)));
      problems(cr).isEmpty();
    }

    @Test
    void portOutOfRangeIsAnError() {
      DisaggCluster cr = cr();
      cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>(List.of("etcd:99999")));
      onlyProblem(cr, "spec.discovery.etcd.endpoints[0]", Severity.ERROR, "99999");
    }

    @Test
    void duplicateEndpointIsAWarning() {
      DisaggCluster cr = cr();
      cr.getSpec()
          .getDiscovery()
          .getEtcd()
          .setEndpoints(new ArrayList<>(List.of("etcd:2379", "etcd://etcd:2379")));
      onlyProblem(cr, "spec.discovery.etcd.endpoints[1]", Severity.WARNING, "duplicates");
    }

    @Test
    void heartbeatMustBeShorterThanInactiveTimeout() {
      DisaggCluster cr = cr();
      cr.getSpec().getDiscovery().setHeartbeatIntervalSeconds(10);
      cr.getSpec().getDiscovery().setInactiveTimeoutSeconds(10);
      onlyProblem(
          cr, "spec.discovery.heartbeatIntervalSeconds", Severity.ERROR, "inactiveTimeoutSeconds");
    }

    @Test
    void clusterNameMustBeAKeySegment() {
      DisaggCluster cr = cr();
      cr.getSpec().getDiscovery().setClusterName("a/b");
      onlyProblem(cr, "spec.discovery.clusterName", Severity.ERROR, "/trtllm-disagg/");
    }
  }

  @Nested
  class Router {

    @Test
    void conditionalDisaggNeedsKvCacheAwareGenerationRouter() {
      DisaggCluster cr = cr();
      cr.getSpec().getRouter().setMaxLocalPrefillLength(256);
      onlyProblem(cr, "spec.router.maxLocalPrefillLength", Severity.ERROR, "kv_cache_aware");
      cr.getSpec().getRouter().getGenerationRouter().setType(RouterType.KV_CACHE_AWARE);
      problems(cr).isEmpty();
    }

    @Test
    void extraConfigKeysTheOperatorOwns() {
      DisaggCluster cr = cr();
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("port", 1);
      extra.put("context_servers", Map.of("num_instances", 1));
      extra.put("router", Map.of("type", "round_robin"));
      extra.put("backend", "pytorch");
      extra.put("schedule_style", "generation_first");
      cr.getSpec().getRouter().setExtraConfig(extra);
      problems(cr)
          .extracting(SpecProblem::field, SpecProblem::severity)
          .containsExactly(
              tuple("spec.router.extraConfig.backend", Severity.WARNING),
              tuple("spec.router.extraConfig.context_servers", Severity.ERROR),
              tuple("spec.router.extraConfig.port", Severity.ERROR),
              tuple("spec.router.extraConfig.router", Severity.ERROR));
    }

    @Test
    void useTokensWithRoundRobinIsAWarning() {
      DisaggCluster cr = cr();
      cr.getSpec().getRouter().getContextRouter().setUseTokens(true);
      onlyProblem(cr, "spec.router.contextRouter.useTokens", Severity.WARNING, "round_robin");
    }
  }

  @Nested
  class Robustness {

    @Test
    void missingSectionsAreReportedNotThrown() {
      DisaggCluster cr = cr();
      cr.getSpec().setDiscovery(null);
      cr.getSpec().setContext(null);
      cr.getSpec().setKvCacheTransfer(null);
      cr.getSpec().setFabric(null);
      cr.getSpec().setRouter(null);
      cr.getSpec().setModel(" ");
      // The effective spec fills missing sections with their defaults (the CRD's), so only what has
      // no default is left: the etcd endpoints and the model.
      problems(cr)
          .extracting(SpecProblem::field)
          .containsExactly("spec.discovery.etcd.endpoints", "spec.model");
    }

    @Test
    void missingSpecIsReportedNotThrown() {
      DisaggCluster cr = new DisaggCluster();
      cr.setMetadata(cr().getMetadata());
      problems(cr)
          .filteredOn(SpecProblem::isError)
          .extracting(SpecProblem::field)
          .contains("spec.model", "spec.image");
    }

    @Test
    void longNameIsAnError() {
      DisaggCluster cr = Fixtures.minimal("ml", "x".repeat(41));
      onlyProblem(cr, "metadata.name", Severity.ERROR, "40");
    }
  }
}
