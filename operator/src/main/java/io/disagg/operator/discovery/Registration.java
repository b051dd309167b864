package io.disagg.operator.discovery;

import io.disagg.operator.core.Pool;

/**
 * One worker registration as TensorRT-LLM writes it in etcd with {@code disagg_cluster} discovery
 * ({@code tensorrt_llm/serve/disagg_auto_scaling.py}): key {@code
 * /trtllm-disagg/<cluster_name>/workers/<worker_id>}, value {@code {"worker_id": ..., "host": ...,
 * "port": ..., "role": 0|1}} (0 = CONTEXT, 1 = GENERATION), attached to a lease of TTL {@code
 * inactive_timeout_sec}.
 *
 * <p>Entries that cannot be parsed are kept with {@code malformed} set and the raw value, so the
 * status can show them instead of hiding them.
 *
 * @param key the full etcd key
 * @param workerId the {@code worker_id} field (or the last key segment when malformed)
 * @param host the {@code host} the worker registered (its {@code --host}, the pod IP), or null
 * @param port the {@code port}, or 0 when unknown
 * @param pool the pool from {@code role}, or null when the role is unknown
 * @param lease the etcd lease id, 0 when none
 * @param modRevision the etcd revision of the last change of this key
 * @param malformed whether the value could not be parsed as a registration
 * @param raw the raw value (UTF-8), for malformed entries and diagnostics
 */
public record Registration(
    String key,
    String workerId,
    String host,
    int port,
    Pool pool,
    long lease,
    long modRevision,
    boolean malformed,
    String raw) {

  /** {@code host:port} as the router dials it, or null when unknown. */
  public String endpoint() {
    return host == null ? null : host + ":" + port;
  }
}
