package io.disagg.operator.discovery;

import io.disagg.operator.core.Pool;
import java.time.Instant;
import java.util.List;

/**
 * What the operator knows of a cluster's worker registrations in etcd at one moment.
 *
 * <p>Act on it (scale, deregister) only when {@link #reachable} is true: while etcd is unreachable
 * or the watch is being re-established, the registrations are the last ones seen and may be stale.
 *
 * @param registrations every key under {@code /trtllm-disagg/<clusterName>/workers/}, sorted by
 *     key, malformed ones included
 * @param reachable whether the registrations are live: the last list succeeded and the watch that
 *     followed it is established and has reported no error since
 * @param lastError the last error talking to etcd while not reachable, null when reachable or
 *     before the first attempt finished
 * @param revision the etcd revision the registrations reflect, 0 before the first list
 * @param observedAt when this snapshot was taken (the last change of the registrations or of
 *     reachability)
 */
public record DiscoverySnapshot(
    List<Registration> registrations,
    boolean reachable,
    String lastError,
    long revision,
    Instant observedAt) {

  public DiscoverySnapshot {
    registrations = List.copyOf(registrations);
  }

  /** The snapshot of a watch that has not finished its first list yet: empty and not reachable. */
  public static DiscoverySnapshot initial(Instant now) {
    return new DiscoverySnapshot(List.of(), false, null, 0, now);
  }

  /** The well-formed registrations of {@code pool}. */
  public List<Registration> of(Pool pool) {
    return registrations.stream().filter(r -> !r.malformed() && r.pool() == pool).toList();
  }

  /** The malformed registrations (unparseable value, unknown role or key). */
  public List<Registration> malformed() {
    return registrations.stream().filter(Registration::malformed).toList();
  }
}
