package io.disagg.operator.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.KvCacheTransferSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Hashes;
import io.disagg.operator.spec.EffectiveSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pairing revision of a DisaggCluster: a hash of exactly the fields that decide whether a
 * context worker and a generation worker can hand a KV cache to each other. Two workers of the same
 * revision always can; two of different revisions are never paired (each revision has its own
 * {@code cluster_name}, so its router only sees its own workers).
 *
 * <p>What TensorRT-LLM checks when a generation worker receives a context worker's KV cache ({@code
 * CacheFormatter::inquireSupport} in {@code cpp/tensorrt_llm/batch_manager/ cacheFormatter.cpp}):
 * the same data type, attention type and KV factor, the same tokens per block, size per head and
 * number of layers, and one KV-head count for every layer. Different tensor/pipeline parallel
 * layouts of the two sides are supported (the formatter splits and concatenates). The wire format
 * of the transfer is the release's own. From that, the fields in the hash ({@link #fields}):
 *
 * <ul>
 *   <li>{@code image} and {@code trtllmVersion} (the resolved release): the transfer protocol, the
 *       cache formatter and the kernels that lay out the cache are the image's.
 *   <li>{@code model}: layers, KV heads, head size; {@code backend}: the executor and its cache.
 *   <li>{@code kvCacheTransfer}: {@code backend}, {@code nixlBackend}, {@code maxTokensInBuffer}
 *       and {@code env} (both sides must speak the same transport: NIXL over UCX or libfabric, UCX
 *       transports); {@code fabric} as the fabric environment renders it ({@code FI_PROVIDER},
 *       GPU-direct RDMA, the NIXL plugin directory).
 *   <li>per pool, {@code tensorParallelSize} and {@code pipelineParallelSize}: supported in
 *       different layouts by the formatter, but kept here until a rollout between layouts is tested
 *       on real hardware; and {@code llmApiOptions} without {@link #IN_PLACE_OPTIONS} and {@link
 *       #IN_PLACE_KV_CACHE_OPTIONS}: the options that shape the KV cache (its data type, {@code
 *       tokens_per_block}, quantization, attention data parallelism, ...) are among them, and an
 *       option not known to be safe counts as shaping it.
 * </ul>
 *
 * Everything else changes in place, as before: replicas and autoscaling, resources, scheduling and
 * pod-template overrides, the router (its routing policy, retries, timeouts), discovery timings,
 * log level, the KV-transfer timeouts (each side's own waiting).
 *
 * <p>Stable across operator versions: the fields are recorded on the revision's StatefulSets
 * ({@link io.disagg.operator.model.Labels#PAIRING}, {@link #json}), and a present revision whose
 * record agrees with the current fields on every field both know is the desired revision, whatever
 * its hash ({@link #revisionAmong}). An operator version that adds a field, or stops hashing one,
 * therefore starts no rollout at upgrade; one that renders a field's value differently does, as it
 * should (the workers would get different settings).
 *
 * @param hash {@value #LENGTH} lowercase hex characters of the SHA-256 of {@link #fields} as
 *     canonical JSON; usable in names and label values
 * @param fields the hashed fields by flat name ({@code image}, {@code kvCacheTransfer.backend},
 *     {@code context.llmApiOptions}, ...), in a stable order; a field is compared whole
 */
public record PairingRevision(String hash, Map<String, Object> fields) {

  /** Length of {@link #hash}, in hex characters (40 bits): short enough for child names. */
  public static final int LENGTH = 10;

  /**
   * Top-level LLM-API options that only shape one side's scheduling or reporting, never the KV
   * cache's layout or the transfer: changing them rolls the pool in place.
   */
  public static final Set<String> IN_PLACE_OPTIONS =
      Set.of(
          "max_batch_size",
          "max_num_tokens",
          "scheduler_config",
          "enable_iter_perf_stats",
          "return_perf_metrics",
          "perf_metrics_max_requests",
          "print_iter_log",
          "stream_interval",
          "num_postprocess_workers");

  /**
   * Keys of {@code llmApiOptions.kv_cache_config} that size or manage one worker's own cache (how
   * much memory, reuse, events, host offload) but not the layout of a block.
   */
  public static final Set<String> IN_PLACE_KV_CACHE_OPTIONS =
      Set.of(
          "free_gpu_memory_fraction",
          "max_tokens",
          "enable_block_reuse",
          "event_buffer_max_size",
          "host_cache_size",
          "enable_partial_reuse",
          "copy_on_partial_reuse");

  private static final ObjectMapper CANONICAL =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  public PairingRevision {
    Objects.requireNonNull(hash, "hash");
    fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** The pairing revision of an effective spec. Pure: the same spec gives the same revision. */
  public static PairingRevision of(EffectiveSpec effective) {
    DisaggClusterSpec spec = effective.cluster().getSpec();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("image", spec.getImage());
    f.put("trtllmVersion", effective.release().version());
    f.put("model", spec.getModel());
    f.put("backend", spec.getBackend().name());
    KvCacheTransferSpec kv = spec.getKvCacheTransfer();
    f.put("kvCacheTransfer.backend", kv.getBackend().name());
    f.put("kvCacheTransfer.nixlBackend", kv.getNixlBackend().name());
    f.put("kvCacheTransfer.maxTokensInBuffer", kv.getMaxTokensInBuffer());
    f.put("fabricEnv", new TreeMap<>(TrtllmConfig.fabricEnv(effective.cluster())));
    for (Pool pool : List.of(Pool.CONTEXT, Pool.GENERATION)) {
      PoolSpec p = spec.pool(pool);
      f.put(pool.id() + ".tensorParallelSize", p.getTensorParallelSize());
      f.put(pool.id() + ".pipelineParallelSize", p.getPipelineParallelSize());
      f.put(pool.id() + ".llmApiOptions", pairingOptions(p.getLlmApiOptions()));
    }
    try {
      return new PairingRevision(
          Hashes.sha256(CANONICAL.writeValueAsString(f)).substring(0, LENGTH), f);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the pairing fields", e);
    }
  }

  /** {@link #fields} as canonical JSON (keys sorted): what {@link #revisionAmong} compares. */
  public String json() {
    try {
      return CANONICAL.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the pairing fields", e);
    }
  }

  /**
   * Whether a revision whose fields were recorded as {@code recorded} ({@link #json}, possibly by
   * another operator version) pairs like this one: every field both have is equal, and they have at
   * least one in common. False when {@code recorded} is not a JSON object.
   */
  public boolean sameAs(String recorded) {
    JsonNode old;
    try {
      old = recorded == null ? null : CANONICAL.readTree(recorded);
    } catch (JsonProcessingException e) {
      return false;
    }
    if (old == null || !old.isObject()) {
      return false;
    }
    JsonNode now = CANONICAL.valueToTree(fields);
    int common = 0;
    for (Map.Entry<String, JsonNode> e : now.properties()) {
      JsonNode was = old.get(e.getKey());
      if (was == null) {
        continue;
      }
      if (!was.equals(e.getValue())) {
        return false;
      }
      common++;
    }
    return common > 0;
  }

  /**
   * The desired revision among the present ones: this hash when a present revision has it;
   * otherwise the newest present revision whose record is {@link #sameAs} this one (recorded by an
   * operator version that hashed other fields); otherwise this hash (a new revision).
   *
   * @param recorded the present revisions' recorded fields ({@link #json}), by revision, oldest
   *     first; revisions without a record are absent
   */
  public String revisionAmong(Map<String, String> recorded) {
    if (recorded.containsKey(hash)) {
      return hash;
    }
    String match = hash;
    for (Map.Entry<String, String> e : recorded.entrySet()) {
      if (sameAs(e.getValue())) {
        match = e.getKey();
      }
    }
    return match;
  }

  /** The LLM-API options that count for pairing: all but the in-place ones. */
  static Map<String, Object> pairingOptions(Map<String, Object> options) {
    Map<String, Object> out = new TreeMap<>();
    if (options == null) {
      return out;
    }
    options.forEach(
        (k, v) -> {
          if (IN_PLACE_OPTIONS.contains(k)) {
            return;
          }
          if (TrtllmConfig.KV_CACHE_CONFIG.equals(k) && v instanceof Map<?, ?> kvc) {
            Map<String, Object> kept = new TreeMap<>();
            kvc.forEach(
                (kk, vv) -> {
                  if (!IN_PLACE_KV_CACHE_OPTIONS.contains(String.valueOf(kk))) {
                    kept.put(String.valueOf(kk), vv);
                  }
                });
            if (!kept.isEmpty()) {
              out.put(k, kept);
            }
            return;
          }
          out.put(k, v);
        });
    return out;
  }
}
