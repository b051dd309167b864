package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.KvTransferCheckSpec;
import io.disagg.operator.api.v1alpha1.KvTransferStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.PerfMetricsClient;
import io.disagg.operator.model.PodStates;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.status.Reason;
import io.disagg.operator.transfer.BandwidthWindow;
import io.disagg.operator.transfer.KvTransferHealth;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The reconciler's KV-transfer step (docs/kv-transfer-health.md): while {@code
 * spec.fabric.kvTransferCheck} is on, reads every ready generation worker of the serving revision's
 * {@code GET /perf_metrics} ({@link PerfMetricsClient}) at most every {@code intervalSeconds},
 * keeps the transfers of the last {@code windowSeconds} ({@link BandwidthWindow}, in memory), and
 * writes {@code status.generation.kvTransfer} and the condition {@code KVTransferHealthy} from
 * {@link KvTransferHealth#judge} (pure). A Warning Event {@code SlowTransfer} is recorded when the
 * condition turns False, a Normal {@code KVTransferRecovered} when it turns True again.
 *
 * <p>Status churn: a change of the judgement (the condition's status or reason) is written at once;
 * new numbers with the same judgement at most every {@link #REFRESH}; the bandwidth is rounded to
 * two significant digits. A reconcile between two reads changes nothing.
 *
 * <p>Operator restart: the window lives in memory only. Until the step has read the pool for a full
 * window, too few transfers keep the judgement of the status instead of turning it Unknown.
 */
final class KvTransferStep {
  private static final Logger LOG = Logger.getLogger(KvTransferStep.class);

  /** Longest time new numbers of an unchanged judgement stay unwritten. */
  static final Duration REFRESH = Duration.ofSeconds(60);

  /** Event reason when the bandwidth falls below the floor (the condition's reason). */
  static final String SLOW_EVENT = Reason.SLOW_TRANSFER.reason();

  /** Event reason when it is back at the floor. */
  static final String RECOVERED_EVENT = "KVTransferRecovered";

  private static final class Memory {
    final BandwidthWindow window = new BandwidthWindow();
    Instant since;
    Instant lastRead;
    Instant writtenAt;
  }

  private final PerfMetricsClient client;
  private final Map<ResourceID, Memory> memory = new ConcurrentHashMap<>();

  KvTransferStep(PerfMetricsClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Forgets a deleted DisaggCluster. */
  void forget(DisaggCluster cr) {
    memory.remove(ResourceID.fromResource(cr));
  }

  /**
   * Runs the step: sets {@code status.generation.kvTransfer} and the condition in {@code status}
   * (computed for this reconcile, its conditions carried over from {@code cr}'s), records the
   * Events of a transition.
   *
   * @param cr the cluster with its previous status
   * @param spec the effective spec ({@code spec.fabric.kvTransferCheck} with every field set)
   * @param generationWorkers the serving revision's generation worker pods by ordinal
   * @param act false while the spec is invalid: nothing is read, the status keeps its values
   * @return when to read next, null when the check is off or not acting
   */
  Duration run(
      DisaggCluster cr,
      DisaggCluster spec,
      Map<Integer, Pod> generationWorkers,
      boolean act,
      DisaggClusterStatus status,
      KubernetesClient k8s,
      Instant now) {
    ResourceID id = ResourceID.fromResource(cr);
    KvTransferCheckSpec check = spec.getSpec().getFabric().getKvTransferCheck();
    DisaggClusterStatus previous = cr.getStatus();
    KvTransferStatus persisted = previous == null ? null : previous.getGeneration().getKvTransfer();
    List<Condition> before = previous == null ? List.of() : previous.getConditions();
    Optional<Condition> prevCondition = Conditions.find(before, ConditionType.KV_TRANSFER_HEALTHY);
    Long generation = cr.getMetadata().getGeneration();
    if (!Boolean.TRUE.equals(check.getEnabled())) {
      memory.remove(id);
      status.getGeneration().setKvTransfer(null);
      status.setConditions(
          Conditions.without(status.getConditions(), ConditionType.KV_TRANSFER_HEALTHY));
      return null;
    }
    if (!act) {
      status.getGeneration().setKvTransfer(persisted);
      return null;
    }
    Memory m = memory.computeIfAbsent(id, k -> new Memory());
    Duration interval = Duration.ofSeconds(check.getIntervalSeconds());
    if (m.lastRead == null || !now.isBefore(m.lastRead.plus(interval))) {
      read(cr, spec, generationWorkers, m, now);
    }
    Duration windowLength = Duration.ofSeconds(check.getWindowSeconds());
    BandwidthWindow.Summary summary = m.window.summary(now, windowLength);
    long floor = bytesPerSecond(check.getMinBandwidth());
    KvTransferHealth.Verdict v =
        KvTransferHealth.judge(
            new KvTransferHealth.Input(
                Pool.GENERATION.id(),
                summary,
                windowLength,
                Duration.between(m.since, now),
                floor,
                check.getMinSamples()));
    Duration next = Duration.between(now, m.lastRead.plus(interval));
    next = next.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : next;

    KvTransferHealth.State state = v.state();
    if (state == KvTransferHealth.State.KEEP) {
      if (persisted != null && prevCondition.isPresent()) {
        keep(status, persisted, generation);
        return next;
      }
      state = KvTransferHealth.State.NO_SAMPLES; // nothing to keep: say so
    }
    Reason reason = reason(state);
    boolean judgementChanged =
        prevCondition.isEmpty() || !Conditions.hasReason(prevCondition.get(), reason);
    boolean refresh = m.writtenAt == null || !now.isBefore(m.writtenAt.plus(REFRESH));
    if (!judgementChanged && persisted != null && !refresh) {
      keep(status, persisted, generation);
      return next;
    }
    KvTransferStatus latest = new KvTransferStatus();
    latest.setBytesPerSecond(v.bytesPerSecond());
    latest.setMinBytesPerSecond(floor);
    latest.setSamples(summary.transfers());
    latest.setWindowSeconds(check.getWindowSeconds());
    latest.setLastSampleTime(
        summary.lastSample() == null
            ? null
            : summary.lastSample().truncatedTo(ChronoUnit.SECONDS).toString());
    status.getGeneration().setKvTransfer(latest);
    List<Condition> c = status.getConditions();
    status.setConditions(
        switch (state) {
          case HEALTHY ->
              Conditions.set(
                  c, ConditionType.KV_TRANSFER_HEALTHY, true, reason, v.message(), generation, now);
          case SLOW ->
              Conditions.set(
                  c,
                  ConditionType.KV_TRANSFER_HEALTHY,
                  false,
                  reason,
                  v.message(),
                  generation,
                  now);
          default ->
              Conditions.setUnknown(
                  c, ConditionType.KV_TRANSFER_HEALTHY, reason, v.message(), generation, now);
        });
    m.writtenAt = now;
    if (judgementChanged) {
      report(cr, k8s, prevCondition, state, v.message());
    }
    return next;
  }

  /** Reads every ready generation worker once and adds what they returned to the window. */
  private void read(
      DisaggCluster cr, DisaggCluster spec, Map<Integer, Pod> workers, Memory m, Instant now) {
    int port = spec.getSpec().getGeneration().getPort();
    int transfers = 0;
    long bytes = 0;
    double seconds = 0;
    for (Pod pod : workers.values()) {
      String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      if (!PodStates.ready(pod) || PodStates.terminating(pod) || ip == null || ip.isBlank()) {
        continue;
      }
      Optional<PerfMetricsClient.Read> r = client.read(ip, port);
      if (r.isEmpty()) {
        LOG.debugf(
            "%s/%s: could not read %s of %s",
            cr.getMetadata().getNamespace(),
            cr.getMetadata().getName(),
            PerfMetricsClient.PATH,
            pod.getMetadata().getName());
        continue;
      }
      for (PerfMetricsClient.KvTransfer t : r.get().transfers()) {
        transfers++;
        bytes += t.bytes();
        seconds += t.seconds();
      }
    }
    m.window.add(now, transfers, bytes, seconds);
    m.lastRead = now;
    if (m.since == null) {
      m.since = now;
    }
  }

  /** Writes the previous numbers and condition again (the latter for this generation). */
  private static void keep(DisaggClusterStatus status, KvTransferStatus persisted, Long gen) {
    status.getGeneration().setKvTransfer(persisted);
    status.setConditions(
        Conditions.reobserved(status.getConditions(), ConditionType.KV_TRANSFER_HEALTHY, gen));
  }

  private static Reason reason(KvTransferHealth.State state) {
    return switch (state) {
      case HEALTHY -> Reason.AS_EXPECTED;
      case SLOW -> Reason.SLOW_TRANSFER;
      default -> Reason.NO_SAMPLES;
    };
  }

  private static void report(
      DisaggCluster cr,
      KubernetesClient k8s,
      Optional<Condition> before,
      KvTransferHealth.State state,
      String message) {
    if (state == KvTransferHealth.State.SLOW) {
      LOG.warnf(
          "%s/%s %s: %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), SLOW_EVENT, message);
      EventRecorder.warning(k8s, cr, SLOW_EVENT, message);
    } else if (state == KvTransferHealth.State.HEALTHY
        && before.map(c -> Conditions.hasReason(c, Reason.SLOW_TRANSFER)).orElse(false)) {
      EventRecorder.normal(k8s, cr, RECOVERED_EVENT, message);
    }
  }

  /** A quantity of bytes per second as a whole number (fractions rounded down, at least 1). */
  static long bytesPerSecond(Quantity q) {
    return Math.max(1, Quantity.getAmountInBytes(q).longValue());
  }
}
