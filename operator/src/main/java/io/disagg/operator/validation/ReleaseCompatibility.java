package io.disagg.operator.validation;

import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.KvCacheTransferSpec;
import io.disagg.operator.api.v1alpha1.LogLevel;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.release.Feature;
import io.disagg.operator.release.ResolvedRelease;
import io.disagg.operator.spec.EffectiveSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a spec asks for that its TensorRT-LLM release does not have ({@link
 * EffectiveSpec#release()}; the table is {@code io.disagg.operator.release.TrtllmRelease}). Each is
 * an error naming the field and the release: the worker or router would refuse to start, or worse,
 * start and misbehave (see {@link Feature} for the upstream code of each).
 */
public final class ReleaseCompatibility {
  private ReleaseCompatibility() {}

  /** {@code cache_transceiver_config} keys that only some releases have. */
  private static final Map<String, Feature> CACHE_TRANSCEIVER_KEYS = cacheTransceiverKeys();

  private static Map<String, Feature> cacheTransceiverKeys() {
    Map<String, Feature> m = new LinkedHashMap<>();
    m.put("kv_transfer_timeout_ms", Feature.KV_TRANSFER_TIMEOUT);
    m.put("kv_transfer_sender_future_timeout_ms", Feature.KV_TRANSFER_SENDER_FUTURE_TIMEOUT);
    m.put("transceiver_runtime", Feature.TRANSCEIVER_RUNTIME);
    return m;
  }

  /** The errors of {@code effective} for its release, in spec order; empty when it fits. */
  public static List<SpecProblem> problems(EffectiveSpec effective) {
    ResolvedRelease release = effective.release();
    DisaggClusterSpec spec = effective.cluster().getSpec();
    List<SpecProblem> out = new ArrayList<>();
    LogLevel level = spec.getLogLevel();
    if ((level == LogLevel.TRACE || level == LogLevel.DEBUG)
        && !release.has(Feature.LOG_LEVEL_TRACE_DEBUG)) {
      out.add(
          missing(
              "spec.logLevel",
              release,
              Feature.LOG_LEVEL_TRACE_DEBUG,
              "use info (or set spec.trtllmVersion if the image runs a newer release)"));
    }
    KvCacheTransferSpec kv = spec.getKvCacheTransfer();
    if (kv.getKvTransferTimeoutMs() != null && !release.has(Feature.KV_TRANSFER_TIMEOUT)) {
      out.add(
          missing(
              "spec.kvCacheTransfer.kvTransferTimeoutMs",
              release,
              Feature.KV_TRANSFER_TIMEOUT,
              "remove it"));
    }
    if (kv.getKvTransferSenderFutureTimeoutMs() != null
        && !release.has(Feature.KV_TRANSFER_SENDER_FUTURE_TIMEOUT)) {
      out.add(
          missing(
              "spec.kvCacheTransfer.kvTransferSenderFutureTimeoutMs",
              release,
              Feature.KV_TRANSFER_SENDER_FUTURE_TIMEOUT,
              "remove it"));
    }
    if (effective.etcdEndpoints().size() > 1 && !release.has(Feature.CLUSTER_URI_ENDPOINT_LIST)) {
      out.add(
          missing(
              EffectiveSpec.FIELD_ENDPOINTS,
              release,
              Feature.CLUSTER_URI_ENDPOINT_LIST,
              "give one endpoint, e.g. a Service in front of the etcd cluster, which gives the"
                  + " same availability"));
    }
    for (Pool pool : Pool.values()) {
      PoolSpec p = spec.pool(pool);
      Map<String, Object> opts = p == null ? null : p.getLlmApiOptions();
      if (opts != null
          && opts.get(TrtllmConfig.CACHE_TRANSCEIVER_CONFIG) instanceof Map<?, ?> ctc) {
        for (Map.Entry<String, Feature> e : CACHE_TRANSCEIVER_KEYS.entrySet()) {
          if (ctc.containsKey(e.getKey()) && !release.has(e.getValue())) {
            out.add(
                missing(
                    "spec."
                        + pool.id()
                        + ".llmApiOptions."
                        + TrtllmConfig.CACHE_TRANSCEIVER_CONFIG
                        + "."
                        + e.getKey(),
                    release,
                    e.getValue(),
                    "remove it"));
          }
        }
      }
    }
    return out;
  }

  private static SpecProblem missing(
      String field, ResolvedRelease release, Feature feature, String fix) {
    return SpecProblem.error(
        field,
        release.describe()
            + " does not accept "
            + feature.what()
            + " ("
            + feature.upstream()
            + "): "
            + fix);
  }
}
