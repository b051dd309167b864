package io.disagg.operator.release;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The TensorRT-LLM release lines the operator renders for, oldest first, with the {@link Feature}s
 * each one has. Every row was read in the upstream source (repository NVIDIA/TensorRT-LLM, version
 * from {@code tensorrt_llm/version.py} of the same snapshot); {@code docs/trtllm-releases.md} is
 * the same table with the files and commits read. A feature is listed only for the releases where
 * it was found in the source or the versioned API reference; where it could not be established the
 * release does not get it, so the operator renders the form every release accepts. {@link
 * Feature#LOG_LEVEL_TRACE_DEBUG} is in no row: every stored version of {@code
 * tensorrt_llm/logger.py} has only {@code internal_error, error, warning, info, verbose}.
 */
public enum TrtllmRelease {
  /**
   * 1.2.x, the first release whose router discovers workers through {@code disagg_cluster} in etcd
   * ({@code DisaggClusterManager} in {@code tensorrt_llm/serve/openai_disagg_server.py}, PR #8215,
   * October 2025, after the release/1.1 branch was cut at 1.1.0rc4; read at 1.2.0rc2, commit
   * b35ac1b6): nothing beyond what every release accepts was established.
   */
  V1_2(1, 2, EnumSet.noneOf(Feature.class)),
  /**
   * 1.3 (1.3.0rcN): {@code CacheTransceiverConfig} with {@code kv_transfer_timeout_ms}, {@code
   * kv_transfer_sender_future_timeout_ms} and {@code transceiver_runtime} (API reference of
   * 1.3.0rc27).
   */
  V1_3(
      1,
      3,
      EnumSet.of(
          Feature.KV_TRANSFER_TIMEOUT,
          Feature.KV_TRANSFER_SENDER_FUTURE_TIMEOUT,
          Feature.TRANSCEIVER_RUNTIME,
          Feature.ROUTER_ROUTES_EARLIER_WORKERS)),
  /**
   * 1.4 (the development line of 2026, 1.4.0rcN): as 1.3 (API reference of 1.4.0rc1 and rc4), plus
   * what the newest stored source of main has: {@code Etcd3ClusterStorage._connect} splits {@code
   * cluster_uri} on commas (cluster_storage.py at 057d4a79), AutoDeploy's {@code LlmArgs} extends
   * {@code TorchLlmArgs} (auto_deploy/llm_args.py at 01e5db06).
   */
  V1_4(
      1,
      4,
      EnumSet.of(
          Feature.KV_TRANSFER_TIMEOUT,
          Feature.KV_TRANSFER_SENDER_FUTURE_TIMEOUT,
          Feature.TRANSCEIVER_RUNTIME,
          Feature.ROUTER_ROUTES_EARLIER_WORKERS,
          Feature.CLUSTER_URI_ENDPOINT_LIST,
          Feature.AUTODEPLOY_ITER_PERF_STATS));

  private final int major;
  private final int minor;
  private final Set<Feature> features;

  TrtllmRelease(int major, int minor, Set<Feature> features) {
    this.major = major;
    this.minor = minor;
    this.features = Collections.unmodifiableSet(EnumSet.copyOf(features));
  }

  /** {@code major.minor}, e.g. {@code 1.2}. */
  public String id() {
    return major + "." + minor;
  }

  /** Whether this release has {@code feature}. */
  public boolean has(Feature feature) {
    return features.contains(feature);
  }

  /** The features of this release. */
  public Set<Feature> features() {
    return features;
  }

  /** The oldest release the operator supports. */
  public static TrtllmRelease oldest() {
    return values()[0];
  }

  /** The newest release the operator knows. */
  public static TrtllmRelease newest() {
    return values()[values().length - 1];
  }

  /** The row of release line {@code major.minor}, if the operator knows it. */
  public static Optional<TrtllmRelease> of(int major, int minor) {
    return Arrays.stream(values()).filter(r -> r.major == major && r.minor == minor).findFirst();
  }

  /** Whether release line {@code major.minor} is older than this one. */
  boolean isAfter(int major, int minor) {
    return this.major > major || (this.major == major && this.minor > minor);
  }

  /** Whether release line {@code major.minor} is newer than this one. */
  boolean isBefore(int major, int minor) {
    return this.major < major || (this.major == major && this.minor < minor);
  }

  /** The features every supported release has: what is rendered when the release is unknown. */
  public static Set<Feature> common() {
    EnumSet<Feature> out = EnumSet.allOf(Feature.class);
    for (TrtllmRelease r : values()) {
      out.retainAll(r.features);
    }
    return Collections.unmodifiableSet(out);
  }
}
