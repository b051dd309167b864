package io.disagg.operator.config;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.DiscoverySpec;
import io.disagg.operator.api.v1alpha1.EfaSpec;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.KvCacheTransferSpec;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.PoolRouterSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.RouterSpec;
import io.disagg.operator.api.v1alpha1.RouterType;
import io.disagg.operator.core.Pool;
import io.disagg.operator.release.Feature;
import io.disagg.operator.spec.EffectiveSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Renders the files and environment TensorRT-LLM reads. Pure functions of the spec: no I/O (the
 * worker preStop script, {@link #deregisterScript}, is a constant read once from the operator's
 * jar), and the same spec always gives byte-identical output (the operator hashes it to decide
 * whether pods roll).
 *
 * <p>Upstream sources followed (repository NVIDIA/TensorRT-LLM):
 *
 * <ul>
 *   <li>{@code tensorrt_llm/commands/serve.py}: a worker merges the {@code --extra_llm_api_options}
 *       YAML over its command-line arguments (the YAML wins), then pops {@code disagg_cluster} out
 *       of the LLM arguments and parses it with {@code extract_disagg_cluster_config}. {@code
 *       trtllm-serve disaggregated -c FILE} parses the router file with {@code
 *       parse_disagg_config_file} and binds {@code hostname:port}.
 *   <li>{@code tensorrt_llm/llmapi/disagg_utils.py}: {@code extract_disagg_cfg} (router top-level
 *       keys), {@code extract_router_config} (the {@code router} block of a server section), {@code
 *       DisaggClusterConfig}/{@code MinimalInstances} (unknown keys raise KeyError).
 *   <li>{@code tensorrt_llm/llmapi/llm_args.py}: {@code CacheTransceiverConfig} (strict model:
 *       {@code backend}, {@code max_tokens_in_buffer}, {@code kv_transfer_timeout_ms}, {@code
 *       kv_transfer_sender_future_timeout_ms}); {@code TorchLlmArgs} owns {@code
 *       disable_overlap_scheduler} and {@code enable_iter_perf_stats}.
 *   <li>{@code tensorrt_llm/serve/cluster_storage.py}: {@code create_cluster_storage} picks etcd
 *       for an {@code etcd://} URI; {@code Etcd3ClusterStorage} splits it on commas and parses
 *       every part as a URL.
 * </ul>
 *
 * <p>Key order: the operator's keys come first, in a fixed order; keys taken from user maps ({@code
 * llmApiOptions}, {@code router.extraConfig}) follow, sorted by name at every nesting level, so the
 * insertion order of user maps never changes the output. Lists keep their order.
 */
public final class TrtllmConfig {
  private TrtllmConfig() {}

  /** ConfigMap key of a pool's worker YAML, e.g. {@code context.yaml}. */
  public static String workerConfigKey(Pool pool) {
    return pool.id() + ".yaml";
  }

  /** ConfigMap key of the router config. */
  public static final String ROUTER_CONFIG_KEY = "router.yaml";

  /**
   * ConfigMap key of the workers' preStop script ({@link #deregisterScript}); worker pods mount it
   * next to their YAML.
   */
  public static final String DEREGISTER_SCRIPT_KEY = "deregister.py";

  /** Classpath location of the preStop script in the operator's jar. */
  static final String DEREGISTER_SCRIPT_RESOURCE = "/trtllm/deregister.py";

  /**
   * Router {@code hostname}: the router binds this address, so it must listen on every interface of
   * the pod (IPv4).
   */
  public static final String ROUTER_HOSTNAME = "0.0.0.0";

  // ---- worker LLM-API option keys (tensorrt_llm/llmapi/llm_args.py) ----
  public static final String DISABLE_OVERLAP_SCHEDULER = "disable_overlap_scheduler";
  public static final String CACHE_TRANSCEIVER_CONFIG = "cache_transceiver_config";
  public static final String ENABLE_ITER_PERF_STATS = "enable_iter_perf_stats";
  public static final String RETURN_PERF_METRICS = "return_perf_metrics";
  public static final String PERF_METRICS_MAX_REQUESTS = "perf_metrics_max_requests";
  public static final String DISAGG_CLUSTER = "disagg_cluster";
  public static final String WORLD_SIZE = "world_size";
  public static final String KV_CACHE_CONFIG = "kv_cache_config";
  public static final String EVENT_BUFFER_MAX_SIZE = "event_buffer_max_size";

  /**
   * {@code kv_cache_config.event_buffer_max_size} (events) written for a pool behind a {@code
   * kv_cache_aware} router when the user gives none.
   */
  public static final int DEFAULT_EVENT_BUFFER_MAX_SIZE = 1024;

  /**
   * {@code perf_metrics_max_requests} (finished requests kept for {@code GET /perf_metrics})
   * written for the generation pool while {@code spec.fabric.kvTransferCheck} is on and the user
   * gives none: the operator reads the list every {@code intervalSeconds} (30 by default), so 1000
   * entries hold 33 requests per second per worker; beyond that the oldest are dropped, which only
   * thins the sample.
   */
  public static final int DEFAULT_PERF_METRICS_MAX_REQUESTS = 1000;

  /**
   * The {@code cache_transceiver_config} fields the operator writes from {@code
   * spec.kvCacheTransfer}.
   */
  public static final List<String> CACHE_TRANSCEIVER_OPERATOR_KEYS =
      List.of(
          "backend",
          "max_tokens_in_buffer",
          "kv_transfer_timeout_ms",
          "kv_transfer_sender_future_timeout_ms");

  /**
   * Top-level router keys the operator writes. {@code spec.router.extraConfig} cannot change them:
   * a key the operator wrote replaces the extraConfig value as a whole. All of them are always
   * written except {@code conditional_disagg_config}, written only when {@code
   * spec.router.maxLocalPrefillLength} is set (otherwise an extraConfig value passes).
   */
  public static final Set<String> ROUTER_OPERATOR_KEYS =
      Set.of(
          "hostname",
          "port",
          "backend",
          "max_retries",
          Pool.CONTEXT.routerSection(),
          Pool.GENERATION.routerSection(),
          "conditional_disagg_config",
          DISAGG_CLUSTER);

  // ---- fabric environment ----
  /** NIXL's transport (UCX or LIBFABRIC); an unknown value makes NIXL fall back to UCX silently. */
  public static final String ENV_NIXL_KVCACHE_BACKEND = "TRTLLM_NIXL_KVCACHE_BACKEND";

  public static final String ENV_FI_PROVIDER = "FI_PROVIDER";
  public static final String ENV_FI_EFA_USE_DEVICE_RDMA = "FI_EFA_USE_DEVICE_RDMA";
  public static final String ENV_FI_LOG_LEVEL = "FI_LOG_LEVEL";

  /**
   * The directory NIXL loads its backend plugins ({@code libplugin_LIBFABRIC.so}) from: read by
   * {@code getPluginDir()} in ai-dynamo/nixl {@code src/core/nixl_plugin_manager.cpp} (singular;
   * TensorRT-LLM's disaggregated README writes {@code NIXL_PLUGINS_DIR}, which nothing reads).
   */
  public static final String ENV_NIXL_PLUGIN_DIR = "NIXL_PLUGIN_DIR";

  /**
   * ConfigMap key of the fabric pre-flight script ({@link #preflightScript}); worker pods with the
   * pre-flight ({@link #preflightEnabled}) mount it next to their YAML and run it in their {@code
   * fabric-preflight} init container.
   */
  public static final String PREFLIGHT_SCRIPT_KEY = "fabric-preflight.sh";

  static final String PREFLIGHT_SCRIPT_RESOURCE = "/trtllm/fabric-preflight.sh";

  /**
   * The data of the {@code <name>-config} ConfigMap (sorted): context.yaml, deregister.py,
   * generation.yaml, router.yaml, and fabric-preflight.sh when {@link #preflightEnabled}.
   */
  public static Map<String, String> configMapData(EffectiveSpec effective) {
    Map<String, String> data = new TreeMap<>();
    for (Pool pool : Pool.values()) {
      data.put(workerConfigKey(pool), workerYaml(effective, pool));
    }
    data.put(ROUTER_CONFIG_KEY, routerYaml(effective));
    data.put(DEREGISTER_SCRIPT_KEY, deregisterScript());
    if (preflightEnabled(effective.cluster())) {
      data.put(PREFLIGHT_SCRIPT_KEY, preflightScript());
    }
    return Collections.unmodifiableMap(data);
  }

  /**
   * Whether worker pods get the fabric pre-flight init container: {@code spec.fabric.preflight}
   * (default true) and either {@code spec.fabric.efa.enabled} or NIXL's LIBFABRIC transport ({@code
   * TRTLLM_NIXL_KVCACHE_BACKEND=LIBFABRIC} in {@link #fabricEnv}, i.e. transfer backend NIXL or
   * DEFAULT with {@code nixlBackend: LIBFABRIC}). Clusters with neither render exactly as before.
   */
  public static boolean preflightEnabled(DisaggCluster cr) {
    var fabric = cr.getSpec().getFabric();
    if (fabric != null && !fabric.isPreflight()) {
      return false;
    }
    boolean efa = fabric != null && fabric.getEfa() != null && fabric.getEfa().isEnabled();
    return efa || nixlLibfabric(cr);
  }

  /**
   * Whether the workers' NIXL uses its LIBFABRIC plugin: TensorRT-LLM loads the NIXL plugin named
   * by {@code TRTLLM_NIXL_KVCACHE_BACKEND} (default UCX; {@code getEnvNixlBackend()} in
   * NVIDIA/TensorRT-LLM {@code cpp/tensorrt_llm/common/envUtils.cpp}).
   */
  public static boolean nixlLibfabric(DisaggCluster cr) {
    return "LIBFABRIC".equals(fabricEnv(cr).get(ENV_NIXL_KVCACHE_BACKEND));
  }

  /**
   * The fabric pre-flight script ({@code src/main/resources/trtllm/fabric-preflight.sh}, POSIX sh):
   * checks the EFA devices, libfabric's EFA provider, hugepages and NIXL's LIBFABRIC plugin and
   * writes {@code <Reason>: <message>} to the termination log on the first failure. The same text
   * for every cluster, read from the classpath once.
   *
   * @throws IllegalStateException when the operator's jar lacks the script (a packaging error)
   */
  public static String preflightScript() {
    String text = preflightScript;
    if (text == null) {
      text = readResource(PREFLIGHT_SCRIPT_RESOURCE);
      preflightScript = text; // a race reads the same constant twice, harmlessly
    }
    return text;
  }

  private static volatile String preflightScript;

  /**
   * The workers' preStop script ({@code src/main/resources/trtllm/deregister.py}): deletes the
   * pod's own etcd registration before the container gets SIGTERM, because TensorRT-LLM deletes it
   * only after its HTTP server has drained. The same text for every cluster, read from the
   * classpath once.
   *
   * @throws IllegalStateException when the operator's jar lacks the script (a packaging error)
   */
  public static String deregisterScript() {
    String text = deregisterScript;
    if (text == null) {
      text = readResource(DEREGISTER_SCRIPT_RESOURCE);
      deregisterScript = text; // a race reads the same constant twice, harmlessly
    }
    return text;
  }

  private static volatile String deregisterScript;

  private static String readResource(String path) {
    try (InputStream in = TrtllmConfig.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("classpath resource " + path + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read classpath resource " + path, e);
    }
  }

  // =====================================================================================
  // Worker: --extra_llm_api_options
  // =====================================================================================

  /**
   * {@link #workerOptions} as YAML: the file passed to {@code trtllm-serve
   * --extra_llm_api_options}.
   */
  public static String workerYaml(EffectiveSpec effective, Pool pool) {
    return TrtllmYaml.write(workerOptions(effective, pool));
  }

  /**
   * The LLM-API options of a pool's workers for the effective spec's TensorRT-LLM release: the
   * pool's {@code llmApiOptions} deep-merged with the operator's keys, the operator winning where
   * both set a value. In this order:
   *
   * <ol>
   *   <li>{@code disable_overlap_scheduler: true}, context pool only (the overlap scheduler is not
   *       supported on context servers), and only on the {@code pytorch} and {@code _autodeploy}
   *       backends: the TensorRT backend's {@code TrtLlmArgs} has no such field and rejects unknown
   *       keys.
   *   <li>{@code cache_transceiver_config}: {@code backend} always (without it TensorRT-LLM starts
   *       with disaggregation disabled), {@code max_tokens_in_buffer} (tokens), {@code
   *       kv_transfer_timeout_ms} and {@code kv_transfer_sender_future_timeout_ms} (milliseconds)
   *       when set in {@code spec.kvCacheTransfer} (the validator refuses them for a release that
   *       lacks them); the user's other keys of this section are kept.
   *   <li>{@code world_size} ({@code _autodeploy} backend only): {@code tensorParallelSize}.
   *       AutoDeploy's {@code LlmArgs} ({@code tensorrt_llm/_torch/auto_deploy/llm_args.py}) shards
   *       over {@code world_size} GPUs and rejects non-default {@code tensor_parallel_size} and
   *       {@code pipeline_parallel_size} ({@code ensure_no_custom_parallel_config}), which is why
   *       the worker command passes no {@code --tp_size}/{@code --pp_size} then.
   *   <li>{@code enable_iter_perf_stats} (feeds the JSON {@code /metrics} the autoscaler reads; a
   *       {@code TorchLlmArgs} field): on the {@code pytorch} backend, and on {@code _autodeploy}
   *       where its {@code LlmArgs} extends {@code TorchLlmArgs} ({@link
   *       Feature#AUTODEPLOY_ITER_PERF_STATS}); and {@code return_perf_metrics} (serves {@code
   *       /prometheus/metrics}): {@code true} unless {@code llmApiOptions} sets them.
   *   <li>{@code perf_metrics_max_requests} {@value #DEFAULT_PERF_METRICS_MAX_REQUESTS}, generation
   *       pool only, while {@code spec.fabric.kvTransferCheck} is on and {@code llmApiOptions} does
   *       not set it, where {@code enable_iter_perf_stats} is written (a {@code TorchLlmArgs} field
   *       too, {@code tensorrt_llm/llmapi/llm_args.py}): it defaults to 0, and with 0 {@code
   *       OpenAIServer} keeps no entries and {@code GET /perf_metrics} always answers {@code []}
   *       ({@code OpenAIServer.__init__} and {@code get_perf_metrics}, {@code
   *       tensorrt_llm/serve/openai_server.py}); the operator reads the generation workers' entries
   *       for the KV-cache transfer bandwidth (docs/kv-transfer-health.md).
   *   <li>{@code disagg_cluster}: {@link #disaggClusterSection}, entirely the operator's.
   *   <li>every other key of {@code llmApiOptions}, sorted. When the pool's router type is {@code
   *       kv_cache_aware}, {@code kv_cache_config.event_buffer_max_size} is {@value
   *       #DEFAULT_EVENT_BUFFER_MAX_SIZE} unless given: the router routes by the KV-cache events
   *       the workers publish ({@code KvCacheAwareRouter}, {@code tensorrt_llm/serve/router.py}),
   *       and {@code KvCacheConfig.event_buffer_max_size} defaults to 0, no events ({@code
   *       tensorrt_llm/llmapi/llm_args.py}); 1024 is what upstream's own kv_cache_aware test
   *       configuration uses ({@code
   *       tests/integration/defs/disaggregated/test_configs/disagg_config_cache_aware_balance.yaml}).
   * </ol>
   */
  public static Map<String, Object> workerOptions(EffectiveSpec effective, Pool pool) {
    DisaggCluster cr = effective.cluster();
    DisaggClusterSpec spec = cr.getSpec();
    ModelBackend backend = spec.getBackend();
    PoolSpec poolSpec = spec.pool(pool);
    Map<String, Object> user =
        poolSpec == null || poolSpec.getLlmApiOptions() == null
            ? Map.of()
            : poolSpec.getLlmApiOptions();
    if (routerType(spec, pool) == RouterType.KV_CACHE_AWARE) {
      user = withKvCacheEvents(user);
    }

    Map<String, Object> out = new LinkedHashMap<>();
    if (pool == Pool.CONTEXT
        && (backend == ModelBackend.PYTORCH || backend == ModelBackend.AUTODEPLOY)) {
      out.put(DISABLE_OVERLAP_SCHEDULER, true);
    }
    out.put(
        CACHE_TRANSCEIVER_CONFIG,
        overlay(cacheTransceiverConfig(spec), user.get(CACHE_TRANSCEIVER_CONFIG)));
    if (backend == ModelBackend.AUTODEPLOY && poolSpec != null) {
      out.put(WORLD_SIZE, poolSpec.getTensorParallelSize());
    }
    boolean torchArgs =
        backend == ModelBackend.PYTORCH
            || (backend == ModelBackend.AUTODEPLOY
                && effective.release().has(Feature.AUTODEPLOY_ITER_PERF_STATS));
    if (torchArgs) {
      out.put(
          ENABLE_ITER_PERF_STATS,
          user.containsKey(ENABLE_ITER_PERF_STATS)
              ? canonical(user.get(ENABLE_ITER_PERF_STATS))
              : Boolean.TRUE);
    }
    out.put(
        RETURN_PERF_METRICS,
        user.containsKey(RETURN_PERF_METRICS)
            ? canonical(user.get(RETURN_PERF_METRICS))
            : Boolean.TRUE);
    if (torchArgs
        && pool == Pool.GENERATION
        && kvTransferCheck(spec)
        && !user.containsKey(PERF_METRICS_MAX_REQUESTS)) {
      out.put(PERF_METRICS_MAX_REQUESTS, DEFAULT_PERF_METRICS_MAX_REQUESTS);
    }
    out.put(DISAGG_CLUSTER, disaggClusterSection(cr));
    appendSorted(out, user);
    return out;
  }

  /** Whether the effective {@code spec.fabric.kvTransferCheck} is on. */
  static boolean kvTransferCheck(DisaggClusterSpec spec) {
    return spec.getFabric() != null
        && spec.getFabric().getKvTransferCheck() != null
        && Boolean.TRUE.equals(spec.getFabric().getKvTransferCheck().getEnabled());
  }

  /**
   * {@code user} with {@code kv_cache_config.event_buffer_max_size} set to {@value
   * #DEFAULT_EVENT_BUFFER_MAX_SIZE} when it does not set it (a user value that is not a map is left
   * to TensorRT-LLM to reject).
   */
  private static Map<String, Object> withKvCacheEvents(Map<String, Object> user) {
    Object kvc = user.get(KV_CACHE_CONFIG);
    if (kvc != null && !(kvc instanceof Map<?, ?>)) {
      return user;
    }
    Map<String, Object> kv = new LinkedHashMap<>();
    if (kvc instanceof Map<?, ?> m) {
      m.forEach((k, v) -> kv.put(String.valueOf(k), v));
    }
    if (kv.containsKey(EVENT_BUFFER_MAX_SIZE)) {
      return user;
    }
    kv.put(EVENT_BUFFER_MAX_SIZE, DEFAULT_EVENT_BUFFER_MAX_SIZE);
    Map<String, Object> out = new LinkedHashMap<>(user);
    out.put(KV_CACHE_CONFIG, kv);
    return out;
  }

  /**
   * The router type of a pool's server section ({@code spec.router.contextRouter.type} or {@code
   * generationRouter.type}); {@code round_robin} when unset.
   */
  public static RouterType routerType(DisaggClusterSpec spec, Pool pool) {
    RouterSpec router = spec.getRouter();
    return (pool == Pool.CONTEXT ? router.getContextRouter() : router.getGenerationRouter())
        .getType();
  }

  /** The operator's part of {@code cache_transceiver_config}, in the order written. */
  static Map<String, Object> cacheTransceiverConfig(DisaggClusterSpec spec) {
    KvCacheTransferSpec kv = spec.getKvCacheTransfer();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("backend", kv.getBackend().name());
    putIfSet(m, "max_tokens_in_buffer", kv.getMaxTokensInBuffer());
    putIfSet(m, "kv_transfer_timeout_ms", kv.getKvTransferTimeoutMs());
    putIfSet(m, "kv_transfer_sender_future_timeout_ms", kv.getKvTransferSenderFutureTimeoutMs());
    return m;
  }

  // =====================================================================================
  // disagg_cluster: shared by router and workers
  // =====================================================================================

  /**
   * The {@code disagg_cluster} section, identical for router and workers (they must agree, {@code
   * cluster_name} above all: it is the etcd key prefix {@code /trtllm-disagg/<name>/}). Fields of
   * {@code DisaggClusterConfig} in {@code tensorrt_llm/llmapi/disagg_utils.py}: {@code
   * cluster_uri}, {@code cluster_name}, {@code minimal_instances} ({@code context_servers}, {@code
   * generation_servers}: instance counts), {@code heartbeat_interval_sec} and {@code
   * inactive_timeout_sec} (seconds). The docs' {@code inactive_interval_sec} is not a field and
   * would raise KeyError.
   */
  public static Map<String, Object> disaggClusterSection(DisaggCluster cr) {
    DisaggClusterSpec spec = cr.getSpec();
    DiscoverySpec discovery =
        spec.getDiscovery() != null ? spec.getDiscovery() : new DiscoverySpec();
    Map<String, Object> minimal = new LinkedHashMap<>();
    for (Pool pool : Pool.values()) {
      PoolSpec p = spec.pool(pool);
      minimal.put(pool.routerSection(), p != null ? p.getMinimalInstances() : 1);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cluster_uri", clusterUri(cr));
    m.put("cluster_name", clusterName(cr));
    m.put("minimal_instances", minimal);
    m.put("heartbeat_interval_sec", discovery.getHeartbeatIntervalSeconds());
    m.put("inactive_timeout_sec", discovery.getInactiveTimeoutSeconds());
    return m;
  }

  /**
   * {@code disagg_cluster.cluster_uri}: every endpoint of the effective spec (already {@code
   * host:port}, see {@code EffectiveSpec}) as {@code etcd://host:port}, joined with {@code ,} in
   * the given order. Each part carries the scheme because {@code Etcd3ClusterStorage} ({@code
   * tensorrt_llm/serve/cluster_storage.py}) parses every comma-separated part as a URL and {@code
   * create_cluster_storage} chooses the etcd storage by the {@code etcd://} prefix.
   */
  public static String clusterUri(DisaggCluster cr) {
    List<String> parts = new ArrayList<>();
    for (String hostPort : cr.getSpec().getDiscovery().getEtcd().getEndpoints()) {
      parts.add("etcd://" + hostPort);
    }
    return String.join(",", parts);
  }

  /**
   * {@code disagg_cluster.cluster_name} of the effective spec (defaulted to {@code
   * <namespace>.<name>} there).
   */
  public static String clusterName(DisaggCluster cr) {
    return Objects.requireNonNull(
        cr.getSpec().getDiscovery().getClusterName(),
        "clusterName: render the effective spec (EffectiveSpec.of), not the resource as received");
  }

  // =====================================================================================
  // Router: trtllm-serve disaggregated -c disagg_config.yaml
  // =====================================================================================

  /** {@link #routerConfig} as YAML: the file passed to {@code trtllm-serve disaggregated -c}. */
  public static String routerYaml(EffectiveSpec effective) {
    return TrtllmYaml.write(routerConfig(effective.cluster()));
  }

  /**
   * The router config in dynamic (etcd discovery) mode, as {@code extract_disagg_cfg} in {@code
   * tensorrt_llm/llmapi/disagg_utils.py} parses it:
   *
   * <ul>
   *   <li>{@code hostname: 0.0.0.0}, {@code port} ({@code spec.router.port}), {@code backend} (the
   *       workers' {@code --backend}; not a named parameter upstream, so it is copied into both
   *       server sections, where it is harmless), {@code max_retries}.
   *   <li>{@code context_servers} / {@code generation_servers} with only a {@code router: {type,
   *       use_tokens}} block. Upstream reads the router block of both sections in every mode
   *       ({@code extract_router_config}); with {@code disagg_cluster} it never reads {@code
   *       num_instances} or {@code urls}, so they are not written. For a {@code kv_cache_aware}
   *       router, {@code tokens_per_block} (from the pool's {@code llmApiOptions.kv_cache_config})
   *       and {@code max_batch_size} (from the pool's {@code llmApiOptions}) are added, as {@code
   *       extract_router_config} does for a static server section, so the router hashes blocks like
   *       the workers do.
   *   <li>{@code conditional_disagg_config.max_local_prefill_length} (tokens) when set.
   *   <li>{@code disagg_cluster}: the same section as the workers ({@link #disaggClusterSection}).
   *   <li>the keys of {@code spec.router.extraConfig} that the operator did not write (see {@link
   *       #ROUTER_OPERATOR_KEYS}), sorted; operator keys are never merged with extraConfig values.
   * </ul>
   */
  static Map<String, Object> routerConfig(DisaggCluster cr) {
    DisaggClusterSpec spec = cr.getSpec();
    RouterSpec router = spec.getRouter();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("hostname", ROUTER_HOSTNAME);
    out.put("port", router.getPort());
    out.put("backend", spec.getBackend().flag());
    out.put("max_retries", router.getMaxRetries());
    out.put(
        Pool.CONTEXT.routerSection(), serverSection(spec, Pool.CONTEXT, router.getContextRouter()));
    out.put(
        Pool.GENERATION.routerSection(),
        serverSection(spec, Pool.GENERATION, router.getGenerationRouter()));
    if (router.getMaxLocalPrefillLength() != null) {
      Map<String, Object> cond = new LinkedHashMap<>();
      cond.put("max_local_prefill_length", router.getMaxLocalPrefillLength());
      out.put("conditional_disagg_config", cond);
    }
    out.put(DISAGG_CLUSTER, disaggClusterSection(cr));
    Map<String, Object> extra =
        router.getExtraConfig() != null ? router.getExtraConfig() : Map.of();
    appendSorted(out, extra);
    return out;
  }

  private static Map<String, Object> serverSection(
      DisaggClusterSpec spec, Pool pool, PoolRouterSpec routerSpec) {
    PoolRouterSpec r = routerSpec;
    RouterType type = r.getType();
    Map<String, Object> block = new LinkedHashMap<>();
    block.put("type", type.value());
    putIfSet(block, "use_tokens", r.getUseTokens());
    if (type == RouterType.KV_CACHE_AWARE) {
      PoolSpec p = spec.pool(pool);
      Map<String, Object> opts =
          p != null && p.getLlmApiOptions() != null ? p.getLlmApiOptions() : Map.of();
      if (opts.get("kv_cache_config") instanceof Map<?, ?> kvc) {
        putIfSet(block, "tokens_per_block", canonical(kvc.get("tokens_per_block")));
      }
      putIfSet(block, "max_batch_size", canonical(opts.get("max_batch_size")));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("router", block);
    return section;
  }

  // =====================================================================================
  // Fabric environment
  // =====================================================================================

  /**
   * The fabric environment of every worker ({@code <name>-fabric} ConfigMap, read with {@code
   * envFrom}), sorted by name:
   *
   * <ul>
   *   <li>{@code TRTLLM_NIXL_KVCACHE_BACKEND} = {@code spec.kvCacheTransfer.nixlBackend} when the
   *       transfer backend is NIXL or DEFAULT (DEFAULT means NIXL).
   *   <li>with {@code spec.fabric.efa.enabled}: {@code FI_PROVIDER=efa}, {@code
   *       FI_EFA_USE_DEVICE_RDMA=1} ({@code 0} without GPU-direct RDMA), {@code FI_LOG_LEVEL} (when
   *       set) and {@code NIXL_PLUGIN_DIR} (when set).
   *   <li>all of {@code spec.kvCacheTransfer.env}; the operator's variables above win.
   * </ul>
   *
   * {@code LD_LIBRARY_PATH} is not set here: the worker start script prepends {@code
   * efa.libraryPath}. Follows the TensorRT-LLM disaggregated README (NIXL backend configuration,
   * AWS EFA) and its AWS EFA guide.
   */
  public static Map<String, String> fabricEnv(DisaggCluster cr) {
    DisaggClusterSpec spec = cr.getSpec();
    KvCacheTransferSpec kv = spec.getKvCacheTransfer();
    Map<String, String> env = new TreeMap<>();
    if (kv.getEnv() != null) {
      kv.getEnv()
          .forEach(
              (k, v) -> {
                if (k != null) {
                  env.put(k, v == null ? "" : v);
                }
              });
    }
    KvCacheTransferBackend backend = kv.getBackend();
    if (backend == KvCacheTransferBackend.NIXL) { // the effective spec wrote DEFAULT as NIXL
      env.put(ENV_NIXL_KVCACHE_BACKEND, kv.getNixlBackend().name());
    }
    EfaSpec efa = spec.getFabric() != null ? spec.getFabric().getEfa() : null;
    if (efa != null && efa.isEnabled()) {
      env.put(ENV_FI_PROVIDER, "efa");
      env.put(ENV_FI_EFA_USE_DEVICE_RDMA, efa.isGpuDirectRdma() ? "1" : "0");
      if (efa.getLogLevel() != null && !efa.getLogLevel().isBlank()) {
        env.put(ENV_FI_LOG_LEVEL, efa.getLogLevel().strip());
      }
      if (efa.getNixlPluginsDir() != null && !efa.getNixlPluginsDir().isBlank()) {
        env.put(ENV_NIXL_PLUGIN_DIR, efa.getNixlPluginsDir().strip());
      }
    }
    return Collections.unmodifiableMap(env);
  }

  // =====================================================================================
  // Helpers
  // =====================================================================================

  private static void putIfSet(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  /**
   * Deep merge where the operator wins: the operator's keys first (in its order; where both sides
   * hold a map the merge recurses), then the user's remaining keys, sorted. A user value that is
   * not a map is dropped in favour of the operator's map.
   */
  static Map<String, Object> overlay(Map<String, Object> operator, Object user) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<?, ?> userMap = user instanceof Map<?, ?> m ? m : Map.of();
    for (Map.Entry<String, Object> e : operator.entrySet()) {
      Object mine = e.getValue();
      Object theirs = userMap.get(e.getKey());
      if (mine instanceof Map<?, ?> && theirs instanceof Map<?, ?>) {
        @SuppressWarnings("unchecked")
        Map<String, Object> mineMap = (Map<String, Object>) mine;
        out.put(e.getKey(), overlay(mineMap, theirs));
      } else {
        out.put(e.getKey(), mine);
      }
    }
    appendSorted(out, userMap);
    return out;
  }

  /** Adds the keys of {@code user} not yet in {@code out}, sorted, values canonicalised. */
  private static void appendSorted(Map<String, Object> out, Map<?, ?> user) {
    for (String key : sortedKeys(user)) {
      if (!out.containsKey(key)) {
        out.put(key, canonical(user.get(key)));
      }
    }
  }

  private static List<String> sortedKeys(Map<?, ?> m) {
    List<String> keys = new ArrayList<>();
    for (Object k : m.keySet()) {
      if (k != null) {
        keys.add(k.toString());
      }
    }
    Collections.sort(keys);
    return keys;
  }

  /**
   * A copy of a user value with every map's keys sorted (recursively), lists in their order. Map
   * keys are strings (they come from JSON).
   */
  static Object canonical(Object value) {
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Object> byName = new TreeMap<>();
      m.forEach(
          (k, v) -> {
            if (k != null) {
              byName.put(k.toString(), v);
            }
          });
      byName.forEach((k, v) -> out.put(k, canonical(v)));
      return out;
    }
    if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) {
        out.add(canonical(o));
      }
      return out;
    }
    return value;
  }
}
