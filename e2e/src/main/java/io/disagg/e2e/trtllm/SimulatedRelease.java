package io.disagg.e2e.trtllm;

import java.util.Locale;

/**
 * The TensorRT-LLM release whose behaviour a simulated worker and router imitate. Only releases
 * with {@code disagg_cluster} discovery through etcd are listed: TensorRT-LLM 1.0 and 1.1 have none
 * (the router side, {@code DisaggClusterManager} in {@code openai_disagg_server.py}, came with
 * NVIDIA/TensorRT-LLM PR #8215 in October 2025, after the release/1.1 branch was cut at 1.1.0rc4).
 *
 * <p>What was read, and where (repository NVIDIA/TensorRT-LLM; the version is the {@code
 * __version__} of {@code tensorrt_llm/version.py} in the same snapshot):
 *
 * <ul>
 *   <li>{@link #V1_2}: {@code tensorrt_llm/serve/openai_disagg_server.py} at 1.2.0rc2 (commit
 *       b35ac1b64368513d215c57d2ed01d62d910df8da): {@code OpenAIDisaggServer.health}, {@code
 *       openai_completion}, {@code is_ready}, {@code _update_router_by_watch_events} and the {@code
 *       lifespan}; {@code serve/disagg_auto_scaling.py} {@code DisaggClusterWorker} and {@code
 *       serve/cluster_storage.py} {@code Etcd3ClusterStorage} of the same period; the worker {@code
 *       serve/openai_server.py} {@code register_routes}/{@code health} of the 1.2 line. The 1.2
 *       branch was cut later (1.2.0rc6); a refactor that may have reached it (PR #8714, {@code
 *       openai_disagg_service.py}) answers requests before readiness with 500 instead of 400. This
 *       simulation follows the snapshot read.
 *   <li>{@link #V1_3}: the 1.3 pre-releases on main (1.3.0rcN, 2026): {@code
 *       serve/openai_disagg_server.py} (commit 01edceae1757b6d77dd9129d14e73b93fb1d2a3d), {@code
 *       serve/disagg_coordinator.py} {@code DisaggCoordinatorService.is_ready}, {@code
 *       serve/openai_disagg_service.py} (commit 00bb903d965ffe9710a457d5848065d7d1b8f60a) and
 *       {@code serve/router.py} (commit 00895e31dc5f9865c6bdfd2dd0508a9d6d964e9d) {@code
 *       Router._prepare_server}/{@code num_prepared_servers} (readiness counting prepared servers:
 *       PR #13755, May 2026); {@code serve/openai_server.py} {@code get_server_info} and {@code
 *       health}; the heartbeat recovery that overwrites the key (PR #17461, August 2026, read in
 *       the pull request; the stored snapshots of {@code disagg_auto_scaling.py} predate it).
 * </ul>
 *
 * <p>Neither release re-registers a worker whose lease expired while {@code /health} answers 200:
 * {@link LeaseLoss}.
 */
public enum SimulatedRelease {
  /** TensorRT-LLM 1.2 (as read at 1.2.0rc2). */
  V1_2("1.2", LeaseLoss.PUT_IF_ABSENT_ON_CACHED_LEASE),
  /** TensorRT-LLM 1.3 pre-releases (main, 1.3.0rc25 and later for the lease behaviour). */
  V1_3("1.3", LeaseLoss.OVERWRITE_ON_CACHED_LEASE);

  /** The behaviour of the releases users run today: 1.2, the oldest with etcd discovery. */
  public static final SimulatedRelease DEFAULT = V1_2;

  private final String version;
  private final LeaseLoss leaseLoss;

  SimulatedRelease(String version, LeaseLoss leaseLoss) {
    this.version = version;
    this.leaseLoss = leaseLoss;
  }

  /**
   * How a worker's heartbeat handles a failed lease refresh ({@code DisaggClusterWorker._heartbeat}
   * then {@code register_worker} in {@code tensorrt_llm/serve/disagg_auto_scaling.py}, storage
   * {@code Etcd3ClusterStorage.set}/{@code expire} in {@code serve/cluster_storage.py}). Common to
   * both: the lease is created once per key ({@code _get_lease} caches it in {@code _leases}) and
   * reused for ever; a refresh of an expired lease gets a keep-alive answer with TTL 0 and no error
   * (etcd {@code server/etcdserver/api/v3rpc/lease.go} {@code leaseKeepAlive}), which {@code
   * expire} counts as success, so the worker never notices it left discovery. Only a refresh that
   * cannot reach etcd starts a re-registration, retried every 5 s ({@code retry_interval}); a put
   * on the cached lease once it expired fails with gRPC NOT_FOUND, which {@code handle_etcd_error}
   * does not catch (python-etcd3 {@code _translate_exception} maps only UNAVAILABLE,
   * DEADLINE_EXCEEDED, FAILED_PRECONDITION and INTERNAL), so the heartbeat task ends with that
   * exception and the worker stays out of discovery while {@code /health} answers 200.
   */
  public enum LeaseLoss {
    /**
     * Re-registration is {@code put_if_not_exists} on the cached lease: while the old key is still
     * there (its lease alive) it returns False and is retried every 5 s without refreshing the
     * lease, until the lease expires and the put fails with NOT_FOUND.
     */
    PUT_IF_ABSENT_ON_CACHED_LEASE,
    /**
     * Re-registration overwrites the key ({@code overwrite_if_exists=True}, PR #17461) on the
     * cached lease: it recovers from a refresh that failed while the lease was still alive, and
     * still fails with NOT_FOUND once the lease expired.
     */
    OVERWRITE_ON_CACHED_LEASE
  }

  /** {@code major.minor}, as the operator names releases (e.g. {@code "1.2"}). */
  public String version() {
    return version;
  }

  /** How the worker's heartbeat handles a failed refresh. */
  public LeaseLoss leaseLoss() {
    return leaseLoss;
  }

  /**
   * Whether the worker serves {@code GET /server_info} ({@code OpenAIServer.get_server_info}:
   * {@code {"disaggregated_params": ...}}); the 1.2 worker's {@code register_routes} has no such
   * route.
   */
  public boolean workerServesServerInfo() {
    return this == V1_3;
  }

  /**
   * Whether the worker's {@code /health} reports a failed engine ({@code OpenAIServer.health}: 503
   * "LLM is unavailable..." when {@code _check_health()} fails); 1.2 answers 200 while serving.
   */
  public boolean workerHealthChecksEngine() {
    return this == V1_3;
  }

  /**
   * Whether a worker can poison its KV-cache transfer buffer and fail fatally: in-flight
   * cancellation with buffer quarantine (NVIDIA/TensorRT-LLM PR #15238, merged mid-2026, opt-in by
   * {@code TRTLLM_DISAGG_ENABLE_INFLIGHT_CANCEL=1}), which 1.2 does not have. The simulated 1.3
   * stands for the newest code here.
   */
  public boolean workerPoisonsTransferBuffers() {
    return this == V1_3;
  }

  /**
   * Status of the router's {@code /health} while not ready: 500 in 1.2 ({@code
   * OpenAIDisaggServer.health}), 503 in 1.3.
   */
  public int routerNotReadyStatus() {
    return this == V1_2 ? 500 : 503;
  }

  /**
   * Status of a completion request the router gets before it is ready: 1.2 raises {@code
   * HTTPException(400, "Cluster is not ready")}; 1.3 raises {@code RuntimeError("Cluster is not
   * ready")} in {@code OpenAIDisaggregatedService.openai_completion}, which the server's {@code
   * _handle_exception} turns into 500 {@code "Internal server error Cluster is not ready"}.
   */
  public int routerNotReadyRequestStatus() {
    return this == V1_2 ? 400 : 500;
  }

  /** FastAPI's {@code detail} of that answer (the body is {@code {"detail": ...}}). */
  public String routerNotReadyRequestDetail() {
    return this == V1_2 ? "Cluster is not ready" : "Internal server error Cluster is not ready";
  }

  /**
   * Whether the router's readiness counts only servers whose {@code /server_info} it fetched
   * ({@code Router.num_prepared_servers}, 1.3) rather than every server in its routing list ({@code
   * len(router.servers)}, 1.2).
   */
  public boolean routerCountsPreparedServers() {
    return this == V1_3;
  }

  /**
   * Whether workers registered before the router started reach its routing lists. In 1.2 the {@code
   * lifespan} drops the list {@code DisaggClusterManager.watch_workers()} returns and the routers
   * only learn of workers through later watch events, so a router (re)started after the workers
   * registered routes to none of them and never becomes ready until they register again (they do
   * not: {@link LeaseLoss}). In 1.3 {@code DisaggCoordinatorService.start} passes {@code
   * on_event=self._on_worker_event} to {@code watch_workers}; the manager's side of that call is
   * newer than the stored snapshots of {@code disagg_auto_scaling.py}, so that it hands the listed
   * workers to the routers is assumed from its caller, not read.
   */
  public boolean routerAddsExistingRegistrations() {
    return this == V1_3;
  }

  /**
   * The release named {@code major.minor} ({@code "1.2"}, {@code "1.3"}), or a full version such as
   * {@code "1.2.0rc2"}.
   *
   * @throws IllegalArgumentException for a release without simulated etcd discovery
   */
  public static SimulatedRelease of(String version) {
    String v = version == null ? "" : version.strip().toLowerCase(Locale.ROOT);
    for (SimulatedRelease r : values()) {
      if (v.equals(r.version) || v.startsWith(r.version + ".")) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "no simulated TensorRT-LLM release "
            + version
            + " (simulated: 1.2, 1.3; 1.0 and 1.1 have no disagg_cluster etcd discovery)");
  }
}
