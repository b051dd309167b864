package io.disagg.operator.release;

/**
 * Something the operator renders, or relies on, that not every TensorRT-LLM release has. Each
 * constant names the upstream code (repository NVIDIA/TensorRT-LLM) that decides whether a release
 * has it; {@link TrtllmRelease} says which releases do, with the version read.
 */
public enum Feature {
  /**
   * Several comma-separated etcd endpoints in {@code disagg_cluster.cluster_uri}. Older {@code
   * Etcd3ClusterStorage.__init__} ({@code tensorrt_llm/serve/cluster_storage.py}) takes host and
   * port with {@code rsplit(":", 1)} of the whole URI, so {@code etcd://a:2379,etcd://b:2379} dials
   * a host named {@code a:2379,etcd://b} forever; newer code splits the list on commas.
   */
  CLUSTER_URI_ENDPOINT_LIST(
      "several etcd endpoints in disagg_cluster.cluster_uri",
      "tensorrt_llm/serve/cluster_storage.py Etcd3ClusterStorage.__init__"),

  /**
   * {@code --log_level trace} and {@code debug}: {@code trtllm-serve}'s click choice is the keys of
   * the severity map in {@code tensorrt_llm/logger.py}; older maps stop at {@code verbose}/{@code
   * info}, so click rejects the command before the process starts.
   */
  LOG_LEVEL_TRACE_DEBUG(
      "--log_level trace and debug", "tensorrt_llm/logger.py Logger.severity_map"),

  /**
   * {@code cache_transceiver_config.kv_transfer_timeout_ms} ({@code CacheTransceiverConfig} in
   * {@code tensorrt_llm/llmapi/llm_args.py}, a strict model: an unknown key stops the worker).
   */
  KV_TRANSFER_TIMEOUT(
      "cache_transceiver_config.kv_transfer_timeout_ms",
      "tensorrt_llm/llmapi/llm_args.py CacheTransceiverConfig"),

  /** {@code cache_transceiver_config.kv_transfer_sender_future_timeout_ms}, as above. */
  KV_TRANSFER_SENDER_FUTURE_TIMEOUT(
      "cache_transceiver_config.kv_transfer_sender_future_timeout_ms",
      "tensorrt_llm/llmapi/llm_args.py CacheTransceiverConfig"),

  /** {@code cache_transceiver_config.transceiver_runtime}, as above. */
  TRANSCEIVER_RUNTIME(
      "cache_transceiver_config.transceiver_runtime",
      "tensorrt_llm/llmapi/llm_args.py CacheTransceiverConfig"),

  /**
   * {@code enable_iter_perf_stats} in the AutoDeploy backend's arguments ({@code LlmArgs} of {@code
   * tensorrt_llm/_torch/auto_deploy/llm_args.py} extends {@code TorchLlmArgs}, which owns the
   * field); without it an AutoDeploy worker publishes no iteration statistics, so the autoscaler's
   * load gauges stay empty.
   */
  /**
   * The router routes to workers that registered before it started: 1.3 and later hand the workers
   * {@code DisaggClusterManager.watch_workers()} lists to the routers ({@code
   * DisaggCoordinatorService.start} passes {@code on_event}); 1.2's {@code lifespan} in {@code
   * openai_disagg_server.py} drops that list, so a router started after its workers registered
   * routes to none of them and never becomes ready. The manager's side of the 1.3 call is newer
   * than the stored snapshots of {@code disagg_auto_scaling.py}: assumed from its caller.
   */
  ROUTER_ROUTES_EARLIER_WORKERS(
      "a router that started after the workers registered routes to them",
      "tensorrt_llm/serve/openai_disagg_server.py lifespan, DisaggCoordinatorService.start"),

  AUTODEPLOY_ITER_PERF_STATS(
      "enable_iter_perf_stats with --backend _autodeploy",
      "tensorrt_llm/_torch/auto_deploy/llm_args.py LlmArgs");

  private final String what;
  private final String upstream;

  Feature(String what, String upstream) {
    this.what = what;
    this.upstream = upstream;
  }

  /** What the feature is, as a user reads it in a message, e.g. {@code --log_level debug}. */
  public String what() {
    return what;
  }

  /** The upstream file and function that decide it. */
  public String upstream() {
    return upstream;
  }
}
