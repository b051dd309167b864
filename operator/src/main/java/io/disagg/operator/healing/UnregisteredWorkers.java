package io.disagg.operator.healing;

import io.disagg.operator.api.v1alpha1.WorkerRecovery;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds the worker pods of one pool that serve nobody and picks the one to restart. A pure
 * function; the reconciler keeps the timers ({@link Decision#unregisteredSince}) between calls and
 * does the restart.
 *
 * <p>Why: a TensorRT-LLM worker whose etcd lease expired (an etcd outage longer than {@code
 * inactive_timeout_sec}, a long GC or network pause) keeps refreshing the expired lease, which etcd
 * answers without error, and never registers again; its {@code /health} answers 200, so Kubernetes
 * keeps it Ready ({@code DisaggClusterWorker._heartbeat} and {@code Etcd3ClusterStorage.expire} in
 * {@code tensorrt_llm/serve/disagg_auto_scaling.py} and {@code serve/cluster_storage.py}, releases
 * 1.2 and 1.3; 1.3 recovers from an outage when the lease survived it, not when it expired). Only a
 * new process registers again.
 *
 * <p>Rules, per pool:
 *
 * <ul>
 *   <li>A worker is <i>unregistered</i> when its pod is Ready, not terminating, not being drained
 *       by the operator, and no registration in etcd matches it. Its timer starts when it is first
 *       seen so and restarts whenever it is not (registered, not Ready, drained) or etcd is not
 *       reachable: an unreachable etcd says nothing about registrations, and never leads to a
 *       restart.
 *   <li>It is <i>overdue</i> once unregistered for {@link Settings#timeout}.
 *   <li>At most one overdue worker is restarted at a time, the one unregistered longest: only when
 *       restarts are on, at least {@link Settings#minInterval} after the pool's last restart, and
 *       once the pod restarted last is gone with its UID and Ready again under its name (or has not
 *       come back because the pool shrank).
 * </ul>
 */
public final class UnregisteredWorkers {
  private UnregisteredWorkers() {}

  /** Reason of a restart of an unregistered worker ({@code lastRecovery.reason}, Event reason). */
  public static final String REASON = "Unregistered";

  /**
   * The knobs ({@code spec.selfHealing}).
   *
   * @param restart whether overdue workers are restarted (else only counted and reported)
   * @param timeout how long a worker may stay unregistered, positive
   * @param minInterval least time between two restarts in the pool, not negative
   */
  public record Settings(boolean restart, Duration timeout, Duration minInterval) {
    public Settings {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(minInterval, "minInterval");
      if (timeout.isZero() || timeout.isNegative() || minInterval.isNegative()) {
        throw new IllegalArgumentException("timeout must be > 0, minInterval >= 0");
      }
    }
  }

  /**
   * One worker pod as observed.
   *
   * @param pod pod name
   * @param uid pod UID
   * @param ready the pod's Ready condition is True
   * @param terminating the pod has a deletion timestamp
   * @param draining the operator is draining it (its registrations were removed on purpose)
   * @param registered a registration in etcd matches its IP and worker port
   */
  public record Worker(
      String pod,
      String uid,
      boolean ready,
      boolean terminating,
      boolean draining,
      boolean registered) {
    public Worker {
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(uid, "uid");
    }

    boolean unregistered() {
      return ready && !terminating && !draining && !registered;
    }
  }

  /**
   * What {@link #plan} reads.
   *
   * @param workers the pool's worker pods (of every revision present)
   * @param etcdReachable whether the registrations are live ({@code DiscoverySnapshot.reachable})
   * @param unregisteredSince the timers of the previous call, by pod UID
   * @param last the pool's last restart ({@code status.<pool>.lastRecovery}), may be null
   * @param settings the knobs
   * @param now the time of this call
   */
  public record Input(
      List<Worker> workers,
      boolean etcdReachable,
      Map<String, Instant> unregisteredSince,
      WorkerRecovery last,
      Settings settings,
      Instant now) {
    public Input {
      workers = List.copyOf(workers);
      unregisteredSince = Map.copyOf(unregisteredSince);
      Objects.requireNonNull(settings, "settings");
      Objects.requireNonNull(now, "now");
    }
  }

  /**
   * What {@link #plan} decided.
   *
   * @param unregisteredSince the timers to keep for the next call, by pod UID
   * @param overdue the overdue workers, unregistered longest first (with how long), empty while
   *     etcd is unreachable
   * @param count how many workers are overdue ({@code status.<pool>.unregisteredReadyWorkers}),
   *     null while etcd is unreachable (unknown)
   * @param restart the worker to restart now, or null
   * @param held why an overdue worker is not restarted now, or null
   * @param nextCheck when to look again though nothing else changes (a timer or the interval runs
   *     out), or null
   */
  public record Decision(
      Map<String, Instant> unregisteredSince,
      List<Overdue> overdue,
      Integer count,
      Overdue restart,
      String held,
      Instant nextCheck) {
    public Decision {
      unregisteredSince = Map.copyOf(unregisteredSince);
      overdue = List.copyOf(overdue);
    }
  }

  /** An overdue worker and how long it has been unregistered. */
  public record Overdue(Worker worker, Duration unregisteredFor) {
    /** A message for the Event and {@code lastRecovery.message}. */
    public String message() {
      return "pod "
          + worker.pod()
          + " is Ready but has had no registration in etcd for "
          + unregisteredFor.toSeconds()
          + " s while etcd was reachable: its lease expired and TensorRT-LLM does not register"
          + " again, so it serves nobody";
    }
  }

  /** Decides for one pool; see the class comment for the rules. */
  public static Decision plan(Input in) {
    if (!in.etcdReachable()) {
      return new Decision(Map.of(), List.of(), null, null, null, null);
    }
    Map<String, Instant> since = new LinkedHashMap<>();
    List<Overdue> overdue = new ArrayList<>();
    Instant nextCheck = null;
    for (Worker w : in.workers()) {
      if (!w.unregistered()) {
        continue;
      }
      Instant start = in.unregisteredSince().getOrDefault(w.uid(), in.now());
      since.put(w.uid(), start);
      Instant due = start.plus(in.settings().timeout());
      if (in.now().isBefore(due)) {
        nextCheck = earlier(nextCheck, due);
      } else {
        overdue.add(new Overdue(w, Duration.between(start, in.now())));
      }
    }
    overdue.sort((a, b) -> b.unregisteredFor().compareTo(a.unregisteredFor()));
    if (overdue.isEmpty() || !in.settings().restart()) {
      return new Decision(since, overdue, overdue.size(), null, null, nextCheck);
    }
    String held = held(in);
    Instant notBefore = notBefore(in);
    if (held == null && notBefore != null && in.now().isBefore(notBefore)) {
      held =
          "the pool's last restart was less than "
              + in.settings().minInterval().toSeconds()
              + " s ago";
      nextCheck = earlier(nextCheck, notBefore);
    }
    return held == null
        ? new Decision(since, overdue, overdue.size(), overdue.get(0), null, nextCheck)
        : new Decision(since, overdue, overdue.size(), null, held, nextCheck);
  }

  /** Why the last restart is not finished, or null. */
  private static String held(Input in) {
    WorkerRecovery last = in.last();
    if (last == null || last.getPod() == null) {
      return null;
    }
    for (Worker w : in.workers()) {
      if (w.uid().equals(last.getUid())) {
        return "pod " + last.getPod() + ", restarted last, is still terminating";
      }
      if (w.pod().equals(last.getPod()) && !w.ready()) {
        return "pod " + last.getPod() + ", restarted last, is not Ready yet";
      }
    }
    return null;
  }

  private static Instant notBefore(Input in) {
    if (in.last() == null || in.last().getTime() == null) {
      return null;
    }
    try {
      return Instant.parse(in.last().getTime()).plus(in.settings().minInterval());
    } catch (DateTimeParseException e) {
      return null; // a hand-edited status: no interval to respect
    }
  }

  private static Instant earlier(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }
}
