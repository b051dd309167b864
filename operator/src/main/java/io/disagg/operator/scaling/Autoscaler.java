package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.AutoscalingLimit;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.MetricLoadStatus;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.scaling.PoolState.Change;
import io.disagg.operator.scaling.PoolState.Recommendation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Decides how many instances each pool should run: the "decision" half of autoscaling. Pure apart
 * from the injected {@link Clock}: everything it remembers between evaluations is in the {@link
 * PoolState} passed in and returned, so the reconciler can keep it in the status and an operator
 * restart loses nothing. It decides only the target; a decrease is then executed safely by {@link
 * io.disagg.operator.scaling.DrainPlanner}.
 *
 * <p>Per pool, in this order:
 *
 * <ol>
 *   <li><b>Per metric</b>, as the HorizontalPodAutoscaler does for {@code AverageValue} targets:
 *       {@code desired = ceil(instances * average / target)}, no change while {@code |average /
 *       target - 1| <= tolerance}. Only samples newer than {@value #STALE_AFTER_INTERVALS}
 *       evaluation intervals count. Instances without a fresh sample are treated as HPA treats
 *       missing pods: as idle when that would confirm a scale-up, at the target when that would
 *       confirm a scale-down; if the direction then flips or falls within the tolerance, the pool
 *       is held. Instances still starting are treated the same way.
 *   <li><b>Across metrics</b> the largest count wins. When any metric has no fresh sample at all,
 *       the pool is never lowered (missing or stale metrics never cause a scale-down); when no
 *       metric has one, it is held.
 *   <li>Clamped to {@code [minimalInstances, maxInstances]}.
 *   <li><b>Unschedulable</b>: while pods of the pool are Pending as Unschedulable, the pool is not
 *       grown (no piling up of Pending pods); they are kept as long as the load still needs them (a
 *       cluster autoscaler may be adding nodes for them) and released at once, without
 *       stabilization or step limits, as soon as the load no longer does.
 *   <li><b>Stabilization</b> (HPA's algorithm): scale-down goes to the highest recommendation of
 *       the scale-down window, scale-up to the lowest of the scale-up window. Before a full
 *       scale-down window of history exists (first evaluation, history lost), nothing is lowered.
 *   <li><b>Step limits</b> per period, relative to the count at the start of the period.
 * </ol>
 *
 * Then across both pools: the context:generation <b>ratio</b> bounds (the lagging pool is raised,
 * up to its {@code maxInstances}; when that is not enough, the leading pool is lowered), then the
 * <b>GPU budget</b> (see {@link #decide}).
 */
public final class Autoscaler {

  /** Samples older than this many evaluation intervals count as missing. */
  public static final int STALE_AFTER_INTERVALS = 3;

  private static final double EPS = 1e-9;
  private final Clock clock;

  /**
   * @param clock source of "now": evaluation time, sample staleness, windows and periods
   */
  public Autoscaler(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * What the reconciler observed for one pool.
   *
   * @param policy the pool's resolved settings ({@link PoolPolicy#of})
   * @param currentReplicas the pool's current target in instances: the count the autoscaler (or the
   *     spec) decided last, i.e. the StatefulSet's replicas except while a drain holds them; for a
   *     pool without autoscaling, its desired count from the spec
   * @param readyReplicas ready pods among those {@code currentReplicas} (not counting pods being
   *     drained)
   * @param unschedulablePods pods of the pool Pending with condition PodScheduled=False, reason
   *     Unschedulable
   * @param unschedulableMessage the scheduler's message of one of them, or null
   * @param gpusPerInstance GPUs one instance uses (tensorParallelSize * pipelineParallelSize), at
   *     least 1
   * @param samples fresh and old samples of the pool's serving instances (old ones are ignored)
   * @param state what the previous decision returned ({@link PoolState#EMPTY} the first time)
   */
  public record PoolInput(
      PoolPolicy policy,
      int currentReplicas,
      int readyReplicas,
      int unschedulablePods,
      String unschedulableMessage,
      int gpusPerInstance,
      List<Sample> samples,
      PoolState state) {
    public PoolInput {
      Objects.requireNonNull(policy, "policy");
      if (currentReplicas < 0 || readyReplicas < 0 || unschedulablePods < 0) {
        throw new IllegalArgumentException("replica counts must not be negative");
      }
      if (gpusPerInstance < 1) {
        throw new IllegalArgumentException(
            "gpusPerInstance must be at least 1, is " + gpusPerInstance);
      }
      samples = List.copyOf(samples == null ? List.of() : samples);
      state = state == null ? PoolState.EMPTY : state;
    }
  }

  /**
   * Everything one evaluation needs.
   *
   * @param context the context pool
   * @param generation the generation pool
   * @param cluster GPU budget and ratio bounds ({@link ClusterPolicy#NONE} for none)
   */
  public record Input(PoolInput context, PoolInput generation, ClusterPolicy cluster) {
    public Input {
      Objects.requireNonNull(context, "context");
      Objects.requireNonNull(generation, "generation");
      cluster = cluster == null ? ClusterPolicy.NONE : cluster;
    }
  }

  /**
   * One metric at this evaluation.
   *
   * @param type the metric
   * @param average per-instance average over the fresh samples (requests per instance, or a
   *     fraction 0..1 for KvCacheUtilization); null when there was no fresh sample
   * @param target per-instance target, same unit
   * @param instances instances covered by fresh samples
   * @param desiredReplicas instances this metric alone asks for; null without a fresh sample
   */
  public record MetricReading(
      AutoscalingMetricType type,
      Double average,
      double target,
      int instances,
      Integer desiredReplicas) {}

  /**
   * The decision for one pool.
   *
   * @param pool the pool
   * @param enabled whether the pool is autoscaled (when false, {@code replicas == currentReplicas})
   * @param replicas the target to apply, in instances
   * @param currentReplicas the target before this decision
   * @param recommendedReplicas what the load alone asks for, before any bound or limit
   * @param limitedBy what kept {@code replicas} from following the load; empty when nothing did
   * @param reason human-readable explanation with the numbers, for the status, an Event and the log
   * @param observed per-metric readings
   * @param unschedulable "N pod(s) Unschedulable: message" while pods are unschedulable, else null
   * @param state the state to persist and pass to the next evaluation
   */
  public record PoolDecision(
      Pool pool,
      boolean enabled,
      int replicas,
      int currentReplicas,
      int recommendedReplicas,
      Set<AutoscalingLimit> limitedBy,
      String reason,
      List<MetricReading> observed,
      String unschedulable,
      PoolState state) {
    public PoolDecision {
      limitedBy =
          limitedBy.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(limitedBy));
      observed = List.copyOf(observed);
    }

    /** Whether the target changes. */
    public boolean changed() {
      return replicas != currentReplicas;
    }

    /** Whether anything kept the target from following the load. */
    public boolean limited() {
      return !limitedBy.isEmpty();
    }

    /** The pool's {@code status.<pool>.autoscaling}; null when autoscaling is disabled. */
    public PoolAutoscalingStatus toStatus() {
      if (!enabled) {
        return null;
      }
      PoolAutoscalingStatus s = new PoolAutoscalingStatus();
      s.setDesiredReplicas(replicas);
      List<MetricLoadStatus> load = new ArrayList<>();
      for (MetricReading r : observed) {
        load.add(
            new MetricLoadStatus(
                r.type(),
                r.average() == null ? null : round(r.average()),
                round(r.target()),
                r.instances(),
                r.desiredReplicas()));
      }
      s.setObservedLoad(load);
      s.setLimitedBy(new ArrayList<>(limitedBy));
      s.setMessage(reason);
      s.setUnschedulable(unschedulable);
      state.writeTo(s);
      return s;
    }
  }

  /**
   * The decision for both pools.
   *
   * @param context the context pool
   * @param generation the generation pool
   */
  public record Decision(PoolDecision context, PoolDecision generation) {
    /** The decision of a pool. */
    public PoolDecision of(Pool pool) {
      return pool == Pool.CONTEXT ? context : generation;
    }
  }

  /**
   * Decides both pools (see the class description).
   *
   * <p>GPU budget: when the targets need more GPUs than {@code gpuBudget}, growth is cut, never
   * what a pool already runs (unless the pools already exceed the budget, e.g. after it was
   * lowered; then both may be cut down to {@code minimalInstances}). The free GPUs are split so
   * that both pools reach the same fraction of their targets, which keeps the context:generation
   * ratio the load asks for (a disaggregated pipeline serves no more than its more starved pool
   * allows); the ratio bounds are kept within the budget when possible. Ties go to using more GPUs,
   * then to the smaller change.
   */
  public Decision decide(Input in) {
    Instant now = clock.instant();
    Work ctx = evaluate(Pool.CONTEXT, in.context(), now);
    Work gen = evaluate(Pool.GENERATION, in.generation(), now);
    if (ctx.enabled || gen.enabled) {
      applyRatio(ctx, gen, in.cluster());
      applyBudget(ctx, gen, in.cluster());
    }
    return new Decision(ctx.finish(now), gen.finish(now));
  }

  // ---------------------------------------------------------------------------------------

  /** One pool while it is being decided. */
  private static final class Work {
    final Pool pool;
    final PoolInput in;
    final PoolPolicy p;
    final boolean enabled;
    final int cur;
    final int unschedulable;
    int recommended;
    int target;

    /** Lowest and highest count the cluster stage may move the target to. */
    int lo;

    int hi;
    final EnumSet<AutoscalingLimit> limits = EnumSet.noneOf(AutoscalingLimit.class);
    final List<String> loadText = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final List<MetricReading> readings = new ArrayList<>();
    List<Recommendation> history = List.of();
    Instant since;

    Work(Pool pool, PoolInput in) {
      this.pool = pool;
      this.in = in;
      this.p = in.policy();
      this.enabled = p.enabled();
      this.cur = in.currentReplicas();
      this.unschedulable = Math.min(in.unschedulablePods(), cur);
    }

    void limit(AutoscalingLimit l, String note) {
      limits.add(l);
      notes.add(note);
    }

    PoolDecision finish(Instant now) {
      String unsched =
          unschedulable > 0
              ? unschedulable
                  + (unschedulable == 1 ? " pod" : " pods")
                  + " Unschedulable"
                  + (in.unschedulableMessage() == null || in.unschedulableMessage().isBlank()
                      ? ""
                      : ": " + in.unschedulableMessage().strip())
              : null;
      if (!enabled) {
        return new PoolDecision(
            pool,
            false,
            cur,
            cur,
            cur,
            Set.of(),
            pool.id() + ": autoscaling disabled, keeping " + cur,
            List.of(),
            unsched,
            in.state());
      }
      StringBuilder reason = new StringBuilder(pool.id());
      reason.append(target == cur ? " holds " + cur : " " + cur + " -> " + target).append(": ");
      reason.append(loadText.isEmpty() ? "no metrics configured" : String.join("; ", loadText));
      if (!notes.isEmpty()) {
        reason.append("; ").append(String.join("; ", notes));
      }
      String text = reason.toString();

      Duration keepRecs =
          max(p.scaleUp().stabilizationWindow(), p.scaleDown().stabilizationWindow());
      List<Recommendation> recs = prune(history, now.minus(keepRecs));
      Duration keepChanges = max(p.scaleUp().period(), p.scaleDown().period());
      List<Change> changes = new ArrayList<>();
      for (Change c : in.state().changes()) {
        if (c.time().isAfter(now.minus(keepChanges))) {
          changes.add(c);
        }
      }
      Instant lastTime = in.state().lastScaleTime();
      String lastReason = in.state().lastScaleReason();
      if (target != cur) {
        changes.add(new Change(now, cur, target));
        lastTime = now;
        lastReason = text;
      }
      PoolState next = new PoolState(since, recs, changes, lastTime, lastReason);
      return new PoolDecision(
          pool, true, target, cur, recommended, limits, text, readings, unsched, next);
    }
  }

  private Work evaluate(Pool pool, PoolInput in, Instant now) {
    Work w = new Work(pool, in);
    PoolPolicy p = w.p;
    int cur = w.cur;
    if (!w.enabled) {
      w.recommended = cur;
      w.target = cur;
      w.lo = cur;
      w.hi = cur;
      return w;
    }
    int u = w.unschedulable;
    int ready = Math.min(in.readyReplicas(), cur - u);
    int starting = cur - u - ready;
    Instant staleBefore = now.minus(p.staleAfter());

    // 1. Per metric (HPA's replica calculation).
    Integer best = null;
    List<AutoscalingMetricType> missingTypes = new ArrayList<>();
    int silentReadyHeld = 0;
    for (MetricTarget m : p.metrics()) {
      double sum = 0;
      int n = 0;
      for (Sample s : in.samples()) {
        if (s.type() == m.type() && !s.sampledAt().isBefore(staleBefore)) {
          sum += s.value() * s.instances();
          n += s.instances();
        }
      }
      double t = m.target();
      if (n == 0) {
        missingTypes.add(m.type());
        w.readings.add(new MetricReading(m.type(), null, t, 0, null));
        w.loadText.add(
            m.type()
                + ": no sample newer than "
                + p.staleAfter().toSeconds()
                + "s (target "
                + num(t)
                + ")");
        continue;
      }
      double avg = sum / n;
      int silent = Math.max(0, ready - n) + starting;
      int base = Math.max(n, ready) + starting;
      double ratio = avg / t;
      int proposal;
      if (Math.abs(ratio - 1) <= p.tolerance() + EPS) {
        proposal = base;
      } else if (ratio > 1) {
        proposal = ceil(sum / t);
        if (silent > 0 && sum / (t * base) <= 1 + p.tolerance() + EPS) {
          proposal = base; // counting the silent instances as idle, no scale-up is needed
        }
      } else {
        proposal = ceil(sum / t + silent);
        if (silent > 0 && (sum + silent * t) / (t * base) >= 1 - p.tolerance() - EPS) {
          proposal =
              base; // counting the silent instances at the target, no scale-down is justified
          silentReadyHeld = Math.max(silentReadyHeld, ready - n);
        }
      }
      w.readings.add(new MetricReading(m.type(), avg, t, n, proposal));
      w.loadText.add(
          m.type()
              + " "
              + num(avg)
              + "/instance over "
              + n
              + " of "
              + (ready + starting)
              + " instances (target "
              + num(t)
              + ") asks "
              + proposal);
      best = best == null ? proposal : Math.max(best, proposal);
    }

    // 2. Across metrics; missing metrics never lower the pool.
    int wanted;
    if (best == null) {
      wanted = cur;
      if (!p.metrics().isEmpty()) {
        w.limit(AutoscalingLimit.MissingMetrics, "holding: no fresh sample of any metric");
      }
    } else {
      wanted = best;
      if (!missingTypes.isEmpty() && wanted < cur) {
        w.limit(
            AutoscalingLimit.MissingMetrics, "not lowering: " + missingTypes + " missing or stale");
        wanted = cur;
      } else if (silentReadyHeld > 0 && wanted >= cur - u) {
        w.limit(
            AutoscalingLimit.MissingMetrics,
            "not lowering: "
                + silentReadyHeld
                + " ready instances sent no fresh sample and are assumed at the target");
      }
    }
    w.recommended = wanted;

    // 3. Bounds.
    int rec = wanted;
    if (rec > p.maxInstances()) {
      w.limit(AutoscalingLimit.MaxInstances, "capped at maxInstances " + p.maxInstances());
      rec = p.maxInstances();
    }
    if (rec < p.minimalInstances()) {
      w.limit(
          AutoscalingLimit.MinimalInstances, "raised to minimalInstances " + p.minimalInstances());
      rec = p.minimalInstances();
    }

    // 4. No growth while pods are unschedulable.
    if (u > 0 && rec > cur) {
      int held = Math.max(cur, p.minimalInstances());
      w.limit(
          AutoscalingLimit.Unschedulable,
          "not growing beyond "
              + held
              + " while "
              + u
              + (u == 1 ? " pod is" : " pods are")
              + " Unschedulable");
      rec = held;
    }

    // 5. Stabilization windows.
    StepRules up = p.scaleUp();
    StepRules down = p.scaleDown();
    w.since = in.state().since() != null ? in.state().since() : now;
    List<Recommendation> hist = new ArrayList<>(in.state().recommendations());
    hist.add(new Recommendation(now, rec));
    w.history = hist;
    Instant upFrom = now.minus(up.stabilizationWindow());
    Instant downFrom = now.minus(down.stabilizationWindow());
    int capacity = cur - u; // pending unschedulable pods are not protected by the scale-down window
    int upRec = rec;
    int downRec = rec;
    for (int i = 0; i < hist.size() - 1; i++) {
      Recommendation r = hist.get(i);
      if (r.time().isAfter(upFrom)) {
        upRec = Math.min(upRec, r.replicas());
      }
      if (r.time().isAfter(downFrom)) {
        downRec = Math.max(downRec, u > 0 ? Math.min(r.replicas(), capacity) : r.replicas());
      }
    }
    boolean youngHistory = w.since.isAfter(downFrom);
    if (youngHistory) {
      downRec = Math.max(downRec, capacity);
    }
    int stab = cur;
    if (stab < upRec) {
      stab = upRec;
    }
    if (stab > downRec) {
      stab = downRec;
    }
    if (rec > cur && stab < rec) {
      w.limit(
          AutoscalingLimit.Stabilization,
          "scale-up held by the "
              + up.stabilizationWindow().toSeconds()
              + "s stabilization window (lowest recommendation within it: "
              + upRec
              + ")");
    } else if (rec < cur && stab > rec) {
      w.limit(
          AutoscalingLimit.Stabilization,
          "scale-down held by the "
              + down.stabilizationWindow().toSeconds()
              + "s stabilization window ("
              + (youngHistory && downRec == capacity
                  ? "history starts " + Duration.between(w.since, now).toSeconds() + "s ago"
                  : "highest recommendation within it: " + downRec)
              + ")");
    }

    // 6. Step limits.
    int target = stab;
    if (stab > cur && up.limited()) {
      int added = 0;
      for (Change c : in.state().changes()) {
        if (c.time().isAfter(now.minus(up.period())) && c.to() > c.from()) {
          added += c.to() - c.from();
        }
      }
      int start = Math.max(0, cur - added);
      long limit = Long.MIN_VALUE;
      if (up.maxInstancesPerStep() != null) {
        limit = Math.max(limit, (long) start + up.maxInstancesPerStep());
      }
      if (up.maxPercentPerStep() != null) {
        limit = Math.max(limit, ceil(start * (100.0 + up.maxPercentPerStep()) / 100.0));
      }
      limit = Math.max(limit, cur);
      if (target > limit) {
        w.limit(
            AutoscalingLimit.StepLimit,
            "scale-up step limit "
                + up.describe()
                + " ("
                + added
                + " added within the period) allows "
                + limit);
        target = (int) limit;
      }
    } else if (stab < cur && down.limited()) {
      int removed = 0;
      for (Change c : in.state().changes()) {
        if (c.time().isAfter(now.minus(down.period())) && c.to() < c.from()) {
          removed += c.from() - c.to();
        }
      }
      long start = (long) cur + removed;
      long limit = Long.MAX_VALUE;
      if (down.maxInstancesPerStep() != null) {
        limit = Math.min(limit, start - down.maxInstancesPerStep());
      }
      if (down.maxPercentPerStep() != null) {
        limit = Math.min(limit, ceil(start * (100.0 - down.maxPercentPerStep()) / 100.0));
      }
      limit = Math.min(limit, capacity); // releasing unschedulable pods is never step-limited
      if (target < limit) {
        w.limit(
            AutoscalingLimit.StepLimit,
            "scale-down step limit "
                + down.describe()
                + " ("
                + removed
                + " removed within the period) allows "
                + limit);
        target = (int) limit;
      }
    }
    target = Math.max(p.minimalInstances(), Math.min(p.maxInstances(), target));
    w.target = target;
    w.lo = p.minimalInstances();
    w.hi = u > 0 ? Math.max(target, Math.min(cur, p.maxInstances())) : p.maxInstances();
    return w;
  }

  // ---------------------------------------------------------------------------------------
  // Cluster stage

  private static void applyRatio(Work c, Work g, ClusterPolicy cp) {
    if (!cp.hasRatio()) {
      return;
    }
    Double minR = cp.minContextPerGeneration();
    Double maxR = cp.maxContextPerGeneration();
    int c0 = c.target;
    int g0 = g.target;
    for (int i = 0; i < 4; i++) {
      boolean changed = false;
      if (minR != null && c.target < minR * g.target - EPS) {
        int need = ceil(minR * g.target);
        int newC = Math.min(need, Math.max(c.hi, c.target));
        if (newC > c.target) {
          c.target = newC;
          changed = true;
        }
        if (c.target < need) {
          int newG = Math.max(g.lo, Math.min(g.target, floor(c.target / minR)));
          if (newG < g.target) {
            g.target = newG;
            changed = true;
          }
        }
      }
      if (maxR != null && c.target > maxR * g.target + EPS) {
        int need = ceil(c.target / maxR);
        int newG = Math.min(need, Math.max(g.hi, g.target));
        if (newG > g.target) {
          g.target = newG;
          changed = true;
        }
        if (g.target < need) {
          int newC = Math.max(c.lo, Math.min(c.target, floor(maxR * g.target)));
          if (newC < c.target) {
            c.target = newC;
            changed = true;
          }
        }
      }
      if (!changed) {
        break;
      }
    }
    String bounds = ratioText(cp);
    for (Work w : List.of(c, g)) {
      int before = w == c ? c0 : g0;
      if (w.target != before) {
        w.limit(
            AutoscalingLimit.Ratio,
            (w.target > before ? "raised" : "lowered")
                + " from "
                + before
                + " to "
                + w.target
                + " to keep "
                + bounds
                + " (context "
                + c.target
                + ", generation "
                + g.target
                + ")");
      }
    }
    if (!ratioHolds(c.target, g.target, cp)) {
      for (Work w : List.of(c, g)) {
        if (w.enabled) {
          w.limit(
              AutoscalingLimit.Ratio,
              "ratio bounds "
                  + bounds
                  + " cannot be met within minimalInstances"
                  + " and maxInstances (context "
                  + c.target
                  + ", generation "
                  + g.target
                  + ")");
        }
      }
    }
  }

  private static void applyBudget(Work c, Work g, ClusterPolicy cp) {
    if (cp.gpuBudget() == null) {
      return;
    }
    long budget = cp.gpuBudget();
    int gc = c.in.gpusPerInstance();
    int gg = g.in.gpusPerInstance();
    int tc = c.target;
    int tg = g.target;
    if ((long) tc * gc + (long) tg * gg <= budget) {
      return;
    }
    int keepC = c.enabled ? Math.min(c.cur, tc) : tc;
    int keepG = g.enabled ? Math.min(g.cur, tg) : tg;
    int lbC;
    int lbG;
    if ((long) keepC * gc + (long) keepG * gg <= budget) {
      lbC = keepC;
      lbG = keepG;
    } else {
      lbC = c.enabled ? Math.min(c.lo, tc) : tc;
      lbG = g.enabled ? Math.min(g.lo, tg) : tg;
    }
    int[] best = search(c, g, lbC, lbG, budget, cp, true);
    String note = null;
    if (best == null && cp.hasRatio()) {
      best = search(c, g, lbC, lbG, budget, cp, false);
      if (best != null) {
        note = "ratio bounds " + ratioText(cp) + " cannot be met within the GPU budget";
      }
    }
    if (best == null) {
      best = new int[] {lbC, lbG};
      note =
          "GPU budget "
              + budget
              + " is below what the pools need at least (context "
              + lbC
              + " x "
              + gc
              + " + generation "
              + lbG
              + " x "
              + gg
              + " GPUs)";
    }
    c.target = best[0];
    g.target = best[1];
    String split =
        "GPU budget "
            + budget
            + ": context "
            + c.target
            + " x "
            + gc
            + " + generation "
            + g.target
            + " x "
            + gg
            + " = "
            + ((long) c.target * gc + (long) g.target * gg)
            + " GPUs (asked "
            + tc
            + " and "
            + tg
            + ")";
    for (Work w : List.of(c, g)) {
      int asked = w == c ? tc : tg;
      if (w.target < asked || (note != null && w.enabled)) {
        w.limit(
            AutoscalingLimit.GpuBudget,
            (w.target < asked ? "cut from " + asked + " to " + w.target + " by " : "")
                + split
                + (note != null ? "; " + note : ""));
      }
    }
  }

  /**
   * The best (context, generation) within [lb, target] per pool and the budget: highest common
   * fraction of the targets first, then most GPUs used, then least change.
   */
  private static int[] search(
      Work c, Work g, int lbC, int lbG, long budget, ClusterPolicy cp, boolean withRatio) {
    int tc = c.target;
    int tg = g.target;
    long gc = c.in.gpusPerInstance();
    long gg = g.in.gpusPerInstance();
    int[] best = null;
    long[] bestScore = null;
    for (int x = lbC; x <= tc; x++) {
      long free = budget - x * gc;
      if (free < 0) {
        break;
      }
      long hi = Math.min(tg, free / gg);
      long lo = lbG;
      if (withRatio && cp.minContextPerGeneration() != null) {
        hi = Math.min(hi, floor(x / cp.minContextPerGeneration()));
      }
      if (withRatio && cp.maxContextPerGeneration() != null) {
        lo = Math.max(lo, ceil(x / cp.maxContextPerGeneration()));
      }
      if (hi < lo) {
        continue;
      }
      int y = (int) hi;
      long[] score = {
        Math.min((long) x * tg, (long) y * tc),
        x * gc + y * gg,
        -(Math.abs(x - (long) c.cur) + Math.abs(y - (long) g.cur))
      };
      if (bestScore == null || compare(score, bestScore) > 0) {
        best = new int[] {x, y};
        bestScore = score;
      }
    }
    return best;
  }

  private static int compare(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      int r = Long.compare(a[i], b[i]);
      if (r != 0) {
        return r;
      }
    }
    return 0;
  }

  private static boolean ratioHolds(int c, int g, ClusterPolicy cp) {
    return (cp.minContextPerGeneration() == null || c >= cp.minContextPerGeneration() * g - EPS)
        && (cp.maxContextPerGeneration() == null || c <= cp.maxContextPerGeneration() * g + EPS);
  }

  private static String ratioText(ClusterPolicy cp) {
    String min = cp.minContextPerGeneration() == null ? null : num(cp.minContextPerGeneration());
    String max = cp.maxContextPerGeneration() == null ? null : num(cp.maxContextPerGeneration());
    if (min != null && max != null) {
      return min + " <= context/generation <= " + max;
    }
    return min != null ? "context/generation >= " + min : "context/generation <= " + max;
  }

  // ---------------------------------------------------------------------------------------

  /**
   * Drops recommendations older than {@code from} (the current one, last, always stays) and those
   * no window can need any more: an entry matters for "highest within the window" only if no later
   * entry is at least as high, and for "lowest" only if no later entry is at most as low.
   */
  static List<Recommendation> prune(List<Recommendation> hist, Instant from) {
    List<Recommendation> out = new ArrayList<>();
    int maxLater = Integer.MIN_VALUE;
    int minLater = Integer.MAX_VALUE;
    for (int i = hist.size() - 1; i >= 0; i--) {
      Recommendation r = hist.get(i);
      boolean last = i == hist.size() - 1;
      if (last
          || (r.time().isAfter(from) && (r.replicas() > maxLater || r.replicas() < minLater))) {
        out.add(0, r);
      }
      maxLater = Math.max(maxLater, r.replicas());
      minLater = Math.min(minLater, r.replicas());
    }
    return out;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static int ceil(double x) {
    return (int) Math.ceil(x - EPS);
  }

  private static int floor(double x) {
    return (int) Math.floor(x + EPS);
  }

  private static double round(double x) {
    return Math.round(x * 10000.0) / 10000.0;
  }

  static String num(double x) {
    if (x == Math.rint(x) && Math.abs(x) < 1e9) {
      return Long.toString((long) x);
    }
    String s = String.format(Locale.ROOT, "%.3f", x);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
