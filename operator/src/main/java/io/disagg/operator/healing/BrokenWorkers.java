package io.disagg.operator.healing;

import io.disagg.operator.api.v1alpha1.WorkerRecovery;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds the worker pods of one pool that TensorRT-LLM leaves broken and picks the one to restart. A
 * pure function; the reconciler keeps the timers ({@link Decision#unregisteredSince}) between calls
 * and does the restart ({@code controller/HealingStep}).
 *
 * <p>Two faults, both left to the orchestrator by TensorRT-LLM:
 *
 * <ul>
 *   <li><b>Unregistered</b> ({@link #UNREGISTERED}): a worker whose etcd lease expired (an etcd
 *       outage longer than {@code inactive_timeout_sec}, a long pause) keeps refreshing the expired
 *       lease, which etcd answers without error, and never registers again; its {@code /health}
 *       answers 200, so Kubernetes keeps it Ready ({@code DisaggClusterWorker._heartbeat} in {@code
 *       tensorrt_llm/serve/disagg_auto_scaling.py}, {@code Etcd3ClusterStorage.expire} in {@code
 *       serve/cluster_storage.py}; releases 1.2 and 1.3). A worker is unregistered when its pod is
 *       Ready, not terminating, not being drained by the operator, and no registration in etcd
 *       matches it. Its timer starts when it is first seen so and restarts whenever it is not
 *       (registered, not Ready, drained) or etcd is not reachable: an unreachable etcd says nothing
 *       about registrations and never leads to a restart. It is overdue after {@link
 *       Settings#timeout}.
 *   <li><b>Poisoned transfer buffer</b> ({@link #POISONED}): the worker logged that its KV-cache
 *       transfer buffer pool is poisoned and the process must restart ({@link Worker#fault}, found
 *       by {@link PoisonedTransfers}). Overdue at once: the evidence is the process's own
 *       statement.
 * </ul>
 *
 * <p>At most one overdue worker per pool is restarted at a time, poisoned ones first, then the one
 * unregistered longest: only when restarts of its fault are on, at least {@link
 * Settings#minInterval} after the pool's last restart, and once the pod restarted last is gone with
 * its UID and Ready again under its name (or has not come back because the pool shrank).
 */
public final class BrokenWorkers {
  private BrokenWorkers() {}

  /** Reason of a restart of an unregistered worker ({@code lastRecovery.reason}). */
  public static final String UNREGISTERED = "Unregistered";

  /**
   * Reason of a restart of a worker with a poisoned transfer buffer ({@code lastRecovery.reason}).
   */
  public static final String POISONED = "TransferBufferPoisoned";

  /**
   * The knobs ({@code spec.selfHealing}).
   *
   * @param restartUnregistered whether overdue unregistered workers are restarted (else only
   *     counted and reported)
   * @param restartPoisoned whether workers with a poisoned transfer buffer are restarted
   * @param timeout how long a worker may stay unregistered, positive
   * @param minInterval least time between two restarts in the pool, not negative
   */
  public record Settings(
      boolean restartUnregistered,
      boolean restartPoisoned,
      Duration timeout,
      Duration minInterval) {
    public Settings {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(minInterval, "minInterval");
      if (timeout.isZero() || timeout.isNegative() || minInterval.isNegative()) {
        throw new IllegalArgumentException("timeout must be > 0, minInterval >= 0");
      }
    }

    boolean restarts(String reason) {
      return POISONED.equals(reason) ? restartPoisoned : restartUnregistered;
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
   * @param fault the worker's own statement that its transfer buffer is poisoned (a log line), or
   *     null
   */
  public record Worker(
      String pod,
      String uid,
      boolean ready,
      boolean terminating,
      boolean draining,
      boolean registered,
      String fault) {
    public Worker {
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(uid, "uid");
    }

    boolean unregistered() {
      return ready && !terminating && !draining && !registered && fault == null;
    }

    boolean poisoned() {
      return fault != null && !terminating;
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
   * @param overdue the overdue workers: poisoned ones first, then unregistered ones, longest first
   * @param unregistered how many unregistered workers are overdue ({@code
   *     status.<pool>.unregisteredReadyWorkers}), null while etcd is unreachable (unknown)
   * @param restart the worker to restart now, or null
   * @param held why an overdue worker is not restarted now, or null
   * @param nextCheck when to look again though nothing else changes (a timer or the interval runs
   *     out), or null
   */
  public record Decision(
      Map<String, Instant> unregisteredSince,
      List<Overdue> overdue,
      Integer unregistered,
      Overdue restart,
      String held,
      Instant nextCheck) {
    public Decision {
      unregisteredSince = Map.copyOf(unregisteredSince);
      overdue = List.copyOf(overdue);
    }
  }

  /**
   * An overdue worker: why ({@link #UNREGISTERED} or {@link #POISONED}) and, when unregistered, for
   * how long.
   */
  public record Overdue(Worker worker, String reason, Duration unregisteredFor) {
    /** A message for the Event and {@code lastRecovery.message}. */
    public String message() {
      if (POISONED.equals(reason)) {
        return "pod "
            + worker.pod()
            + " logged that its KV-cache transfer buffer is poisoned and the process must restart: "
            + worker.fault();
      }
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
    Map<String, Instant> since = new LinkedHashMap<>();
    List<Overdue> poisoned = new ArrayList<>();
    List<Overdue> unregistered = new ArrayList<>();
    Instant nextCheck = null;
    for (Worker w : in.workers()) {
      if (w.poisoned()) {
        poisoned.add(new Overdue(w, POISONED, Duration.ZERO));
      }
      if (!in.etcdReachable() || !w.unregistered()) {
        continue;
      }
      Instant start = in.unregisteredSince().getOrDefault(w.uid(), in.now());
      since.put(w.uid(), start);
      Instant due = start.plus(in.settings().timeout());
      if (in.now().isBefore(due)) {
        nextCheck = earlier(nextCheck, due);
      } else {
        unregistered.add(new Overdue(w, UNREGISTERED, Duration.between(start, in.now())));
      }
    }
    unregistered.sort(Comparator.comparing(Overdue::unregisteredFor).reversed());
    List<Overdue> overdue = new ArrayList<>(poisoned);
    overdue.addAll(unregistered);
    Integer count = in.etcdReachable() ? unregistered.size() : null;
    Overdue first =
        overdue.stream().filter(o -> in.settings().restarts(o.reason())).findFirst().orElse(null);
    if (first == null) {
      return new Decision(since, overdue, count, null, null, nextCheck);
    }
    String held = inProgress(in.workers(), in.last());
    Instant notBefore = notBefore(in);
    if (held == null && notBefore != null && in.now().isBefore(notBefore)) {
      held =
          "the pool's last restart was less than "
              + in.settings().minInterval().toSeconds()
              + " s ago";
      nextCheck = earlier(nextCheck, notBefore);
    }
    return held == null
        ? new Decision(since, overdue, count, first, null, nextCheck)
        : new Decision(since, overdue, count, null, held, nextCheck);
  }

  /**
   * Why the pool's last restart is not finished, or null when it is: the restarted pod is still
   * terminating (its UID is present), or the pod of that name is not Ready yet.
   */
  public static String inProgress(List<Worker> workers, WorkerRecovery last) {
    if (last == null || last.getPod() == null) {
      return null;
    }
    for (Worker w : workers) {
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
