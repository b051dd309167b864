package io.disagg.e2e.trtllm;

/**
 * A worker registration as the router parsed it from etcd ({@code WorkerInfo} in {@code
 * disagg_auto_scaling.py}).
 *
 * @param key the etcd key {@code /trtllm-disagg/<cluster_name>/workers/<worker_id>}
 * @param workerId {@code worker_id}
 * @param host {@code host}
 * @param port {@code port}
 * @param role from {@code role} (0 = CONTEXT, 1 = GENERATION)
 */
public record WorkerInfo(String key, String workerId, String host, int port, WorkerRole role) {

  /** {@code host:port}, the address the router dials. */
  public String endpoint() {
    return host + ":" + port;
  }
}
