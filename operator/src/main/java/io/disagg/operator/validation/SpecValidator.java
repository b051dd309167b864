package io.disagg.operator.validation;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.DiscoverySpec;
import io.disagg.operator.api.v1alpha1.EfaSpec;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.KvCacheTransferSpec;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PodTemplateOverrides;
import io.disagg.operator.api.v1alpha1.PoolRouterSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.RouterSpec;
import io.disagg.operator.api.v1alpha1.RouterType;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.scaling.ClusterPolicy;
import io.disagg.operator.scaling.PoolPolicy;
import io.disagg.operator.spec.EffectiveSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Semantic checks of a {@link DisaggCluster} spec that the CRD schema and its CEL rules cannot
 * express, plus the CEL rules themselves again (a CRD installed without its validation must not
 * make the operator render broken files). Pure: no I/O, deterministic order (spec order).
 *
 * <p>{@link SpecProblem.Severity#ERROR}s block reconciliation (the reconciler reports them as a
 * condition and an Event); {@link SpecProblem.Severity#WARNING}s are only reported.
 *
 * <p>Every Kubernetes quantity the operator copies into a child (sizes, resources, sidecar and
 * init-container resources, {@code emptyDir} and ephemeral volume sizes) is checked here too, so a
 * malformed one is a {@code SpecInvalid} problem naming its field instead of an API-server error
 * after some children were applied (the CRD refuses the operator's own size fields at apply time,
 * {@link io.disagg.operator.api.v1alpha1.QuantityRules}, but a CRD installed without that rule does
 * not, and the CRD cannot check Kubernetes' own types such as {@code resources}).
 *
 * <p>TensorRT-LLM behaviour the checks rely on (repository NVIDIA/TensorRT-LLM): {@code
 * tensorrt_llm/commands/serve.py} merges the {@code --extra_llm_api_options} YAML over the
 * command-line flags, so an LLM-API option named like a flag silently overrides it; {@code
 * tensorrt_llm/llmapi/disagg_utils.py} copies unknown top-level router keys into both server
 * sections and raises ValueError when a section already holds a different value; {@code
 * tensorrt_llm/serve/openai_disagg_server.py} refuses conditional disaggregation without a {@code
 * kv_cache_aware} generation router; {@code tensorrt_llm/serve/disagg_auto_scaling.py} uses {@code
 * inactive_timeout_sec} as the lease TTL refreshed every {@code heartbeat_interval_sec}; {@code
 * tensorrt_llm/llmapi/llm_args.py} {@code CacheTransceiverConfig} rejects unknown keys.
 */
public final class SpecValidator {
  private SpecValidator() {}

  /** GPU resource name checked against the parallel sizes. */
  public static final String GPU_RESOURCE = "nvidia.com/gpu";

  /** EFA resource name, set by the operator from {@code spec.fabric.efa.devicesPerPod}. */
  public static final String EFA_RESOURCE = "vpc.amazonaws.com/efa";

  /**
   * LLM-API options the operator sets through {@code trtllm-serve} arguments (model, --backend,
   * --tp_size, --pp_size). The YAML would override them, so they must come from the spec.
   */
  public static final Map<String, String> FLAG_OWNED_LLM_API_OPTIONS = flagOwned();

  /** Environment variables the operator writes into the fabric ConfigMap itself. */
  public static final Set<String> OPERATOR_FABRIC_ENV =
      Set.of(
          TrtllmConfig.ENV_NIXL_KVCACHE_BACKEND,
          TrtllmConfig.ENV_FI_PROVIDER,
          TrtllmConfig.ENV_FI_EFA_USE_DEVICE_RDMA,
          TrtllmConfig.ENV_FI_LOG_LEVEL,
          TrtllmConfig.ENV_NIXL_PLUGIN_DIR);

  /**
   * {@code cache_transceiver_config} fields known to current TensorRT-LLM (CacheTransceiverConfig).
   */
  public static final Set<String> KNOWN_CACHE_TRANSCEIVER_KEYS =
      Set.of(
          "backend",
          "transceiver_runtime",
          "max_tokens_in_buffer",
          "kv_transfer_timeout_ms",
          "kv_transfer_sender_future_timeout_ms");

  /** Router extraConfig keys the operator owns and the CRD forbids. */
  private static final Set<String> ROUTER_FORBIDDEN_EXTRA =
      Set.of(
          "hostname",
          "port",
          Pool.CONTEXT.routerSection(),
          Pool.GENERATION.routerSection(),
          TrtllmConfig.DISAGG_CLUSTER);

  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  /** Keys a ConfigMap accepts. */
  private static final Pattern CONFIG_MAP_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  private static Map<String, String> flagOwned() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("model", "spec.model");
    m.put("backend", "spec.backend");
    m.put("tensor_parallel_size", "tensorParallelSize");
    m.put("pipeline_parallel_size", "pipelineParallelSize");
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * All problems of an effective spec, errors and warnings: the spec's own in spec order, then what
   * its TensorRT-LLM release does not accept ({@link ReleaseCompatibility}), then settings below
   * the documented Pod Security Standard level ({@link PodSecurityLevels}). Reads the defaulted
   * copy only ({@link EffectiveSpec}: sections present, router types and transfer backend set).
   */
  public static List<SpecProblem> validate(EffectiveSpec effective) {
    List<SpecProblem> out = checkSpec(effective.cluster());
    out.addAll(ReleaseCompatibility.problems(effective));
    out.addAll(PodSecurityLevels.problems(effective));
    return out;
  }

  private static List<SpecProblem> checkSpec(DisaggCluster cr) {
    List<SpecProblem> out = new ArrayList<>();
    DisaggClusterSpec spec = cr.getSpec();
    if (cr.getMetadata() != null
        && cr.getMetadata().getName() != null
        && cr.getMetadata().getName().length() > DisaggCluster.MAX_NAME_LENGTH) {
      out.add(
          SpecProblem.error(
              "metadata.name",
              "must be at most "
                  + DisaggCluster.MAX_NAME_LENGTH
                  + " characters so that child names such as <name>-generation-<ordinal> fit Kubernetes limits"));
    }
    if (blank(spec.getModel())) {
      out.add(
          SpecProblem.error(
              "spec.model", "is required: a Hugging Face model id or a path inside the container"));
    }
    if (blank(spec.getImage())) {
      out.add(
          SpecProblem.error(
              "spec.image", "is required: an image with TensorRT-LLM (trtllm-serve)"));
    }
    checkTransfer(spec, out);
    checkDiscovery(spec, out);
    checkRouter(spec, out);
    for (Pool pool : Pool.values()) {
      checkPool(spec, pool, out);
    }
    for (Pool pool : Pool.values()) {
      if (spec.pool(pool) != null) {
        out.addAll(PoolPolicy.problems(pool, spec.pool(pool)));
      }
    }
    out.addAll(ClusterPolicy.problems(spec));
    return out;
  }

  // ---------------------------------------------------------------------------------------

  private static void checkTransfer(DisaggClusterSpec spec, List<SpecProblem> out) {
    KvCacheTransferSpec kv = spec.getKvCacheTransfer();
    KvCacheTransferBackend backend = kv.getBackend();
    NixlBackend nixl = kv.getNixlBackend();
    // the effective spec wrote DEFAULT as NIXL
    boolean usesNixl = backend == KvCacheTransferBackend.NIXL;
    EfaSpec efa =
        spec.getFabric() != null && spec.getFabric().getEfa() != null
            ? spec.getFabric().getEfa()
            : new EfaSpec();

    if (backend == KvCacheTransferBackend.MPI) {
      out.add(
          SpecProblem.warning(
              "spec.kvCacheTransfer.backend",
              "MPI is deprecated in TensorRT-LLM and was built for context and generation ranks started in one MPI world"
                  + " (trtllm-serve disaggregated_mpi_worker); workers in separate pods do not share one."
                  + " Use NIXL (or UCX)"));
    }
    if (!usesNixl && kv.getNixlBackend() == NixlBackend.LIBFABRIC) {
      out.add(
          SpecProblem.warning(
              "spec.kvCacheTransfer.nixlBackend",
              "LIBFABRIC is ignored: it only applies when spec.kvCacheTransfer.backend is NIXL or DEFAULT, not "
                  + backend));
    }
    if (efa.isEnabled()) {
      if (!usesNixl) {
        out.add(
            SpecProblem.error(
                "spec.kvCacheTransfer.backend",
                "spec.fabric.efa.enabled needs backend NIXL (or DEFAULT, which means NIXL): EFA is used through NIXL's"
                    + " LIBFABRIC transport, with "
                    + backend
                    + " the KV cache would not use EFA"));
      } else if (nixl != NixlBackend.LIBFABRIC) {
        out.add(
            SpecProblem.error(
                "spec.kvCacheTransfer.nixlBackend",
                "spec.fabric.efa.enabled needs nixlBackend LIBFABRIC: with "
                    + nixl
                    + " the KV cache silently goes over UCX/TCP instead of EFA (TTFT orders of magnitude worse)"));
      }
      if (efa.getDevicesPerPod() < 1) {
        out.add(SpecProblem.error("spec.fabric.efa.devicesPerPod", "must be at least 1"));
      }
    }
    checkSize("spec.fabric.efa.hugepages2Mi", efa.getHugepages2Mi(), out);
    if (usesNixl && nixl == NixlBackend.LIBFABRIC && blank(efa.getNixlPluginsDir())) {
      out.add(
          SpecProblem.warning(
              "spec.fabric.efa.nixlPluginsDir",
              "is unset while nixlBackend is LIBFABRIC: the stock TensorRT-LLM image has no libplugin_LIBFABRIC.so and NIXL"
                  + " then falls back to UCX; set it unless the image ships the plugin in NIXL's default directory"));
    }
    if (kv.getEnv() != null) {
      for (String name : new TreeSet<>(nonNullKeys(kv.getEnv()))) {
        String path = "spec.kvCacheTransfer.env[" + name + "]";
        if (OPERATOR_FABRIC_ENV.contains(name)) {
          out.add(
              SpecProblem.error(
                  path,
                  "is set by the operator: use spec.kvCacheTransfer.nixlBackend and spec.fabric.efa"));
        } else if (!CONFIG_MAP_KEY.matcher(name).matches()) {
          out.add(
              SpecProblem.error(
                  path,
                  "is not a valid environment variable / ConfigMap key (letters, digits, '-', '_', '.')"));
        }
      }
    }
  }

  private static void checkDiscovery(DisaggClusterSpec spec, List<SpecProblem> out) {
    DiscoverySpec d = spec.getDiscovery();
    if (d == null) {
      out.add(SpecProblem.error("spec.discovery", "is required: the etcd the workers register in"));
      return;
    }
    // The endpoints are parsed (one grammar, core.EtcdEndpoint) and defaulted by EffectiveSpec,
    // which reports their problems.
    String name = d.getClusterName();
    if (name != null
        && !name.isEmpty()
        && (name.length() > 63 || !CLUSTER_NAME.matcher(name).matches())) {
      out.add(
          SpecProblem.error(
              "spec.discovery.clusterName",
              "'"
                  + name
                  + "' must be 1-63 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
                  + " (it becomes the etcd key prefix /trtllm-disagg/<clusterName>/)"));
    }
    if (d.getHeartbeatIntervalSeconds() < 1) {
      out.add(
          SpecProblem.error(
              "spec.discovery.heartbeatIntervalSeconds", "must be at least 1 second"));
    }
    if (d.getHeartbeatIntervalSeconds() >= d.getInactiveTimeoutSeconds()) {
      out.add(
          SpecProblem.error(
              "spec.discovery.heartbeatIntervalSeconds",
              "("
                  + d.getHeartbeatIntervalSeconds()
                  + "s) must be less than inactiveTimeoutSeconds ("
                  + d.getInactiveTimeoutSeconds()
                  + "s): TensorRT-LLM then disables heartbeats (only logging a warning)"
                  + " and every worker's registration lease expires after inactiveTimeoutSeconds"));
    }
  }

  private static void checkRouter(DisaggClusterSpec spec, List<SpecProblem> out) {
    RouterSpec r = spec.getRouter();
    if (r == null) {
      return;
    }
    if (r.getReplicas() < 0) {
      out.add(SpecProblem.error("spec.router.replicas", "must not be negative"));
    }
    checkPort("spec.router.port", r.getPort(), out);
    checkResourceQuantities("spec.router.resources", r.getResources(), out);
    if (r.getMaxRetries() < 0) {
      out.add(
          SpecProblem.error(
              "spec.router.maxRetries", "must not be negative (TensorRT-LLM refuses to start)"));
    }
    if (r.getRequestTimeoutSeconds() < 1) {
      out.add(SpecProblem.error("spec.router.requestTimeoutSeconds", "must be at least 1 second"));
    }
    if (r.getServerStartTimeoutSeconds() < 1) {
      out.add(
          SpecProblem.error("spec.router.serverStartTimeoutSeconds", "must be at least 1 second"));
    }
    RouterType genType = r.getGenerationRouter().getType();
    checkPoolRouter("spec.router.contextRouter", r.getContextRouter(), out);
    checkPoolRouter("spec.router.generationRouter", r.getGenerationRouter(), out);
    if (r.getMaxLocalPrefillLength() != null) {
      if (r.getMaxLocalPrefillLength() < 1) {
        out.add(SpecProblem.error("spec.router.maxLocalPrefillLength", "must be at least 1 token"));
      }
      if (genType != RouterType.KV_CACHE_AWARE) {
        out.add(
            SpecProblem.error(
                "spec.router.maxLocalPrefillLength",
                "conditional disaggregation needs spec.router.generationRouter.type kv_cache_aware (is "
                    + genType.value()
                    + "): the TensorRT-LLM router refuses to start otherwise"));
      }
    }
    Map<String, Object> extra = r.getExtraConfig();
    if (extra == null) {
      return;
    }
    for (String key : new TreeSet<>(nonNullKeys(extra))) {
      String path = "spec.router.extraConfig." + key;
      if (ROUTER_FORBIDDEN_EXTRA.contains(key)) {
        out.add(
            SpecProblem.error(
                path,
                "is written by the operator (hostname, port, context_servers,"
                    + " generation_servers and disagg_cluster come from the spec)"));
      } else if ("router".equals(key)) {
        out.add(
            SpecProblem.error(
                path,
                "would be copied into both server sections and clash with the operator's"
                    + " router blocks (TensorRT-LLM raises ValueError): use spec.router.contextRouter/generationRouter"));
      } else if ("backend".equals(key) || "max_retries".equals(key)) {
        out.add(
            SpecProblem.warning(
                path,
                "is ignored: the operator writes it from "
                    + ("backend".equals(key) ? "spec.backend" : "spec.router.maxRetries")));
      } else if ("conditional_disagg_config".equals(key)) {
        if (r.getMaxLocalPrefillLength() != null) {
          out.add(
              SpecProblem.warning(path, "is ignored: spec.router.maxLocalPrefillLength is set"));
        } else if (genType != RouterType.KV_CACHE_AWARE) {
          out.add(
              SpecProblem.error(
                  path,
                  "conditional disaggregation needs spec.router.generationRouter.type"
                      + " kv_cache_aware: the TensorRT-LLM router refuses to start otherwise"));
        }
      }
    }
  }

  private static void checkPoolRouter(String path, PoolRouterSpec pr, List<SpecProblem> out) {
    if (Boolean.TRUE.equals(pr.getUseTokens()) && pr.getType() == RouterType.ROUND_ROBIN) {
      out.add(
          SpecProblem.warning(
              path + ".useTokens",
              "is ignored by the round_robin router;"
                  + " it applies to load_balancing and kv_cache_aware"));
    }
  }

  private static void checkPool(DisaggClusterSpec spec, Pool pool, List<SpecProblem> out) {
    String base = "spec." + pool.id();
    PoolSpec p = spec.pool(pool);
    if (p == null) {
      out.add(SpecProblem.error(base, "is required"));
      return;
    }
    if (p.getTensorParallelSize() < 1) {
      out.add(SpecProblem.error(base + ".tensorParallelSize", "must be at least 1"));
    }
    if (p.getPipelineParallelSize() < 1) {
      out.add(SpecProblem.error(base + ".pipelineParallelSize", "must be at least 1"));
    }
    checkPort(base + ".port", p.getPort(), out);
    checkCounts(base, p, out);
    checkResourceQuantities(base + ".resources", p.getResources(), out);
    checkResources(spec, base, p, out);
    checkSize(base + ".shmSize", p.getShmSize(), out);
    checkPodTemplateQuantities(base + ".podTemplate", p.getPodTemplate(), out);
    checkLlmApiOptions(spec, pool, base, p, out);
    checkAutoDeploy(spec, base, p, out);
    checkKvCacheEvents(spec, pool, base, p, out);
  }

  /**
   * AutoDeploy takes its parallelism from {@code world_size} only: {@code LlmArgs} of {@code
   * tensorrt_llm/_torch/auto_deploy/llm_args.py} rejects a non-default {@code
   * pipeline_parallel_size} or {@code tensor_parallel_size} ({@code
   * ensure_no_custom_parallel_config}). The operator writes {@code world_size} from {@code
   * tensorParallelSize}, so a pipeline-parallel size or the user's own {@code world_size} cannot
   * work.
   */
  private static void checkAutoDeploy(
      DisaggClusterSpec spec, String base, PoolSpec p, List<SpecProblem> out) {
    if (spec.getBackend() != ModelBackend.AUTODEPLOY) {
      return;
    }
    if (p.getPipelineParallelSize() > 1) {
      out.add(
          SpecProblem.error(
              base + ".pipelineParallelSize",
              "must be 1 with backend _autodeploy: AutoDeploy shards the model over world_size"
                  + " GPUs by itself and rejects pipeline_parallel_size"
                  + " (tensorrt_llm/_torch/auto_deploy/llm_args.py"
                  + " LlmArgs.ensure_no_custom_parallel_config); set tensorParallelSize to the GPUs"
                  + " of one instance"));
    }
    Map<String, Object> opts = p.getLlmApiOptions();
    if (opts != null && opts.containsKey(TrtllmConfig.WORLD_SIZE)) {
      out.add(
          SpecProblem.error(
              base + ".llmApiOptions." + TrtllmConfig.WORLD_SIZE,
              "is written by the operator with backend _autodeploy: set "
                  + base
                  + ".tensorParallelSize instead"));
    }
  }

  /**
   * A {@code kv_cache_aware} router reads the KV-cache events of the pool's workers ({@code
   * KvCacheAwareRouter} in {@code tensorrt_llm/serve/router.py} polls {@code /kv_cache_events});
   * workers publish none when {@code kv_cache_config.event_buffer_max_size} is 0 ({@code
   * KvCacheConfig} in {@code tensorrt_llm/llmapi/llm_args.py}), and without block reuse there are
   * no cached blocks to route to. The operator writes a buffer size when none is given ({@link
   * TrtllmConfig#workerOptions}); an explicit 0 would make the routing silently round-robin-like.
   */
  private static void checkKvCacheEvents(
      DisaggClusterSpec spec, Pool pool, String base, PoolSpec p, List<SpecProblem> out) {
    if (TrtllmConfig.routerType(spec, pool) != RouterType.KV_CACHE_AWARE
        || p.getLlmApiOptions() == null
        || !(p.getLlmApiOptions().get(TrtllmConfig.KV_CACHE_CONFIG) instanceof Map<?, ?> kvc)) {
      return;
    }
    String path = base + ".llmApiOptions." + TrtllmConfig.KV_CACHE_CONFIG + ".";
    Object size = kvc.get(TrtllmConfig.EVENT_BUFFER_MAX_SIZE);
    if (size != null && !(size instanceof Number n && n.longValue() > 0)) {
      out.add(
          SpecProblem.error(
              path + TrtllmConfig.EVENT_BUFFER_MAX_SIZE,
              "must be a positive number with router type kv_cache_aware for the "
                  + pool.id()
                  + " pool: with 0 workers publish no KV-cache events and the router cannot"
                  + " route by cached blocks; remove it (the operator writes "
                  + TrtllmConfig.DEFAULT_EVENT_BUFFER_MAX_SIZE
                  + ") or give a size"));
    }
    if (Boolean.FALSE.equals(kvc.get("enable_block_reuse"))) {
      out.add(
          SpecProblem.warning(
              path + "enable_block_reuse",
              "is false with router type kv_cache_aware for the "
                  + pool.id()
                  + " pool: without block reuse no cached block can be reused, so routing by"
                  + " cached blocks gains nothing"));
    }
  }

  private static void checkCounts(String base, PoolSpec p, List<SpecProblem> out) {
    int minimal = p.getMinimalInstances();
    Integer replicas = p.getReplicas();
    Integer max = p.getMaxInstances();
    if (minimal < 1) {
      out.add(SpecProblem.error(base + ".minimalInstances", "must be at least 1"));
    }
    if (replicas != null && replicas < 0) {
      out.add(SpecProblem.error(base + ".replicas", "must not be negative"));
    }
    if (max != null && max < 1) {
      out.add(SpecProblem.error(base + ".maxInstances", "must be at least 1"));
    }
    if (max != null && minimal > max) {
      out.add(
          SpecProblem.error(
              base + ".minimalInstances",
              "(" + minimal + ") must be less than or equal to maxInstances (" + max + ")"));
    }
    if (replicas != null && replicas >= 0 && replicas < minimal) {
      out.add(
          SpecProblem.error(
              base + ".replicas",
              "("
                  + replicas
                  + ") must be at least minimalInstances ("
                  + minimal
                  + "): the router refuses requests while fewer instances are registered"));
    }
    if (replicas != null && max != null && replicas > max) {
      out.add(
          SpecProblem.error(
              base + ".replicas",
              "(" + replicas + ") must be less than or equal to maxInstances (" + max + ")"));
    }
  }

  private static void checkResources(
      DisaggClusterSpec spec, String base, PoolSpec p, List<SpecProblem> out) {
    ResourceRequirements res = p.getResources();
    if (res == null) {
      return;
    }
    long gpus = p.gpusPerInstance();
    EfaSpec efa = spec.getFabric() != null ? spec.getFabric().getEfa() : null;
    for (String kind : List.of("limits", "requests")) {
      Map<String, Quantity> m = "limits".equals(kind) ? res.getLimits() : res.getRequests();
      if (m == null) {
        continue;
      }
      String prefix = base + ".resources." + kind;
      Quantity gpu = m.get(GPU_RESOURCE);
      if (gpu != null) {
        BigDecimal n = amount(gpu);
        if (n != null && n.compareTo(BigDecimal.valueOf(gpus)) != 0) {
          out.add(
              SpecProblem.error(
                  prefix + "[" + GPU_RESOURCE + "]",
                  "is "
                      + text(gpu)
                      + " but one instance uses tensorParallelSize * pipelineParallelSize = "
                      + gpus
                      + " GPUs; remove it (the operator sets it) or change the parallel sizes"));
        }
      }
      Quantity efaQ = m.get(EFA_RESOURCE);
      if (efaQ != null && efa != null && efa.isEnabled()) {
        BigDecimal n = amount(efaQ);
        if (n != null && n.compareTo(BigDecimal.valueOf(efa.getDevicesPerPod())) != 0) {
          out.add(
              SpecProblem.warning(
                  prefix + "[" + EFA_RESOURCE + "]",
                  "is ignored: the operator requests "
                      + efa.getDevicesPerPod()
                      + " from spec.fabric.efa.devicesPerPod"));
        }
      }
    }
  }

  /**
   * A size the operator owns ({@code shmSize}, {@code hugepages2Mi}): unset, or a quantity greater
   * than 0, as the CRD's {@link io.disagg.operator.api.v1alpha1.QuantityRules#POSITIVE} rule says.
   */
  private static void checkSize(String path, Quantity q, List<SpecProblem> out) {
    if (q == null) {
      return;
    }
    BigDecimal n = amount(q);
    if (n == null) {
      out.add(SpecProblem.error(path, malformed(q)));
    } else if (n.signum() <= 0) {
      out.add(SpecProblem.error(path, "must be greater than 0 (is " + text(q) + ")"));
    }
  }

  /**
   * Every entry of {@code limits} and {@code requests}: a quantity, not negative (Kubernetes'
   * {@code ValidateResourceQuantityValue}, {@code pkg/apis/core/validation/validation.go}, refuses
   * a negative one), reported as {@code <path>.limits[<name>]}.
   */
  private static void checkResourceQuantities(
      String path, ResourceRequirements res, List<SpecProblem> out) {
    if (res != null) {
      checkQuantityMap(path + ".limits", res.getLimits(), out);
      checkQuantityMap(path + ".requests", res.getRequests(), out);
    }
  }

  private static void checkQuantityMap(
      String path, Map<String, Quantity> m, List<SpecProblem> out) {
    if (m == null) {
      return;
    }
    for (String name : new TreeSet<>(nonNullKeys(m))) {
      Quantity q = m.get(name);
      if (q == null) {
        continue;
      }
      String field = path + "[" + name + "]";
      BigDecimal n = amount(q);
      if (n == null) {
        out.add(SpecProblem.error(field, malformed(q)));
      } else if (n.signum() < 0) {
        out.add(SpecProblem.error(field, "must not be negative (is " + text(q) + ")"));
      }
    }
  }

  /** Quantities in the pod settings the operator copies into the pool's pods. */
  private static void checkPodTemplateQuantities(
      String path, PodTemplateOverrides t, List<SpecProblem> out) {
    if (t == null) {
      return;
    }
    checkContainerQuantities(path + ".initContainers", t.getInitContainers(), out);
    checkContainerQuantities(path + ".sidecars", t.getSidecars(), out);
    List<Volume> volumes = t.getVolumes();
    for (int i = 0; volumes != null && i < volumes.size(); i++) {
      Volume v = volumes.get(i);
      String vp = path + ".volumes[" + i + "]";
      if (v == null) {
        continue;
      }
      if (v.getEmptyDir() != null && v.getEmptyDir().getSizeLimit() != null) {
        Quantity q = v.getEmptyDir().getSizeLimit();
        BigDecimal n = amount(q);
        if (n == null) {
          out.add(SpecProblem.error(vp + ".emptyDir.sizeLimit", malformed(q)));
        } else if (n.signum() < 0) {
          out.add(
              SpecProblem.error(
                  vp + ".emptyDir.sizeLimit", "must not be negative (is " + text(q) + ")"));
        }
      }
      if (v.getEphemeral() != null
          && v.getEphemeral().getVolumeClaimTemplate() != null
          && v.getEphemeral().getVolumeClaimTemplate().getSpec() != null
          && v.getEphemeral().getVolumeClaimTemplate().getSpec().getResources() != null) {
        var res = v.getEphemeral().getVolumeClaimTemplate().getSpec().getResources();
        String rp = vp + ".ephemeral.volumeClaimTemplate.spec.resources";
        checkQuantityMap(rp + ".limits", res.getLimits(), out);
        checkQuantityMap(rp + ".requests", res.getRequests(), out);
      }
    }
  }

  private static void checkContainerQuantities(
      String path, List<Container> containers, List<SpecProblem> out) {
    for (int i = 0; containers != null && i < containers.size(); i++) {
      Container c = containers.get(i);
      if (c != null) {
        checkResourceQuantities(path + "[" + i + "].resources", c.getResources(), out);
      }
    }
  }

  private static String malformed(Quantity q) {
    return "'"
        + text(q)
        + "' is not a Kubernetes quantity: a number with an optional suffix and no space, such as"
        + " 16Gi, 512Mi or 500m (binary Ki, Mi, Gi, Ti, Pi, Ei; decimal m, k, M, G, T, P, E)";
  }

  private static void checkLlmApiOptions(
      DisaggClusterSpec spec, Pool pool, String base, PoolSpec p, List<SpecProblem> out) {
    Map<String, Object> opts = p.getLlmApiOptions();
    if (opts == null || opts.isEmpty()) {
      return;
    }
    String prefix = base + ".llmApiOptions.";
    for (Map.Entry<String, String> owned : FLAG_OWNED_LLM_API_OPTIONS.entrySet()) {
      if (opts.containsKey(owned.getKey())) {
        String from =
            owned.getValue().startsWith("spec.") ? owned.getValue() : base + "." + owned.getValue();
        out.add(
            SpecProblem.error(
                prefix + owned.getKey(),
                "conflicts with the trtllm-serve argument the operator"
                    + " passes (the YAML would silently override it): set "
                    + from
                    + " instead"));
      }
    }
    if (opts.containsKey(TrtllmConfig.DISAGG_CLUSTER)) {
      out.add(
          SpecProblem.error(
              prefix + TrtllmConfig.DISAGG_CLUSTER,
              "is written by the operator (router and workers must agree): use spec.discovery"));
    }
    if (opts.containsKey(TrtllmConfig.CACHE_TRANSCEIVER_CONFIG)) {
      checkCacheTransceiver(
          spec,
          prefix + TrtllmConfig.CACHE_TRANSCEIVER_CONFIG,
          opts.get(TrtllmConfig.CACHE_TRANSCEIVER_CONFIG),
          out);
    }
    ModelBackend backend = spec.getBackend();
    Object overlap = opts.get(TrtllmConfig.DISABLE_OVERLAP_SCHEDULER);
    if (pool == Pool.CONTEXT
        && overlap != null
        && !Boolean.TRUE.equals(overlap)
        && (backend == ModelBackend.PYTORCH || backend == ModelBackend.AUTODEPLOY)) {
      out.add(
          SpecProblem.warning(
              prefix + TrtllmConfig.DISABLE_OVERLAP_SCHEDULER,
              "is ignored: context servers do not support the overlap scheduler, the operator writes true"));
    }
  }

  private static void checkCacheTransceiver(
      DisaggClusterSpec spec, String path, Object value, List<SpecProblem> out) {
    if (!(value instanceof Map<?, ?> ctc)) {
      out.add(SpecProblem.error(path, "must be a map of cache_transceiver_config fields"));
      return;
    }
    KvCacheTransferSpec kv =
        spec.getKvCacheTransfer() != null ? spec.getKvCacheTransfer() : new KvCacheTransferSpec();
    Map<String, Object> fromSpec = new LinkedHashMap<>();
    fromSpec.put("max_tokens_in_buffer", kv.getMaxTokensInBuffer());
    fromSpec.put("kv_transfer_timeout_ms", kv.getKvTransferTimeoutMs());
    fromSpec.put("kv_transfer_sender_future_timeout_ms", kv.getKvTransferSenderFutureTimeoutMs());
    Map<String, String> specField =
        Map.of(
            "max_tokens_in_buffer", "maxTokensInBuffer",
            "kv_transfer_timeout_ms", "kvTransferTimeoutMs",
            "kv_transfer_sender_future_timeout_ms", "kvTransferSenderFutureTimeoutMs");
    for (String key : new TreeSet<>(nonNullKeys(ctc))) {
      String keyPath = path + "." + key;
      if ("backend".equals(key)) {
        out.add(
            SpecProblem.error(
                keyPath, "is written by the operator: use spec.kvCacheTransfer.backend"));
      } else if (fromSpec.get(key) != null) {
        out.add(
            SpecProblem.warning(
                keyPath, "is ignored: spec.kvCacheTransfer." + specField.get(key) + " is set"));
      } else if (!KNOWN_CACHE_TRANSCEIVER_KEYS.contains(key)) {
        out.add(
            SpecProblem.warning(
                keyPath,
                "is not a CacheTransceiverConfig field known to the operator;"
                    + " TensorRT-LLM rejects unknown fields, so workers fail to start unless your release has it"));
      }
    }
  }

  // ---------------------------------------------------------------------------------------

  private static void checkPort(String path, int port, List<SpecProblem> out) {
    if (port < 1 || port > 65535) {
      out.add(SpecProblem.error(path, "(" + port + ") must be in 1-65535"));
    }
  }

  /**
   * The quantity's value (bytes, cores or units), or null when it is not a quantity: Fabric8's
   * {@link Quantity#getAmountInBytes} parses the number and suffix and throws on anything else (a
   * space, an unknown suffix such as {@code GB}, no number). It is slightly more lenient than
   * Kubernetes' {@code resource.ParseQuantity} in exotic exponent forms (e.g. {@code 1k5}); the
   * CRD's rule is the authority for the operator's own fields.
   */
  private static BigDecimal amount(Quantity q) {
    try {
      return Quantity.getAmountInBytes(q);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String text(Quantity q) {
    return (q.getAmount() == null ? "" : q.getAmount())
        + (q.getFormat() == null ? "" : q.getFormat());
  }

  private static Set<String> nonNullKeys(Map<?, ?> m) {
    Set<String> keys = new HashSet<>();
    for (Object k : m.keySet()) {
      if (k != null) {
        keys.add(k.toString());
      }
    }
    return keys;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
