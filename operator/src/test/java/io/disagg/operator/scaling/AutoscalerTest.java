package io.disagg.operator.scaling;

import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.GpuBudget;
import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.MaxInstances;
import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.MinimalInstances;
import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.MissingMetrics;
import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.Ratio;
import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.Stabilization;
import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.StepLimit;
import static io.disagg.operator.api.v1alpha1.AutoscalingLimit.Unschedulable;
import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.KvCacheUtilization;
import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.RunningRequests;
import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.WaitingRequests;
import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.AutoscalingLimit;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.MetricsSource;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.scaling.Autoscaler.Decision;
import io.disagg.operator.scaling.Autoscaler.Input;
import io.disagg.operator.scaling.Autoscaler.PoolDecision;
import io.disagg.operator.scaling.Autoscaler.PoolInput;
import io.disagg.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AutoscalerTest {

  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  /** A clock the test moves. */

  // ---------------------------------------------------------------------------------------
  // Policies

  static final StepRules UP = StepRules.DEFAULT_UP;

  static final StepRules DOWN = StepRules.DEFAULT_DOWN;
  static final Duration INTERVAL = Duration.ofSeconds(15);

  /** Context pool scaled on WaitingRequests, target 2 per instance, HPA defaults otherwise. */
  static PoolPolicy waiting(int min, int max) {
    return policy(min, max, UP, DOWN, new MetricTarget(WaitingRequests, 2, null));
  }

  static PoolPolicy policy(
      int min, int max, StepRules up, StepRules down, MetricTarget... metrics) {
    return new PoolPolicy(
        true, min, max, List.of(metrics), 0.1, up, down, INTERVAL, MetricsSource.Pods, null);
  }

  static StepRules rules(int windowSeconds, Integer instances, Integer percent, int periodSeconds) {
    return new StepRules(
        Duration.ofSeconds(windowSeconds), instances, percent, Duration.ofSeconds(periodSeconds));
  }

  /** A pool input where every one of {@code ready} instances reports {@code perInstance}. */
  static PoolInput pool(
      PoolPolicy p,
      int current,
      int ready,
      AutoscalingMetricType type,
      Double perInstance,
      Instant sampledAt,
      PoolState state) {
    List<Sample> samples = new ArrayList<>();
    if (perInstance != null) {
      for (int i = 0; i < ready; i++) {
        samples.add(Sample.of(type, perInstance, sampledAt));
      }
    }
    return new PoolInput(p, current, ready, 0, null, 1, samples, state);
  }

  static PoolInput fixed(int replicas) {
    return new PoolInput(
        PoolPolicy.disabled(1, replicas),
        replicas,
        replicas,
        0,
        null,
        1,
        List.of(),
        PoolState.EMPTY);
  }

  /** A state whose history started long ago, so the "young history" guard does not apply. */
  static PoolState old() {
    return new PoolState(T0.minusSeconds(3600), List.of(), List.of(), null, null);
  }

  // ---------------------------------------------------------------------------------------
  // Table: one autoscaled pool over time

  /**
   * One evaluation.
   *
   * @param t seconds after T0
   * @param totalWaiting waiting requests over the whole pool (split evenly over ready instances);
   *     null = no sample at all
   * @param sampleAge age of the samples in seconds
   * @param expect the target the autoscaler must decide
   */
  record Step(int t, Double totalWaiting, int sampleAge, int expect) {
    @Override
    public String toString() {
      return "t="
          + t
          + "s waiting="
          + totalWaiting
          + (sampleAge > 0 ? " age=" + sampleAge + "s" : "")
          + " -> "
          + expect;
    }
  }

  static Step s(int t, double total, int expect) {
    return new Step(t, total, 0, expect);
  }

  static Step missing(int t, int expect) {
    return new Step(t, null, 0, expect);
  }

  static Step aged(int t, double total, int ageSeconds, int expect) {
    return new Step(t, total, ageSeconds, expect);
  }

  /** Every 15 s from {@code from} to {@code to} (inclusive), the same load and expectation. */
  static List<Step> every15(int from, int to, double total, int expect) {
    List<Step> out = new ArrayList<>();
    for (int t = from; t <= to; t += 15) {
      out.add(s(t, total, expect));
    }
    return out;
  }

  static List<Step> steps(Object... parts) {
    List<Step> out = new ArrayList<>();
    for (Object o : parts) {
      if (o instanceof Step st) {
        out.add(st);
      } else {
        @SuppressWarnings("unchecked")
        List<Step> l = (List<Step>) o;
        out.addAll(l);
      }
    }
    return out;
  }

  static Stream<Arguments> onePool() {
    return Stream.of(
        Arguments.of(
            "steady load within the tolerance: no change",
            waiting(1, 20),
            4,
            old(),
            steps(s(0, 8, 4), s(15, 8.7, 4), s(30, 7.3, 4), s(45, 8, 4), s(60, 8.5, 4))),
        Arguments.of(
            "spike: scale-up within one evaluation (window 0)",
            waiting(1, 20),
            4,
            old(),
            steps(s(0, 8, 4), s(15, 16, 8), s(30, 16, 8))),
        Arguments.of(
            "spike bigger than a step: +100% or +4 per 15s, then again",
            waiting(1, 40),
            4,
            old(),
            steps(s(0, 48, 8), s(15, 48, 16), s(30, 48, 24), s(45, 48, 24))),
        Arguments.of(
            "flapping load: the 300s down window keeps the peak",
            waiting(1, 20),
            4,
            old(),
            steps(
                s(0, 16, 8),
                s(15, 8, 8),
                s(30, 16, 8),
                s(45, 8, 8),
                s(60, 16, 8),
                s(75, 8, 8),
                every15(90, 345, 8, 8),
                s(360, 8, 4),
                s(375, 8, 4))),
        Arguments.of(
            "load drop: lowered only after the window, never below minimalInstances",
            waiting(2, 20),
            8,
            old(),
            steps(s(0, 16, 8), every15(15, 285, 0, 8), s(300, 0, 2), s(315, 0, 2), s(330, 0, 2))),
        Arguments.of(
            "fresh start (no history): no scale-down before a full down window",
            waiting(1, 20),
            6,
            PoolState.EMPTY,
            steps(every15(0, 285, 2, 6), s(300, 2, 1))),
        Arguments.of(
            "missing metrics: held, never lowered, however long",
            waiting(1, 20),
            6,
            old(),
            steps(missing(0, 6), missing(300, 6), missing(900, 6), s(915, 12, 6))),
        Arguments.of(
            "missing metrics do not block a scale-up once samples return",
            waiting(1, 20),
            4,
            old(),
            steps(missing(0, 4), s(15, 16, 8))),
        Arguments.of(
            "stale metrics (older than 3 intervals) count as missing",
            waiting(1, 20),
            6,
            old(),
            steps(aged(0, 0, 46, 6), aged(400, 0, 60, 6), aged(800, 0, 45, 1))),
        Arguments.of(
            "capped at maxInstances", waiting(1, 5), 4, old(), steps(s(0, 40, 5), s(15, 40, 5))),
        Arguments.of(
            "scale-up step limit: 1 instance per 60s",
            policy(1, 20, rules(0, 1, null, 60), DOWN, new MetricTarget(WaitingRequests, 2, null)),
            2,
            old(),
            steps(
                s(0, 20, 3),
                s(15, 20, 3),
                s(45, 20, 3),
                s(60, 20, 4),
                s(75, 20, 4),
                s(120, 20, 5))),
        Arguments.of(
            "scale-down step limit: 50% per 15s, no window",
            policy(1, 20, UP, rules(0, null, 50, 15), new MetricTarget(WaitingRequests, 2, null)),
            8,
            old(),
            steps(s(0, 0, 4), s(15, 0, 2), s(30, 0, 1), s(45, 0, 1))),
        Arguments.of(
            "scale-down step limit: 1 instance per 15s after the window",
            policy(1, 20, UP, rules(60, 1, null, 15), new MetricTarget(WaitingRequests, 2, null)),
            4,
            old(),
            steps(s(0, 8, 4), s(15, 0, 4), s(45, 0, 4), s(60, 0, 3), s(75, 0, 2), s(90, 0, 1))),
        Arguments.of(
            "scale-up window: a short burst is ignored",
            policy(
                1, 20, rules(30, null, null, 15), DOWN, new MetricTarget(WaitingRequests, 2, null)),
            4,
            old(),
            steps(
                s(0, 8, 4), s(15, 16, 4), s(30, 8, 4), s(45, 16, 4), s(60, 16, 8), s(75, 16, 8))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("onePool")
  void onePoolOverTime(
      String name, PoolPolicy policy, int initial, PoolState initialState, List<Step> steps) {
    MutableClock clock = new MutableClock(T0);
    Autoscaler scaler = new Autoscaler(clock);
    int current = initial;
    PoolState state = initialState;
    List<String> trace = new ArrayList<>();
    for (Step st : steps) {
      clock.at(st.t());
      Double per = st.totalWaiting() == null ? null : st.totalWaiting() / current;
      PoolInput ctx =
          pool(
              policy,
              current,
              current,
              WaitingRequests,
              per,
              clock.instant().minusSeconds(st.sampleAge()),
              state);
      Decision d = scaler.decide(new Input(ctx, fixed(1), ClusterPolicy.NONE));
      PoolDecision pd = d.context();
      trace.add(st + " got " + pd.replicas() + " (" + pd.reason() + ")");
      assertThat(pd.replicas()).as("%s%n%s", st, String.join("\n", trace)).isEqualTo(st.expect());
      assertThat(pd.replicas()).isBetween(policy.minimalInstances(), policy.maxInstances());
      current = pd.replicas();
      state = pd.state();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Limits reported

  @Test
  void reasonsAndLimitsNameTheNumbers() {
    MutableClock clock = new MutableClock(T0);
    Autoscaler scaler = new Autoscaler(clock);
    PoolDecision up =
        scaler
            .decide(
                new Input(
                    pool(waiting(1, 5), 4, 4, WaitingRequests, 10.0, T0, old()),
                    fixed(1),
                    ClusterPolicy.NONE))
            .context();
    assertThat(up.replicas()).isEqualTo(5);
    assertThat(up.recommendedReplicas()).isEqualTo(20);
    assertThat(up.limitedBy()).containsExactly(MaxInstances);
    assertThat(up.reason())
        .contains(
            "context 4 -> 5",
            "WaitingRequests 10/instance over 4 of 4 instances (target 2) asks 20",
            "capped at maxInstances 5");
    assertThat(up.observed())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.average()).isEqualTo(10.0);
              assertThat(r.desiredReplicas()).isEqualTo(20);
              assertThat(r.instances()).isEqualTo(4);
            });
    assertThat(up.state().lastScaleReason()).isEqualTo(up.reason());
    assertThat(up.state().lastScaleTime()).isEqualTo(T0);

    PoolDecision floor =
        scaler
            .decide(
                new Input(
                    pool(
                        waiting(3, 10),
                        4,
                        4,
                        WaitingRequests,
                        0.0,
                        T0,
                        new PoolState(T0.minusSeconds(3600), List.of(), List.of(), null, null)),
                    fixed(1),
                    ClusterPolicy.NONE))
            .context();
    assertThat(floor.replicas()).isEqualTo(3);
    assertThat(floor.limitedBy()).containsExactly(MinimalInstances);
    assertThat(floor.reason()).contains("raised to minimalInstances 3");
  }

  @Test
  void theDownWindowIsReportedAsStabilization() {
    MutableClock clock = new MutableClock(T0);
    Autoscaler scaler = new Autoscaler(clock);
    PoolState st =
        scaler
            .decide(
                new Input(
                    pool(waiting(1, 10), 4, 4, WaitingRequests, 2.0, T0, old()),
                    fixed(1),
                    ClusterPolicy.NONE))
            .context()
            .state();
    clock.at(15);
    PoolDecision d =
        scaler
            .decide(
                new Input(
                    pool(waiting(1, 10), 4, 4, WaitingRequests, 0.5, clock.instant(), st),
                    fixed(1),
                    ClusterPolicy.NONE))
            .context();
    assertThat(d.replicas()).isEqualTo(4);
    assertThat(d.recommendedReplicas()).isEqualTo(1);
    assertThat(d.limitedBy()).containsExactly(Stabilization);
    assertThat(d.reason())
        .contains("300s stabilization window", "highest recommendation within it: 4");
  }

  // ---------------------------------------------------------------------------------------
  // Missing metrics in detail

  @Test
  void instancesWithoutSamplesAreAssumedAtTheTargetForScaleDown() {
    Autoscaler scaler = new Autoscaler(new MutableClock(T0));
    // 4 ready, 2 report 1 waiting each (half the target), 2 silent: assumed at target -> (2 + 4) /
    // 2 = 3 = 0.75 of 4.
    List<Sample> samples =
        List.of(Sample.of(WaitingRequests, 1, T0), Sample.of(WaitingRequests, 1, T0));
    PoolInput in = new PoolInput(waiting(1, 10), 4, 4, 0, null, 1, samples, old());
    assertThat(scaler.decide(new Input(in, fixed(1), ClusterPolicy.NONE)).context().replicas())
        .isEqualTo(3);

    // 2 report exactly the target, 2 silent: no scale-down (the silent ones might be busy).
    samples = List.of(Sample.of(WaitingRequests, 1.9, T0), Sample.of(WaitingRequests, 1.9, T0));
    PoolDecision held =
        scaler
            .decide(
                new Input(
                    new PoolInput(waiting(1, 10), 4, 4, 0, null, 1, samples, old()),
                    fixed(1),
                    ClusterPolicy.NONE))
            .context();
    assertThat(held.replicas()).isEqualTo(4);

    // 2 report zero, 2 silent: HPA would conclude 2 of 4 at target -> ratio 0.5 -> 2 instances;
    // that is what the
    // reporting instances justify, not a consequence of the missing ones.
    samples = List.of(Sample.of(WaitingRequests, 0, T0), Sample.of(WaitingRequests, 0, T0));
    assertThat(
            scaler
                .decide(
                    new Input(
                        new PoolInput(waiting(1, 10), 4, 4, 0, null, 1, samples, old()),
                        fixed(1),
                        ClusterPolicy.NONE))
                .context()
                .replicas())
        .isEqualTo(2);
  }

  @Test
  void instancesWithoutSamplesAreAssumedIdleForScaleUp() {
    Autoscaler scaler = new Autoscaler(new MutableClock(T0));
    // 4 ready, 1 reports 3 waiting (1.5x target); counting the 3 silent as idle the pool is at
    // 0.375: no scale-up.
    PoolInput in =
        new PoolInput(
            waiting(1, 10), 4, 4, 0, null, 1, List.of(Sample.of(WaitingRequests, 3, T0)), old());
    assertThat(scaler.decide(new Input(in, fixed(1), ClusterPolicy.NONE)).context().replicas())
        .isEqualTo(4);
    // 4 ready, 2 report 10 each: 20 waiting need 10 instances even if the silent two are idle.
    in =
        new PoolInput(
            waiting(1, 20),
            4,
            4,
            0,
            null,
            1,
            List.of(Sample.of(WaitingRequests, 10, T0), Sample.of(WaitingRequests, 10, T0)),
            old());
    assertThat(scaler.decide(new Input(in, fixed(1), ClusterPolicy.NONE)).context().replicas())
        .isEqualTo(8); // step: +100%
  }

  @Test
  void podsStillStartingAreNotCountedAsIdleCapacityOnScaleUp() {
    Autoscaler scaler = new Autoscaler(new MutableClock(T0));
    // Target 6, 4 ready at 3 waiting (12 in total) and 2 pods still loading the model: 12 / 2 = 6
    // instances, which
    // are already coming: no further growth.
    PoolInput in = pool(waiting(1, 20), 6, 4, WaitingRequests, 3.0, T0, old());
    assertThat(scaler.decide(new Input(in, fixed(1), ClusterPolicy.NONE)).context().replicas())
        .isEqualTo(6);
  }

  @Test
  void oneMetricMissingBlocksScaleDownButNotScaleUp() {
    Autoscaler scaler = new Autoscaler(new MutableClock(T0));
    PoolPolicy gen =
        policy(
            1,
            20,
            UP,
            DOWN,
            new MetricTarget(KvCacheUtilization, 0.8, null),
            new MetricTarget(RunningRequests, 64, null));
    // RunningRequests low, KV cache not exported: would ask 1, held at 6.
    PoolInput low = new PoolInput(gen, 6, 6, 0, null, 1, nOf(6, RunningRequests, 4.0), old());
    PoolDecision d = scaler.decide(new Input(fixed(1), low, ClusterPolicy.NONE)).generation();
    assertThat(d.replicas()).isEqualTo(6);
    assertThat(d.limitedBy()).containsExactly(MissingMetrics);
    assertThat(d.reason()).contains("KvCacheUtilization: no sample newer than 45s", "not lowering");
    assertThat(d.observed())
        .extracting(Autoscaler.MetricReading::type, Autoscaler.MetricReading::desiredReplicas)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(KvCacheUtilization, null),
            org.assertj.core.groups.Tuple.tuple(RunningRequests, 1));
    // RunningRequests high, KV cache missing: scale-up goes ahead.
    PoolInput high = new PoolInput(gen, 6, 6, 0, null, 1, nOf(6, RunningRequests, 96.0), old());
    assertThat(scaler.decide(new Input(fixed(1), high, ClusterPolicy.NONE)).generation().replicas())
        .isEqualTo(9);
  }

  @Test
  void theLargestMetricWins() {
    Autoscaler scaler = new Autoscaler(new MutableClock(T0));
    PoolPolicy gen =
        policy(
            1,
            20,
            UP,
            DOWN,
            new MetricTarget(KvCacheUtilization, 0.8, null),
            new MetricTarget(RunningRequests, 64, null));
    List<Sample> samples =
        new ArrayList<>(nOf(4, KvCacheUtilization, 0.96)); // asks ceil(4 * 1.2) = 5
    samples.addAll(nOf(4, RunningRequests, 112)); // asks ceil(4 * 1.75) = 7
    PoolDecision d =
        scaler
            .decide(
                new Input(
                    fixed(1),
                    new PoolInput(gen, 4, 4, 0, null, 1, samples, old()),
                    ClusterPolicy.NONE))
            .generation();
    assertThat(d.observed())
        .extracting(Autoscaler.MetricReading::desiredReplicas)
        .containsExactly(5, 7);
    assertThat(d.replicas()).isEqualTo(7);
  }

  static List<Sample> nOf(int n, AutoscalingMetricType type, double v) {
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Sample.of(type, v, T0));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Unschedulable

  @Test
  void unschedulablePodsStopGrowthAndNeverBlockTheWayDown() {
    MutableClock clock = new MutableClock(T0);
    Autoscaler scaler = new Autoscaler(clock);
    PoolPolicy p = waiting(1, 20);
    // t=0: 4 ready, 24 waiting -> 8 (not limited).
    PoolDecision d = ctx(scaler, clock, p, 4, 4, 0, 24.0 / 4, old());
    assertThat(d.replicas()).isEqualTo(8);
    // t=15: 4 new pods Pending as Unschedulable; still 24 waiting on the 4 ready ones, load even
    // grows to 40:
    // the autoscaler would want 20 but does not add any more pods.
    clock.at(15);
    d = ctx(scaler, clock, p, 8, 4, 4, 40.0 / 4, d.state());
    assertThat(d.replicas()).isEqualTo(8);
    assertThat(d.limitedBy()).contains(Unschedulable);
    assertThat(d.unschedulable())
        .isEqualTo("4 pods Unschedulable: 0/8 nodes are available: 8 Insufficient nvidia.com/gpu.");
    assertThat(d.reason()).contains("not growing beyond 8 while 4 pods are Unschedulable");
    // t=30: still short: the Pending pods are kept (a node autoscaler may be adding nodes for
    // them).
    clock.at(30);
    d = ctx(scaler, clock, p, 8, 4, 4, 24.0 / 4, d.state());
    assertThat(d.replicas()).isEqualTo(8);
    // t=45: load falls to what the 4 ready instances handle (8 waiting = 2 each): the Pending pods
    // go at once,
    // despite the 300 s scale-down window that the earlier recommendations of 8 and 20 would
    // impose.
    clock.at(45);
    d = ctx(scaler, clock, p, 8, 4, 4, 8.0 / 4, d.state());
    assertThat(d.replicas()).isEqualTo(4);
    assertThat(d.unschedulable()).isNotNull();
    // t=60: load falls further; now the real capacity is protected by the window ...
    clock.at(60);
    d = ctx(scaler, clock, p, 4, 4, 0, 2.0 / 4, d.state());
    assertThat(d.replicas()).isEqualTo(4);
    assertThat(d.unschedulable()).isNull();
    // ... and goes after it.
    for (int t = 75; t <= 360; t += 15) {
      clock.at(t);
      d = ctx(scaler, clock, p, d.replicas(), d.replicas(), 0, 2.0 / d.replicas(), d.state());
    }
    assertThat(d.replicas()).isEqualTo(1);
  }

  @Test
  void partiallyUnschedulableScaleUpKeepsWhatIsNeeded() {
    MutableClock clock = new MutableClock(T0);
    Autoscaler scaler = new Autoscaler(clock);
    // Target 8, 6 ready, 2 Unschedulable; 6 ready at 2.33 waiting = 14 -> 7 needed: keep one
    // Pending pod, drop one.
    PoolDecision d = ctx(scaler, clock, waiting(1, 20), 8, 6, 2, 14.0 / 6, old());
    assertThat(d.replicas()).isEqualTo(7);
  }

  /**
   * Evaluates the context pool: {@code ready} instances report {@code perInstance} waiting
   * requests, sampled now.
   */
  static PoolDecision ctx(
      Autoscaler scaler,
      MutableClock clock,
      PoolPolicy p,
      int current,
      int ready,
      int unschedulable,
      double perInstance,
      PoolState state) {
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < ready; i++) {
      samples.add(Sample.of(WaitingRequests, perInstance, clock.instant()));
    }
    String msg =
        unschedulable > 0 ? "0/8 nodes are available: 8 Insufficient nvidia.com/gpu." : null;
    return scaler
        .decide(
            new Input(
                new PoolInput(p, current, ready, unschedulable, msg, 1, samples, state),
                fixed(1),
                ClusterPolicy.NONE))
        .context();
  }

  // ---------------------------------------------------------------------------------------
  // Both pools: GPU budget and ratio (one evaluation each)

  record Cluster(
      String name,
      PoolInput context,
      PoolInput generation,
      ClusterPolicy cluster,
      int expectContext,
      int expectGeneration,
      Set<AutoscalingLimit> contextLimits,
      Set<AutoscalingLimit> generationLimits) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * A pool at {@code current} instances (all ready) whose load asks for {@code wants}
   * (WaitingRequests, target 2).
   */
  static PoolInput wants(int current, int wants, int gpus, int min, int max) {
    double perInstance = 2.0 * wants / current;
    return new PoolInput(
        waiting(min, max),
        current,
        current,
        0,
        null,
        gpus,
        nOf(current, WaitingRequests, perInstance),
        old());
  }

  static Set<AutoscalingLimit> limits(AutoscalingLimit... l) {
    return l.length == 0 ? Set.of() : EnumSet.copyOf(Arrays.asList(l));
  }

  static Stream<Cluster> clusters() {
    return Stream.of(
        new Cluster(
            "within the budget: both grow",
            wants(2, 4, 1, 1, 20),
            wants(2, 4, 2, 1, 20),
            new ClusterPolicy(12, null, null),
            4,
            4,
            limits(),
            limits()),
        new Cluster(
            "budget exhausted by both: free GPUs split to the same fraction of each target",
            wants(2, 6, 1, 1, 20),
            wants(2, 6, 2, 1, 20),
            new ClusterPolicy(12, null, null),
            4,
            4,
            limits(GpuBudget),
            limits(GpuBudget)),
        new Cluster(
            "budget exhausted: growth never taken from what a pool runs",
            wants(4, 4, 1, 1, 20),
            wants(4, 8, 1, 1, 20),
            new ClusterPolicy(10, null, null),
            4,
            6,
            limits(),
            limits(GpuBudget)),
        new Cluster(
            "budget already exceeded (lowered): both cut towards it proportionally",
            wants(4, 4, 1, 1, 20),
            wants(4, 4, 1, 1, 20),
            new ClusterPolicy(6, null, null),
            3,
            3,
            limits(GpuBudget),
            limits(GpuBudget)),
        new Cluster(
            "budget below the floors: floors kept and reported",
            wants(3, 3, 1, 2, 20),
            wants(3, 3, 1, 2, 20),
            new ClusterPolicy(3, null, null),
            2,
            2,
            limits(GpuBudget),
            limits(GpuBudget)),
        new Cluster(
            "budget with a fixed (non-autoscaled) pool: the other gets what is left",
            fixed(4),
            wants(2, 6, 2, 1, 20),
            new ClusterPolicy(12, null, null),
            4,
            4,
            limits(),
            limits(GpuBudget)),
        new Cluster(
            "ratio min violated: context raised",
            wants(2, 2, 1, 1, 20),
            wants(4, 8, 1, 1, 20),
            new ClusterPolicy(null, 0.5, null),
            4,
            8,
            limits(Ratio),
            limits()),
        new Cluster(
            "ratio max violated: generation raised",
            wants(2, 6, 1, 1, 20),
            wants(2, 2, 1, 1, 20),
            new ClusterPolicy(null, null, 1.0),
            6,
            6,
            limits(),
            limits(Ratio)),
        new Cluster(
            "ratio min, context at maxInstances: generation lowered",
            wants(2, 2, 1, 1, 3),
            wants(4, 8, 1, 1, 20),
            new ClusterPolicy(null, 0.5, null),
            3,
            6,
            limits(Ratio),
            limits(Ratio)),
        new Cluster(
            "ratio with a fixed context pool: generation lowered to fit",
            fixed(2),
            wants(4, 8, 1, 1, 20),
            new ClusterPolicy(null, 0.5, null),
            2,
            4,
            limits(),
            limits(Ratio)),
        new Cluster(
            "ratio within bounds: untouched",
            wants(2, 3, 1, 1, 20),
            wants(2, 4, 1, 1, 20),
            new ClusterPolicy(null, 0.5, 1.0),
            3,
            4,
            limits(),
            limits()),
        new Cluster(
            "ratio and budget: context raised by the ratio, generation cut by the budget within the ratio",
            wants(2, 2, 1, 1, 20),
            wants(4, 8, 1, 1, 20),
            new ClusterPolicy(10, 0.5, 2.0),
            4,
            6,
            limits(Ratio),
            limits(GpuBudget)),
        new Cluster(
            "step limit and budget both reported",
            wants(2, 2, 1, 1, 20),
            wants(2, 10, 1, 1, 20),
            new ClusterPolicy(7, null, null),
            2,
            5,
            limits(),
            limits(StepLimit, GpuBudget)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clusters")
  void bothPools(Cluster c) {
    Decision d =
        new Autoscaler(new MutableClock(T0))
            .decide(new Input(c.context(), c.generation(), c.cluster()));
    assertThat(d.context().replicas())
        .as("context: %s", d.context().reason())
        .isEqualTo(c.expectContext());
    assertThat(d.generation().replicas())
        .as("generation: %s", d.generation().reason())
        .isEqualTo(c.expectGeneration());
    assertThat(d.context().limitedBy())
        .as("context: %s", d.context().reason())
        .isEqualTo(c.contextLimits());
    assertThat(d.generation().limitedBy())
        .as("generation: %s", d.generation().reason())
        .isEqualTo(c.generationLimits());
    if (c.cluster().gpuBudget() != null) {
      long used =
          (long) d.context().replicas() * c.context().gpusPerInstance()
              + (long) d.generation().replicas() * c.generation().gpusPerInstance();
      long floors =
          (long) c.context().policy().minimalInstances() * c.context().gpusPerInstance()
              + (long) c.generation().policy().minimalInstances()
                  * c.generation().gpusPerInstance();
      assertThat(used).isLessThanOrEqualTo(Math.max(c.cluster().gpuBudget(), floors));
    }
  }

  @Test
  void budgetReasonShowsTheSplit() {
    Decision d =
        new Autoscaler(new MutableClock(T0))
            .decide(
                new Input(
                    wants(2, 6, 1, 1, 20),
                    wants(2, 6, 2, 1, 20),
                    new ClusterPolicy(12, null, null)));
    assertThat(d.generation().reason())
        .contains("cut from 6 to 4 by GPU budget 12: context 4 x 1 + generation 4 x 2 = 12 GPUs");
  }

  // ---------------------------------------------------------------------------------------
  // State: persisted in the status, compact, survives a restart

  @Test
  void stateSurvivesARoundTripThroughTheStatus() {
    MutableClock clock = new MutableClock(T0);
    Autoscaler scaler = new Autoscaler(clock);
    PoolPolicy p = waiting(1, 20);
    PoolDecision d =
        scaler
            .decide(
                new Input(
                    pool(p, 4, 4, WaitingRequests, 4.0, T0, old()), fixed(1), ClusterPolicy.NONE))
            .context();
    assertThat(d.replicas()).isEqualTo(8);
    // "Restart": the next evaluation only has what the status kept.
    PoolAutoscalingStatus status = d.toStatus();
    assertThat(status.getDesiredReplicas()).isEqualTo(8);
    assertThat(status.getObservedLoad())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getType()).isEqualTo(WaitingRequests);
              assertThat(m.getAverage()).isEqualTo(4.0);
              assertThat(m.getTarget()).isEqualTo(2.0);
            });
    assertThat(status.getLastScaleTime()).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(status.getScaleEvents())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getFromReplicas()).isEqualTo(4);
              assertThat(e.getToReplicas()).isEqualTo(8);
            });
    PoolState restored = PoolState.from(status);
    assertThat(restored).isEqualTo(d.state());
    clock.at(60);
    PoolDecision after =
        scaler
            .decide(
                new Input(
                    pool(p, 8, 8, WaitingRequests, 0.0, clock.instant(), restored),
                    fixed(1),
                    ClusterPolicy.NONE))
            .context();
    assertThat(after.replicas()).as("the down window survived the restart").isEqualTo(8);
    assertThat(after.limitedBy()).contains(Stabilization);
  }

  @Test
  void historyStaysCompactUnderFlappingLoad() {
    MutableClock clock = new MutableClock(T0);
    Autoscaler scaler = new Autoscaler(clock);
    PoolPolicy p = waiting(1, 20);
    PoolState st = old();
    int cur = 4;
    for (int t = 0; t <= 1800; t += 15) {
      clock.at(t);
      double total = (t / 15) % 2 == 0 ? 16 : 6;
      PoolDecision d =
          scaler
              .decide(
                  new Input(
                      pool(p, cur, cur, WaitingRequests, total / cur, clock.instant(), st),
                      fixed(1),
                      ClusterPolicy.NONE))
              .context();
      cur = d.replicas();
      st = d.state();
      assertThat(st.recommendations().size())
          .as("at t=%s: %s", t, st.recommendations())
          .isLessThanOrEqualTo(3);
      assertThat(cur).isEqualTo(8);
    }
  }

  @Test
  void pruneKeepsWhatTheWindowsNeed() {
    List<PoolState.Recommendation> h =
        List.of(rec(0, 5), rec(15, 3), rec(30, 4), rec(45, 4), rec(60, 2));
    // 15:3 and 30:4 are dominated by the later 45:4 (as high, and in every window longer) and 60:2
    // (as low).
    assertThat(Autoscaler.prune(h, T0.minusSeconds(1)))
        .containsExactly(rec(0, 5), rec(45, 4), rec(60, 2));
    assertThat(Autoscaler.prune(h, T0.plusSeconds(20))).containsExactly(rec(45, 4), rec(60, 2));
    assertThat(Autoscaler.prune(List.of(rec(0, 2), rec(15, 4), rec(30, 3)), T0.minusSeconds(1)))
        .containsExactly(rec(0, 2), rec(15, 4), rec(30, 3));
  }

  static PoolState.Recommendation rec(int t, int replicas) {
    return new PoolState.Recommendation(T0.plusSeconds(t), replicas);
  }

  @Test
  void disabledPoolsAreLeftAlone() {
    Decision d =
        new Autoscaler(new MutableClock(T0))
            .decide(new Input(fixed(3), fixed(5), new ClusterPolicy(1, 1.0, 1.0)));
    assertThat(d.context().replicas()).isEqualTo(3);
    assertThat(d.generation().replicas()).isEqualTo(5);
    assertThat(d.context().limited()).isFalse();
    assertThat(d.context().toStatus()).isNull();
  }
}
