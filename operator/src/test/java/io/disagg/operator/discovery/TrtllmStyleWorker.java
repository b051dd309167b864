package io.disagg.operator.discovery;

import io.disagg.operator.core.Pool;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test helper: registers in etcd exactly as a TensorRT-LLM worker does with an {@code etcd://}
 * {@code disagg_cluster}, through jetcd instead of Python.
 *
 * <p>Followed upstream (NVIDIA/TensorRT-LLM):
 *
 * <ul>
 *   <li>{@code tensorrt_llm/serve/disagg_auto_scaling.py}, {@code DisaggClusterWorker}: {@code
 *       worker_id = f"{role.name}-{host}:{port}-{ms}-{pid}-{rand:03}"}, key {@code
 *       /trtllm-disagg/{cluster_name}/workers/{worker_id}}, value {@code
 *       json.dumps(asdict(WorkerInfo))} (Python's default separators {@code ", "} and {@code ": "},
 *       field order worker_id, host, port, role; role 0 for CONTEXT, 1 for GENERATION as in {@code
 *       ServerRole}); registration with {@code ttl=inactive_timeout_sec}; every {@code
 *       heartbeat_interval_sec} an {@code expire}; when that fails, {@code register_worker} again
 *       (retrying every 5 s until it succeeds).
 *   <li>{@code tensorrt_llm/serve/cluster_storage.py}, {@code Etcd3ClusterStorage}: one lease per
 *       key, granted on first use and cached ({@code _get_lease}); {@code set} is {@code
 *       put_if_not_exists} (a transaction: create revision == 0, then put with the lease); {@code
 *       expire} is one lease keep-alive whose answer is not inspected, so a keep-alive that etcd
 *       answers with TTL 0 (lease unknown) still counts as success; only an exception fails it.
 *       jetcd reports TTL 0 as an exception with code NOT_FOUND, so that code counts as success
 *       here.
 * </ul>
 */
final class TrtllmStyleWorker implements AutoCloseable {
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Client client;
  private final String clusterName;
  private final Pool role;
  private final String host;
  private final int port;
  private final int inactiveTimeoutSec;
  private final int heartbeatIntervalSec;
  private final String workerId;
  private final AtomicInteger refreshes = new AtomicInteger();
  private final AtomicInteger registrations = new AtomicInteger();
  private long leaseId;
  private ScheduledExecutorService heartbeat;

  TrtllmStyleWorker(
      Client client,
      String clusterName,
      Pool role,
      String host,
      int port,
      int inactiveTimeoutSec,
      int heartbeatIntervalSec) {
    this.client = client;
    this.clusterName = clusterName;
    this.role = role;
    this.host = host;
    this.port = port;
    this.inactiveTimeoutSec = inactiveTimeoutSec;
    this.heartbeatIntervalSec = heartbeatIntervalSec;
    this.workerId =
        role.serverRole()
            + "-"
            + host
            + ":"
            + port
            + "-"
            + System.currentTimeMillis()
            + "-"
            + ProcessHandle.current().pid()
            + "-"
            + String.format("%03d", ThreadLocalRandom.current().nextInt(0, 1001));
  }

  String workerId() {
    return workerId;
  }

  /** {@code get_worker_key}. */
  String key() {
    return "/trtllm-disagg/" + clusterName + "/workers/" + workerId;
  }

  /** {@code json.dumps(asdict(worker_info))}. */
  String value() {
    return "{\"worker_id\": "
        + quote(workerId)
        + ", \"host\": "
        + quote(host)
        + ", \"port\": "
        + port
        + ", \"role\": "
        + (role == Pool.CONTEXT ? 0 : 1)
        + "}";
  }

  synchronized long leaseId() {
    return leaseId;
  }

  int refreshes() {
    return refreshes.get();
  }

  int registrations() {
    return registrations.get();
  }

  /** {@code register_worker} without the retry loop: true when the put-if-absent succeeded. */
  synchronized boolean registerOnce() throws Exception {
    if (leaseId == 0) {
      leaseId = client.getLeaseClient().grant(inactiveTimeoutSec).get(5, TimeUnit.SECONDS).getID();
    }
    ByteSequence k = bytes(key());
    boolean ok =
        client
            .getKVClient()
            .txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(Op.put(k, bytes(value()), PutOption.builder().withLeaseId(leaseId).build()))
            .commit()
            .get(5, TimeUnit.SECONDS)
            .isSucceeded();
    if (ok) {
      registrations.incrementAndGet();
    }
    return ok;
  }

  /** {@code Etcd3ClusterStorage.expire}: one keep-alive; false only when it raised. */
  synchronized boolean expire() {
    try {
      client.getLeaseClient().keepAliveOnce(leaseId).get(5, TimeUnit.SECONDS);
      refreshes.incrementAndGet();
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND) {
        refreshes
            .incrementAndGet(); // TTL 0 answer: Python's refresh_lease returns it, expire() returns
        // True
        return true;
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  /** Registers and starts heartbeats, as {@code register_worker} does. */
  TrtllmStyleWorker start() throws Exception {
    if (!registerOnce()) {
      throw new IllegalStateException("key exists: " + key());
    }
    startHeartbeat();
    return this;
  }

  /**
   * {@code _heartbeat}: every heartbeat interval an expire; re-register (retry every 5 s) when it
   * fails.
   */
  synchronized void startHeartbeat() {
    if (heartbeat != null) {
      return;
    }
    heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "trtllm-heartbeat-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    heartbeat.scheduleWithFixedDelay(
        () -> {
          if (!expire()) {
            reRegister();
          }
        },
        heartbeatIntervalSec,
        heartbeatIntervalSec,
        TimeUnit.SECONDS);
  }

  private void reRegister() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        if (registerOnce()) {
          return;
        }
      } catch (Exception e) {
        // Etcd3ClusterStorage.set returns False on etcd errors
      }
      try {
        Thread.sleep(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A hung or killed worker: no more heartbeats; the lease runs out after inactive_timeout_sec. */
  synchronized void stopHeartbeat() {
    if (heartbeat != null) {
      heartbeat.shutdownNow();
      heartbeat = null;
    }
  }

  /** {@code deregister_worker} (SIGTERM): stop heartbeats, delete the key. */
  void deregister() throws Exception {
    stopHeartbeat();
    client.getKVClient().delete(bytes(key())).get(5, TimeUnit.SECONDS);
  }

  /** Remaining TTL of the lease in seconds; -1 when the lease does not exist. */
  long leaseTtl() throws Exception {
    return client
        .getLeaseClient()
        .timeToLive(leaseId(), LeaseOption.DEFAULT)
        .get(5, TimeUnit.SECONDS)
        .getTTL();
  }

  /** Whether the key exists in etcd. */
  boolean keyExists() throws Exception {
    GetResponse r = client.getKVClient().get(bytes(key())).get(5, TimeUnit.SECONDS);
    return r.getCount() > 0;
  }

  @Override
  public void close() {
    stopHeartbeat();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
