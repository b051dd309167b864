package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.DrainedPod;
import io.disagg.operator.api.v1alpha1.MetricsSource;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.ReplicaRecommendation;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.PrometheusQueryClient;
import io.disagg.operator.metrics.PrometheusQueryResult;
import io.disagg.operator.metrics.RouterLoad;
import io.disagg.operator.metrics.RouterMetricsClient;
import io.disagg.operator.metrics.WorkerMetricsClient;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.PodStates;
import io.disagg.operator.scaling.Autoscaler;
import io.disagg.operator.scaling.AutoscalingMetrics;
import io.disagg.operator.scaling.ClusterPolicy;
import io.disagg.operator.scaling.MetricTarget;
import io.disagg.operator.scaling.PoolPolicy;
import io.disagg.operator.scaling.PoolState;
import io.disagg.operator.scaling.Replicas;
import io.disagg.operator.scaling.Sample;
import io.disagg.operator.scaling.UnschedulablePods;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The reconciler's autoscaling step: every {@code evaluationIntervalSeconds}, reads the load of
 * each autoscaled pool from its source, asks {@link Autoscaler} for the targets and decides what of
 * the decision goes into the status. The I/O is here, one client per source; the decision is {@link
 * Autoscaler}'s (pure).
 *
 * <p>Sources: {@code Pods} scrapes every ready worker ({@link WorkerMetricsClient}); {@code Router}
 * scrapes every ready router pod and sums their in-flight counters ({@link RouterMetricsClient},
 * all replicas or nothing: a partial sum would understate the load); {@code Prometheus} runs the
 * metric's query ({@link PrometheusQueryClient}), whose result is the per-instance average over the
 * pool's ready instances. A source that cannot be read gives no sample, which never lowers a pool;
 * why is appended to the status message.
 *
 * <p>When: a cluster is evaluated at most once per the shortest interval of its autoscaled pools.
 * The time of the last evaluation is kept in memory and in {@code status.<pool>.autoscaling
 * .lastEvaluationTime}, written with the status writes that happen anyway (see below); a restarted
 * operator waits for the rest of the interval after it instead of evaluating at once. Decisions
 * that changed something are always written at once, so the interval after a scale-up or scale-down
 * survives a restart exactly; after a quiet evaluation that was not written yet, a restarted
 * operator may evaluate up to one interval early, which changes nothing the previous evaluation
 * would not have.
 *
 * <p>Status churn: an evaluation whose only news is the observed load (averages, message,
 * timestamps of unchanged recommendations) is kept in memory and written at most every {@link
 * #REFRESH}, so a steady cluster costs one status write per minute instead of one per interval.
 * Everything the decision depends on (target, limits, recommendation values, scale events,
 * unschedulable pods) is written at once. After an operator restart the scaler continues from the
 * status: at worst its recommendations are up to {@link #REFRESH} older than they were, which can
 * end a scale-down window that much earlier (the decrease is still drained).
 */
final class AutoscalingStep {

  /** Longest time an evaluation with only new load readings stays unwritten. */
  static final Duration REFRESH = Duration.ofSeconds(60);

  /**
   * The revision whose pools the step reads: the serving one ({@link
   * io.disagg.operator.rollout.RolloutPlanner#serving}), whose target the autoscaler decides.
   *
   * @param statefulSets its worker StatefulSets' names, by pool (a pod counts when it is {@code
   *     <name>-<ordinal>} of its pool's)
   * @param pods its pods, workers and routers (another revision's load is not this one's)
   * @param drains its drains in progress, by pool (a pod being drained is not a pool member any
   *     more)
   */
  record Scaled(Map<Pool, String> statefulSets, List<Pod> pods, Map<Pool, DrainStatus> drains) {
    Scaled {
      statefulSets = Map.copyOf(statefulSets);
      pods = List.copyOf(pods);
      drains = Map.copyOf(drains);
    }

    String statefulSet(Pool pool) {
      String name = statefulSets.get(pool);
      if (name == null) {
        throw new IllegalStateException("no " + pool.id() + " StatefulSet name for autoscaling");
      }
      return name;
    }
  }

  /** What the step decided for one reconcile. */
  record Result(
      Map<Pool, Integer> targets,
      Map<Pool, PoolAutoscalingStatus> statuses,
      List<Autoscaler.PoolDecision> changes,
      Duration requeueAfter) {}

  /**
   * What the operator remembers between reconciles of one cluster (lost on restart: then the status
   * is used).
   */
  private record Memory(
      Instant evaluatedAt,
      Map<Pool, PoolAutoscalingStatus> latest,
      Instant writtenAt,
      Map<Pool, String> sourceProblems) {}

  private static final Logger LOG = Logger.getLogger(AutoscalingStep.class);
  private final Clock clock;
  private final WorkerMetricsClient metrics;
  private final RouterMetricsClient routerMetrics;
  private final PrometheusQueryClient prometheus;
  private final AutoscalingMetrics meters;
  private final Map<String, Memory> memory = new ConcurrentHashMap<>();

  /**
   * Clusters deleted in the last {@link #FORGOTTEN_FOR}, by UID, and when: a reconcile that was
   * already running when the delete event arrived must not put their memory and meters back.
   */
  private final Map<String, Instant> forgotten = new ConcurrentHashMap<>();

  /** How long a deleted cluster's UID is remembered (far longer than any reconcile takes). */
  static final Duration FORGOTTEN_FOR = Duration.ofMinutes(10);

  AutoscalingStep(
      Clock clock,
      WorkerMetricsClient metrics,
      RouterMetricsClient routerMetrics,
      PrometheusQueryClient prometheus,
      AutoscalingMetrics meters) {
    this.clock = clock;
    this.metrics = metrics;
    this.routerMetrics = routerMetrics;
    this.prometheus = prometheus;
    this.meters = meters;
  }

  /** Forgets a deleted cluster: its memory and its operator metrics. */
  void forget(DisaggCluster cr) {
    Instant now = clock.instant();
    forgotten.values().removeIf(t -> t.isBefore(now.minus(FORGOTTEN_FOR)));
    forgotten.put(id(cr), now);
    memory.remove(id(cr));
    meters.remove(cr.getMetadata().getNamespace(), cr.getMetadata().getName());
  }

  private static String id(DisaggCluster cr) {
    return cr.getMetadata().getUid() != null
        ? cr.getMetadata().getUid()
        : ResourceID.fromResource(cr).toString();
  }

  static boolean enabled(DisaggCluster cr, Pool pool) {
    PoolSpec spec = cr.getSpec().pool(pool);
    return spec.getAutoscaling() != null && spec.getAutoscaling().isEnabled();
  }

  /**
   * Runs the step.
   *
   * @param scaled the revision whose pools are read (the serving one)
   * @param evaluate whether a new evaluation may happen (false while the spec is invalid)
   */
  Result run(DisaggCluster cr, Scaled scaled, boolean evaluate) {
    // By UID: a cluster deleted and created again under the same name starts from its (empty)
    // status.
    String id = id(cr);
    Map<Pool, PoolAutoscalingStatus> persisted = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      PoolAutoscalingStatus s =
          cr.getStatus() == null ? null : cr.getStatus().pool(pool).getAutoscaling();
      if (s != null && enabled(cr, pool)) {
        persisted.put(pool, s);
      }
    }
    boolean any = false;
    Duration interval = null;
    for (Pool pool : Pool.values()) {
      if (!enabled(cr, pool)) {
        continue;
      }
      any = true;
      PoolPolicy p = PoolPolicy.of(pool, cr.getSpec().pool(pool));
      interval =
          interval == null || p.evaluationInterval().compareTo(interval) < 0
              ? p.evaluationInterval()
              : interval;
    }
    Memory mem = memory.get(id);
    if (mem != null) {
      // Autoscaling turned off for a pool: its gauges would otherwise keep their last value.
      for (Pool pool : Pool.values()) {
        if (!enabled(cr, pool) && mem.latest().containsKey(pool)) {
          meters.removePool(cr.getMetadata().getNamespace(), cr.getMetadata().getName(), pool);
        }
      }
    }
    if (!any) {
      memory.remove(id);
      Map<Pool, Integer> targets = new EnumMap<>(Pool.class);
      for (Pool pool : Pool.values()) {
        targets.put(pool, Replicas.target(cr, pool, null));
      }
      return new Result(targets, Map.of(), List.of(), null);
    }
    Map<Pool, PoolAutoscalingStatus> latest = new EnumMap<>(Pool.class);
    latest.putAll(persisted);
    if (mem != null) {
      // This process's own last decision wins over the status read now: the informer cache may
      // not show our last status patch yet, and going back to it would undo (and re-announce) a
      // decision. The status is what a restarted operator continues from.
      for (Pool pool : Pool.values()) {
        if (enabled(cr, pool) && mem.latest().get(pool) != null) {
          latest.put(pool, mem.latest().get(pool));
        }
      }
    }
    Instant now = clock.instant();
    Instant evaluatedAt = lastEvaluation(mem, latest, now);
    List<Autoscaler.PoolDecision> changes = new ArrayList<>();
    Map<Pool, String> sourceProblems = mem == null ? Map.of() : mem.sourceProblems();
    Duration requeue = interval;
    if (evaluate && (evaluatedAt == null || !now.isBefore(evaluatedAt.plus(interval)))) {
      Reading reading = new Reading(cr, scaled.pods());
      Map<Pool, String> problemsNow = new EnumMap<>(Pool.class);
      Autoscaler.Decision d =
          new Autoscaler(clock)
              .decide(
                  new Autoscaler.Input(
                      input(cr, Pool.CONTEXT, scaled, latest, now, reading),
                      input(cr, Pool.GENERATION, scaled, latest, now, reading),
                      ClusterPolicy.of(cr.getSpec())));
      for (Pool pool : Pool.values()) {
        Autoscaler.PoolDecision pd = d.of(pool);
        if (!pd.enabled()) {
          continue;
        }
        PoolAutoscalingStatus st = pd.toStatus();
        st.setLastEvaluationTime(now.truncatedTo(ChronoUnit.SECONDS).toString());
        List<String> notes = reading.notes.get(pool);
        if (notes != null && !notes.isEmpty()) {
          String text = String.join("; ", notes);
          st.setMessage(st.getMessage() + "; " + text);
          problemsNow.put(pool, text);
          // Logged when it starts or changes, not every interval while it lasts (the status shows
          // it).
          if (!text.equals(sourceProblems.get(pool))) {
            LOG.infof(
                "%s/%s %s autoscaling: %s",
                cr.getMetadata().getNamespace(), cr.getMetadata().getName(), pool.id(), text);
          }
        } else if (sourceProblems.containsKey(pool)) {
          LOG.infof(
              "%s/%s %s autoscaling: the load source is read again",
              cr.getMetadata().getNamespace(), cr.getMetadata().getName(), pool.id());
        }
        latest.put(pool, st);
        LOG.debugf(
            "%s/%s autoscaling: %s",
            cr.getMetadata().getNamespace(), cr.getMetadata().getName(), pd.reason());
        meters.record(cr.getMetadata().getNamespace(), cr.getMetadata().getName(), pd);
        if (pd.changed()) {
          changes.add(pd);
        }
      }
      evaluatedAt = now;
      sourceProblems = problemsNow;
    } else if (evaluatedAt != null) {
      Duration left = Duration.between(now, evaluatedAt.plus(interval));
      requeue = left.isNegative() || left.isZero() ? Duration.ofMillis(100) : left;
    }

    // What goes into the status: the latest decision when it differs in substance or the written
    // one is old.
    Map<Pool, PoolAutoscalingStatus> write = new EnumMap<>(Pool.class);
    boolean refresh =
        mem == null || mem.writtenAt() == null || !now.isBefore(mem.writtenAt().plus(REFRESH));
    boolean wrote = false;
    for (Pool pool : Pool.values()) {
      if (!enabled(cr, pool)) {
        continue;
      }
      PoolAutoscalingStatus l = latest.get(pool);
      PoolAutoscalingStatus p = persisted.get(pool);
      if (l != null && (p == null || refresh || !substance(l).equals(substance(p)))) {
        write.put(pool, l);
        wrote |= l != p;
      } else if (p != null) {
        write.put(pool, p);
      }
    }
    memory.put(
        id,
        new Memory(
            evaluatedAt, latest, wrote || mem == null ? now : mem.writtenAt(), sourceProblems));
    if (forgotten.containsKey(id)) {
      // Deleted while this ran: forget() may have cleaned up before the lines above wrote again.
      memory.remove(id);
      meters.remove(cr.getMetadata().getNamespace(), cr.getMetadata().getName());
    }
    Map<Pool, Integer> targets = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      targets.put(pool, Replicas.target(cr, pool, latest.get(pool)));
    }
    return new Result(targets, write, changes, requeue);
  }

  /**
   * When the cluster was last evaluated: this process's memory or the status (a restarted operator,
   * or another replica that led meanwhile), whichever is later; never after {@code now} (a clock
   * that jumped back must not stop evaluations); null when never.
   */
  private static Instant lastEvaluation(
      Memory mem, Map<Pool, PoolAutoscalingStatus> latest, Instant now) {
    Instant t = mem == null ? null : mem.evaluatedAt();
    for (PoolAutoscalingStatus s : latest.values()) {
      Instant p = PoolState.parseTime(s == null ? null : s.getLastEvaluationTime());
      if (p != null && (t == null || p.isAfter(t))) {
        t = p;
      }
    }
    return t == null || !t.isAfter(now) ? t : now;
  }

  /**
   * What one evaluation read from the sources: the router's load (read once for both pools) and
   * problems per pool.
   */
  private final class Reading {
    private final DisaggCluster cr;
    private final List<Pod> pods;
    private final Map<Pool, List<String>> notes = new EnumMap<>(Pool.class);
    private Optional<RouterLoad> router;
    private String routerProblem;

    Reading(DisaggCluster cr, List<Pod> pods) {
      this.cr = cr;
      this.pods = pods;
    }

    void note(Pool pool, String text) {
      notes.computeIfAbsent(pool, k -> new ArrayList<>()).add(text);
    }

    /**
     * The summed load of all ready router pods; empty (and a note) when any of them cannot be read.
     */
    Optional<RouterLoad> router(Pool pool) {
      if (router == null) {
        int port = cr.getSpec().getRouter().getPort();
        List<RouterLoad> loads = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Pod pod : pods) {
          Map<String, String> l = pod.getMetadata().getLabels();
          if (l == null
              || !Labels.ROUTER_COMPONENT.equals(l.get(Labels.COMPONENT))
              || !cr.getMetadata().getName().equals(l.get(Labels.INSTANCE))
              || pod.getMetadata().getDeletionTimestamp() != null
              || !PodStates.ready(pod)
              || pod.getStatus().getPodIP() == null
              || pod.getStatus().getPodIP().isBlank()) {
            continue;
          }
          Optional<RouterLoad> one = routerMetrics.load(pod.getStatus().getPodIP(), port);
          if (one.isPresent()) {
            loads.add(one.get());
          } else {
            failed.add(pod.getMetadata().getName());
          }
        }
        if (!failed.isEmpty()) {
          routerProblem =
              "router " + failed + " " + RouterMetricsClient.PATH + " could not be read";
          router = Optional.empty();
        } else if (loads.isEmpty()) {
          routerProblem = "no ready router pod to read the load from";
          router = Optional.empty();
        } else {
          router = Optional.of(RouterLoad.sum(loads));
        }
      }
      if (router.isEmpty()) {
        note(pool, "source Router: " + routerProblem);
      } else if ((pool == Pool.CONTEXT
              ? router.get().contextInFlight()
              : router.get().generationInFlight())
          == null) {
        note(
            pool,
            "source Router: the router does not export "
                + (pool == Pool.CONTEXT
                    ? RouterLoad.CTX_TOTAL + " and " + RouterLoad.CTX_COMPLETED
                    : RouterLoad.GEN_TOTAL + " and " + RouterLoad.GEN_COMPLETED)
                + " (older TensorRT-LLM?)");
      }
      return router;
    }
  }

  /**
   * The fields a decision depends on (not the observed load, the message or when an unchanged
   * recommendation was seen).
   */
  private static List<Object> substance(PoolAutoscalingStatus s) {
    List<Integer> recs = new ArrayList<>();
    for (ReplicaRecommendation r :
        s.getRecommendations() == null
            ? List.<ReplicaRecommendation>of()
            : s.getRecommendations()) {
      recs.add(r.getReplicas());
    }
    List<String> events = new ArrayList<>();
    if (s.getScaleEvents() != null) {
      s.getScaleEvents()
          .forEach(
              e -> events.add(e.getTime() + ":" + e.getFromReplicas() + "->" + e.getToReplicas()));
    }
    return java.util.Arrays.asList(
        s.getDesiredReplicas(),
        s.getLimitedBy(),
        s.getUnschedulable(),
        s.getLastScaleTime(),
        s.getLastScaleReason(),
        s.getRecommendationsSince(),
        recs,
        events);
  }

  private Autoscaler.PoolInput input(
      DisaggCluster cr,
      Pool pool,
      Scaled scaled,
      Map<Pool, PoolAutoscalingStatus> latest,
      Instant now,
      Reading reading) {
    PoolSpec spec = cr.getSpec().pool(pool);
    PoolPolicy policy = PoolPolicy.of(pool, spec);
    PoolAutoscalingStatus last = latest.get(pool);
    int current = Replicas.target(cr, pool, last);
    int gpus = Math.max(1, spec.gpusPerInstance());
    if (!policy.enabled()) {
      return new Autoscaler.PoolInput(
          policy, current, 0, 0, null, gpus, List.of(), PoolState.EMPTY);
    }
    String prefix = scaled.statefulSet(pool) + "-";
    Set<String> draining = new HashSet<>();
    DrainStatus drain = scaled.drains().get(pool);
    if (drain != null && drain.getPods() != null) {
      for (DrainedPod dp : drain.getPods()) {
        draining.add(dp.getName());
      }
    }
    List<Pod> mine = new ArrayList<>();
    for (Pod pod : scaled.pods()) {
      String name = pod.getMetadata().getName();
      Integer ordinal = ordinal(name, prefix);
      if (ordinal != null
          && ordinal < current
          && !draining.contains(name)
          && pod.getMetadata().getDeletionTimestamp() == null) {
        mine.add(pod);
      }
    }
    UnschedulablePods unschedulable = UnschedulablePods.of(mine);
    int ready = 0;
    List<Sample> samples = new ArrayList<>();
    for (Pod pod : mine) {
      if (!PodStates.ready(pod)) {
        continue;
      }
      ready++;
      if (policy.source() == MetricsSource.Pods
          && pod.getStatus().getPodIP() != null
          && !pod.getStatus().getPodIP().isBlank()) {
        metrics
            .load(pod.getStatus().getPodIP(), spec.getPort())
            .ifPresent(load -> samples.addAll(Sample.fromWorker(load, clock.instant())));
      }
    }
    PoolState state = PoolState.from(last);
    if (policy.source() == MetricsSource.Router) {
      Optional<RouterLoad> load = reading.router(pool);
      if (load.isPresent()) {
        samples.addAll(Sample.fromRouter(load.get(), pool, ready, now));
      }
    } else if (policy.source() == MetricsSource.Prometheus && ready > 0) {
      for (MetricTarget m : policy.metrics()) {
        if (m.query() == null || policy.prometheusUrl() == null) {
          continue; // reported by the spec validation
        }
        PrometheusQueryResult r = prometheus.query(policy.prometheusUrl(), m.query());
        if (r.ok()) {
          samples.addAll(Sample.perInstance(m.type(), r.value(), ready, now));
        } else {
          reading.note(pool, "source Prometheus, " + m.type() + ": " + r.error());
        }
      }
    }
    return new Autoscaler.PoolInput(
        policy,
        current,
        ready,
        unschedulable.count(),
        unschedulable.message(),
        gpus,
        samples,
        state);
  }

  private static Integer ordinal(String name, String prefix) {
    if (!name.startsWith(prefix)) {
      return null;
    }
    try {
      return Integer.parseInt(name.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
