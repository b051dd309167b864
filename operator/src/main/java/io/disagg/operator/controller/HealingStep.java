package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PoolStatus;
import io.disagg.operator.api.v1alpha1.SelfHealingSpec;
import io.disagg.operator.api.v1alpha1.WorkerRecovery;
import io.disagg.operator.core.Pool;
import io.disagg.operator.discovery.DiscoverySnapshot;
import io.disagg.operator.discovery.PodRegistrations;
import io.disagg.operator.healing.BrokenWorkers;
import io.disagg.operator.healing.PoisonedTransfers;
import io.disagg.operator.model.PodStates;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.status.TransferPoisoning;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The reconciler's self-healing step: finds worker pods that TensorRT-LLM leaves broken ({@link
 * BrokenWorkers}, pure): Ready but not registered in etcd, or with a poisoned KV-cache transfer
 * buffer ({@link PoisonedTransfers}: the log of a started, running, not ready worker container is
 * read, bounded, to find TensorRT-LLM's own statement). A poisoned worker's registrations are
 * deleted from etcd at once, so the router stops sending it requests it can only fail; then broken
 * workers are restarted by deleting the pod, which its StatefulSet creates again.
 *
 * <p>The delete is graceful (the pod's {@code terminationGracePeriodSeconds}): trtllm-serve
 * finishes the requests it is serving before it exits, and an unregistered worker receives no new
 * ones. It is a delete and not an eviction on purpose: the pool's PodDisruptionBudget counts the
 * pod as available because it is Ready, though it serves nobody, and would refuse to let the only
 * instance of a pool go. The delete carries the observed {@code resourceVersion} as a precondition,
 * so a pod that changed since (recreated, or re-registered and updated) is not deleted.
 *
 * <p>State: the timers ({@link BrokenWorkers.Decision#unregisteredSince}) live in memory only; a
 * restarted operator starts them again, which only delays a restart. The last restart of each pool
 * is in {@code status.<pool>.lastRecovery}, which spaces restarts across operator restarts too.
 */
final class HealingStep {
  private static final Logger LOG = Logger.getLogger(HealingStep.class);

  /** Event reason of the restart of an unregistered worker. */
  static final String RESTART_UNREGISTERED_EVENT = "RestartingUnregisteredWorker";

  /** Event reason of the restart of a worker with a poisoned transfer buffer. */
  static final String RESTART_POISONED_EVENT = "RestartingPoisonedWorker";

  /**
   * Event reason of an overdue worker left in place ({@code restartUnregisteredWorkers: false}).
   */
  static final String UNREGISTERED_EVENT = "WorkerNotRegistered";

  /** Event reason of a worker found with a poisoned transfer buffer (once per process). */
  static final String POISONED_EVENT = "TransferBufferPoisoned";

  /** Log reads per reconcile of one DisaggCluster, at most. */
  static final int LOG_READS_PER_RECONCILE = 4;

  /** Deletes registrations from etcd ({@code DiscoveryEventSource.deregister}). */
  @FunctionalInterface
  interface Deregister {
    void keys(List<String> keys) throws Exception;
  }

  /** What the step concluded about one log read: the evidence line (null: none) and when. */
  private record Verdict(String evidence, Instant readAt) {}

  /**
   * The worker pods of one pool of one revision, as the reconciler observed them.
   *
   * @param workers the pods by ordinal
   * @param replicas the StatefulSet's {@code spec.replicas} after this reconcile's decisions; pods
   *     at or above it are on their way out (null: unknown, nothing is)
   * @param snapshot the registrations under the revision's {@code cluster_name}, null when not
   *     watched
   * @param draining names of pods the operator is draining
   */
  record Observed(
      Pool pool,
      Map<Integer, Pod> workers,
      Integer replicas,
      DiscoverySnapshot snapshot,
      Set<String> draining) {
    Observed {
      Objects.requireNonNull(pool, "pool");
      workers = Map.copyOf(workers);
      draining = Set.copyOf(draining);
    }
  }

  /**
   * What goes into the status and when to look again.
   *
   * @param unregisteredReady per pool, {@code status.<pool>.unregisteredReadyWorkers} (null values:
   *     unknown)
   * @param lastRecovery per pool, {@code status.<pool>.lastRecovery} (null values: none)
   * @param poisoned per pool, the workers found with a poisoned transfer buffer and not restarted
   *     yet
   * @param requeueAfter when a timer or an interval runs out, or null
   */
  record Result(
      Map<Pool, Integer> unregisteredReady,
      Map<Pool, WorkerRecovery> lastRecovery,
      Map<Pool, List<TransferPoisoning.Poisoned>> poisoned,
      Duration requeueAfter) {}

  private final Map<ResourceID, Map<String, Instant>> timers = new ConcurrentHashMap<>();
  private final Map<ResourceID, Set<String>> reported = new ConcurrentHashMap<>();
  private final Map<ResourceID, Map<Pool, WorkerRecovery>> recent = new ConcurrentHashMap<>();
  private final Map<ResourceID, Map<String, Verdict>> verdicts = new ConcurrentHashMap<>();

  /**
   * Runs the step for {@code cr}.
   *
   * @param cr the cluster with its previous status
   * @param settings the effective {@code spec.selfHealing} (every field set)
   * @param observed every live revision's pools
   * @param act false while the spec is invalid: nothing is restarted, the status keeps its values
   * @param deregister deletes registrations of poisoned workers
   */
  Result run(
      DisaggCluster cr,
      SelfHealingSpec settings,
      List<Observed> observed,
      boolean act,
      KubernetesClient client,
      Deregister deregister,
      Instant now) {
    ResourceID id = ResourceID.fromResource(cr);
    Map<Pool, Integer> counts = new EnumMap<>(Pool.class);
    Map<Pool, WorkerRecovery> last = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      last.put(pool, latest(previous(cr, pool), recent.getOrDefault(id, Map.of()).get(pool)));
      if (!act) {
        counts.put(pool, previousCount(cr, pool));
      }
    }
    Map<Pool, List<TransferPoisoning.Poisoned>> poisoned = new EnumMap<>(Pool.class);
    if (!act) {
      return new Result(counts, last, poisoned, null);
    }
    Map<String, Verdict> known = verdicts.computeIfAbsent(id, k -> new ConcurrentHashMap<>());
    int[] reads = {0};
    BrokenWorkers.Settings knobs =
        new BrokenWorkers.Settings(
            settings.getRestartUnregisteredWorkers(),
            settings.getRestartPoisonedWorkers(),
            Duration.ofSeconds(settings.getUnregisteredTimeoutSeconds()),
            Duration.ofSeconds(settings.getMinRestartIntervalSeconds()));
    Map<String, Instant> before = timers.getOrDefault(id, Map.of());
    Map<String, Instant> after = new HashMap<>();
    Set<String> overdueNow = new HashSet<>();
    Instant next = null;
    for (Pool pool : Pool.values()) {
      List<BrokenWorkers.Worker> workers = new ArrayList<>();
      Map<String, Pod> podsByUid = new HashMap<>();
      boolean reachable = true;
      for (Observed o : observed) {
        if (o.pool() != pool || o.workers().isEmpty()) {
          continue;
        }
        reachable &= o.snapshot() != null && o.snapshot().reachable();
        List<Pod> pods = List.copyOf(o.workers().values());
        PodRegistrations.Match match =
            o.snapshot() == null
                ? null
                : PodRegistrations.match(o.snapshot().registrations(), pods);
        o.workers()
            .forEach(
                (ordinal, pod) -> {
                  String name = pod.getMetadata().getName();
                  podsByUid.put(pod.getMetadata().getUid(), pod);
                  String fault = fault(client, cr, pod, known, reads, now);
                  List<String> keys =
                      match == null
                          ? List.of()
                          : match.of(name).stream().map(r -> r.key()).toList();
                  if (fault != null && !keys.isEmpty()) {
                    deregisterPoisoned(cr, name, keys, deregister);
                  }
                  workers.add(
                      new BrokenWorkers.Worker(
                          name,
                          pod.getMetadata().getUid(),
                          PodStates.ready(pod),
                          PodStates.terminating(pod),
                          o.draining().contains(name)
                              || o.replicas() != null && ordinal >= o.replicas(),
                          !keys.isEmpty() && fault == null,
                          fault));
                });
      }
      BrokenWorkers.Decision d =
          BrokenWorkers.plan(
              new BrokenWorkers.Input(workers, reachable, before, last.get(pool), knobs, now));
      after.putAll(d.unregisteredSince());
      counts.put(pool, d.unregistered());
      if (d.nextCheck() != null && (next == null || d.nextCheck().isBefore(next))) {
        next = d.nextCheck();
      }
      List<TransferPoisoning.Poisoned> poisonedHere = new ArrayList<>();
      for (BrokenWorkers.Overdue o : d.overdue()) {
        String key = o.reason() + "/" + o.worker().uid();
        overdueNow.add(key);
        if (BrokenWorkers.POISONED.equals(o.reason())) {
          poisonedHere.add(new TransferPoisoning.Poisoned(o.worker().pod(), o.worker().fault()));
          if (reported(id).add(key)) {
            warn(client, cr, POISONED_EVENT, pool.id() + ": " + o.message());
          }
        } else if (!knobs.restartUnregistered() && reported(id).add(key)) {
          warn(
              client,
              cr,
              UNREGISTERED_EVENT,
              pool.id()
                  + ": "
                  + o.message()
                  + "; not restarted (spec.selfHealing.restartUnregisteredWorkers is false)");
        }
      }
      if (d.restart() != null) {
        WorkerRecovery done = restart(client, cr, pool, d.restart(), podsByUid, now);
        if (done != null) {
          recent.computeIfAbsent(id, k -> new ConcurrentHashMap<>()).put(pool, done);
          last.put(pool, done);
          if (BrokenWorkers.UNREGISTERED.equals(d.restart().reason())) {
            counts.put(pool, d.unregistered() - 1);
          }
        }
      }
      // A poisoned worker restarted last counts until its pod is back and Ready.
      WorkerRecovery latest = last.get(pool);
      if (latest != null
          && BrokenWorkers.POISONED.equals(latest.getReason())
          && BrokenWorkers.inProgress(workers, latest) != null
          && poisonedHere.stream().noneMatch(p -> p.pod().equals(latest.getPod()))) {
        poisonedHere.add(
            new TransferPoisoning.Poisoned(latest.getPod(), "restarting: " + latest.getMessage()));
      }
      poisoned.put(pool, poisonedHere);
      boolean suspects =
          observed.stream()
              .anyMatch(
                  o ->
                      o.pool() == pool
                          && o.workers().values().stream().anyMatch(PoisonedTransfers::suspect));
      if (suspects) {
        Instant recheck = now.plus(PoisonedTransfers.RECHECK);
        next = next == null || recheck.isBefore(next) ? recheck : next;
      }
    }
    timers.put(id, after);
    reported(id).retainAll(overdueNow);
    Set<String> present = new HashSet<>();
    observed.forEach(
        o -> o.workers().values().forEach(p -> present.add(PoisonedTransfers.episode(p))));
    known.keySet().retainAll(present);
    Duration requeue =
        next == null
            ? null
            : Duration.ofMillis(Math.max(1000, Duration.between(now, next).toMillis()));
    return new Result(counts, last, poisoned, requeue);
  }

  /** Forgets a deleted DisaggCluster. */
  void forget(DisaggCluster cr) {
    ResourceID id = ResourceID.fromResource(cr);
    timers.remove(id);
    reported.remove(id);
    recent.remove(id);
    verdicts.remove(id);
  }

  private Set<String> reported(ResourceID id) {
    return reported.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet());
  }

  /**
   * The evidence of a poisoned transfer buffer in the pod's worker log, or null. The log is read
   * only for a {@link PoisonedTransfers#suspect} pod, once per {@link PoisonedTransfers#RECHECK}
   * per process, at most {@value #LOG_READS_PER_RECONCILE} times per reconcile; a verdict of
   * poisoning holds for the process's life. A plain GET of the log subresource: Fabric8's {@code
   * getLog()} first waits for the pod to be ready through a watch, which a not ready pod never is.
   */
  private static String fault(
      KubernetesClient client,
      DisaggCluster cr,
      Pod pod,
      Map<String, Verdict> known,
      int[] reads,
      Instant now) {
    String process = PoisonedTransfers.episode(pod);
    Verdict v = known.get(process);
    if (v != null && v.evidence() != null) {
      return v.evidence();
    }
    if (!PoisonedTransfers.suspect(pod)
        || v != null && now.isBefore(v.readAt().plus(PoisonedTransfers.RECHECK))
        || reads[0] >= LOG_READS_PER_RECONCILE) {
      return null;
    }
    reads[0]++;
    String evidence = null;
    try {
      String log =
          client.raw(
              "/api/v1/namespaces/"
                  + cr.getMetadata().getNamespace()
                  + "/pods/"
                  + pod.getMetadata().getName()
                  + "/log?container="
                  + WorkerStatefulSets.CONTAINER
                  + "&tailLines="
                  + PoisonedTransfers.TAIL_LINES
                  + "&limitBytes="
                  + PoisonedTransfers.LIMIT_BYTES);
      evidence = PoisonedTransfers.evidence(log).orElse(null);
    } catch (KubernetesClientException e) {
      LOG.debugf(
          "%s/%s: could not read the log of %s: %s",
          cr.getMetadata().getNamespace(),
          cr.getMetadata().getName(),
          pod.getMetadata().getName(),
          e.getMessage());
    }
    known.put(process, new Verdict(evidence, now));
    return evidence;
  }

  /** Deletes a poisoned worker's registrations, so the router stops picking it. */
  private static void deregisterPoisoned(
      DisaggCluster cr, String pod, List<String> keys, Deregister deregister) {
    try {
      deregister.keys(keys);
      LOG.infof(
          "%s/%s: deregistered %s of %s (poisoned transfer buffer)",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), keys, pod);
    } catch (Exception e) {
      LOG.warnf(
          "%s/%s: deregistering %s failed, will retry: %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), keys, e.getMessage());
    }
  }

  /** Deletes the pod (graceful, only the version observed); the recovery done, or null. */
  private static WorkerRecovery restart(
      KubernetesClient client,
      DisaggCluster cr,
      Pool pool,
      BrokenWorkers.Overdue o,
      Map<String, Pod> podsByUid,
      Instant now) {
    Pod pod = podsByUid.get(o.worker().uid());
    String message = o.message() + "; restarting it";
    warn(
        client,
        cr,
        BrokenWorkers.POISONED.equals(o.reason())
            ? RESTART_POISONED_EVENT
            : RESTART_UNREGISTERED_EVENT,
        pool.id() + ": " + message);
    try {
      client
          .pods()
          .inNamespace(cr.getMetadata().getNamespace())
          .withName(o.worker().pod())
          .lockResourceVersion(pod.getMetadata().getResourceVersion())
          .delete();
    } catch (KubernetesClientException e) {
      LOG.warnf(
          "%s/%s: could not delete pod %s (will look again): %s",
          cr.getMetadata().getNamespace(),
          cr.getMetadata().getName(),
          o.worker().pod(),
          e.getMessage());
      return null;
    }
    return new WorkerRecovery(
        o.worker().pod(),
        o.worker().uid(),
        o.reason(),
        now.truncatedTo(ChronoUnit.SECONDS).toString(),
        message);
  }

  private static void warn(KubernetesClient client, DisaggCluster cr, String reason, String m) {
    LOG.warnf(
        "%s/%s %s: %s", cr.getMetadata().getNamespace(), cr.getMetadata().getName(), reason, m);
    EventRecorder.warning(client, cr, reason, m);
  }

  private static WorkerRecovery previous(DisaggCluster cr, Pool pool) {
    PoolStatus ps = cr.getStatus() == null ? null : cr.getStatus().pool(pool);
    return ps == null ? null : ps.getLastRecovery();
  }

  private static Integer previousCount(DisaggCluster cr, Pool pool) {
    PoolStatus ps = cr.getStatus() == null ? null : cr.getStatus().pool(pool);
    return ps == null ? null : ps.getUnregisteredReadyWorkers();
  }

  /** The later of two recoveries by time (RFC 3339 strings of whole seconds compare in order). */
  private static WorkerRecovery latest(WorkerRecovery a, WorkerRecovery b) {
    if (a == null || a.getTime() == null) {
      return b;
    }
    if (b == null || b.getTime() == null) {
      return a;
    }
    return b.getTime().compareTo(a.getTime()) >= 0 ? b : a;
  }
}
