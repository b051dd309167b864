package io.disagg.e2e.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.e2e.trtllm.SimulatedRouter;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.e2e.trtllm.WorkerRole;
import io.disagg.operator.api.v1alpha1.AutoscalingBehavior;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.MetricsSource;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.api.v1alpha1.ScalingRules;
import io.disagg.operator.scaling.AutoscalingMetrics;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Load-based autoscaling of the generation pool end to end: real reconciler, real etcd, simulated
 * workers whose exported KV-cache utilisation the test sets, a simulated router in front and a
 * client sending requests through it the whole time. A load step grows the pool, a load drop
 * shrinks it (drained: zero failed requests) to exactly minimalInstances, never below. An operator
 * restart in the middle of a scale-up neither evaluates at once nor loses the step; source Router
 * reads the requests in flight from the router pod's counters.
 */
@ClusterTest
class AutoscalingIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  /** The CRD's smallest evaluation interval. */
  private static final int INTERVAL = 5;

  private static final int SCALE_DOWN_WINDOW = 10;
  private static final SimpleMeterRegistry METERS = new SimpleMeterRegistry();

  @BeforeAll
  static void setUp() {
    try (var c = io.disagg.operator.testing.LocalCluster.newClient()) {
      io.disagg.operator.testing.Samples.installCrd(c);
    }
    Metrics.addRegistry(METERS);
  }

  @AfterAll
  static void tearDown() {
    Metrics.removeRegistry(METERS);
  }

  @Test
  void loadStepGrowsTheGenerationPoolAndLoadDropShrinksItToMinimalInstancesWithZeroFailedRequests(
      TestNamespace ns) throws Exception {
    try (Testbed bed = Testbed.start(ns, 100)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      var gen = cr.getSpec().getGeneration();
      gen.setReplicas(1);
      gen.setMinimalInstances(1);
      gen.setMaxInstances(3);
      PoolAutoscalingSpec a = new PoolAutoscalingSpec();
      a.setEnabled(true);
      a.setEvaluationIntervalSeconds(INTERVAL);
      a.setMetrics(
          new ArrayList<>(
              List.of(new AutoscalingMetricSpec(AutoscalingMetricType.KvCacheUtilization, 0.8))));
      AutoscalingBehavior b = new AutoscalingBehavior();
      ScalingRules up = new ScalingRules();
      up.setStabilizationWindowSeconds(0);
      up.setPeriodSeconds(INTERVAL);
      ScalingRules down = new ScalingRules();
      down.setStabilizationWindowSeconds(SCALE_DOWN_WINDOW);
      down.setPeriodSeconds(INTERVAL);
      b.setScaleUp(up);
      b.setScaleDown(down);
      a.setBehavior(b);
      gen.setAutoscaling(a);
      cr.getSpec().getRouter().setMaxRetries(0); // a failed request is not hidden by a retry
      ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).resource(cr).create();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster d = get(ns);
                assertThat(Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY))
                    .as("Ready")
                    .isTrue();
                assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
                assertThat(d.getStatus().getGeneration().getAutoscaling())
                    .as("first evaluation recorded")
                    .isNotNull();
                assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas())
                    .isEqualTo(1);
              });

      AtomicInteger lowest = new AtomicInteger(Integer.MAX_VALUE);
      // the router of the router pod, which clients reach through the router Service
      SimulatedRouter router = bed.router(TIMEOUT);
      try (var watch =
          ns.client()
              .apps()
              .statefulSets()
              .inNamespace(ns.name())
              .withName("tinyllama-generation")
              .watch(new LowestReplicas(lowest))) {
        await().atMost(TIMEOUT).until(router::isReady);
        try (LoadClient load =
            LoadClient.builder(router.baseUri())
                .concurrency(4)
                .maxRequests(100_000)
                .maxDuration(Duration.ofSeconds(240))
                .start()) {
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 20);

          // Load step: every generation worker (also those started meanwhile) reports a full KV
          // cache.
          long stepUp = System.nanoTime();
          await()
              .atMost(Duration.ofSeconds(INTERVAL * 2L + 10))
              .pollInterval(Duration.ofMillis(200))
              .untilAsserted(
                  () -> {
                    kvCache(bed, 1.0);
                    assertThat(
                            get(ns)
                                .getStatus()
                                .getGeneration()
                                .getAutoscaling()
                                .getDesiredReplicas())
                        .isGreaterThanOrEqualTo(2);
                  });
          Duration firstStep = Duration.ofNanos(System.nanoTime() - stepUp);
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(200))
              .untilAsserted(
                  () -> {
                    kvCache(bed, 1.0);
                    DisaggCluster d = get(ns);
                    assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas())
                        .isEqualTo(3);
                    assertThat(d.getStatus().getGeneration().getDesiredReplicas()).isEqualTo(3);
                    assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(3);
                    assertThat(d.getStatus().getGeneration().getAutoscaling().getLimitedBy())
                        .contains(io.disagg.operator.api.v1alpha1.AutoscalingLimit.MaxInstances);
                  });
          assertThat(firstStep)
              .as("first scale-up within an evaluation interval (+ slack)")
              .isLessThan(Duration.ofSeconds(INTERVAL * 2L + 10));

          LoadClient.Summary afterUp = load.summary();
          assertThat(afterUp.failed())
              .as(
                  "failed client requests while scaling up: %s; router: %s",
                  afterUp.failuresByReason(), router.events())
              .isZero();

          // Load drop: the pool shrinks, drained, to minimalInstances and stays there.
          kvCache(bed, 0.0);
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(200))
              .untilAsserted(
                  () -> {
                    kvCache(bed, 0.0);
                    DisaggCluster d = get(ns);
                    assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas())
                        .isEqualTo(1);
                    assertThat(d.getStatus().getGeneration().getDrain()).isNull();
                    assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1);
                    assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
                  });
          await()
              .during(Duration.ofSeconds(INTERVAL * 2L + 1))
              .atMost(Duration.ofSeconds(INTERVAL * 2L + 20))
              .untilAsserted(
                  () -> {
                    assertThat(
                            get(ns)
                                .getStatus()
                                .getGeneration()
                                .getAutoscaling()
                                .getDesiredReplicas())
                        .isEqualTo(1);
                    assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1);
                  });
          long before = load.summary().succeeded();
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > before + 20);
          LoadClient.Summary summary = load.stop();

          assertThat(summary.failed())
              .as(
                  "failed client requests while scaling down: %s; router: %s",
                  summary.failuresByReason(), router.events())
              .isZero();
          assertThat(summary.succeeded()).isGreaterThan(100);
        }
      }
      assertThat(lowest.get()).as("lowest generation replicas ever applied").isEqualTo(1);
      List<Event> events = ns.client().v1().events().inNamespace(ns.name()).list().getItems();
      assertThat(events)
          .filteredOn(e -> "ScaledUp".equals(e.getReason()))
          .anySatisfy(
              e ->
                  assertThat(e.getMessage())
                      .startsWith("generation 1 -> 2")
                      .contains("KvCacheUtilization"));
      assertThat(events)
          .filteredOn(e -> "ScaledDown".equals(e.getReason()))
          .anySatisfy(e -> assertThat(e.getMessage()).startsWith("generation 3 -> "))
          .allSatisfy(e -> assertThat(e.getMessage()).doesNotContain("-> 0"));
      assertThat(
              METERS
                  .find(AutoscalingMetrics.DECISIONS)
                  .tags("namespace", ns.name(), "pool", "generation", "direction", "up")
                  .counter())
          .isNotNull()
          .satisfies(c -> assertThat(c.count()).isGreaterThanOrEqualTo(1));
      assertThat(
              METERS
                  .find(AutoscalingMetrics.DESIRED_REPLICAS)
                  .tags("namespace", ns.name(), "pool", "generation")
                  .gauge())
          .isNotNull()
          .satisfies(g -> assertThat(g.value()).isEqualTo(1.0));
      assertThat(
              METERS
                  .find(AutoscalingMetrics.OBSERVED_LOAD)
                  .tags(
                      "namespace", ns.name(), "pool", "generation", "metric", "KvCacheUtilization")
                  .gauge())
          .isNotNull();

      // Deleting the cluster removes its operator metrics (JOSDK delete event, no finalizer).
      ns.client()
          .resources(DisaggCluster.class)
          .inNamespace(ns.name())
          .withName("tinyllama")
          .delete();
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                assertThat(
                        METERS
                            .find(AutoscalingMetrics.DESIRED_REPLICAS)
                            .tags("namespace", ns.name())
                            .gauge())
                    .isNull();
                assertThat(
                        METERS
                            .find(AutoscalingMetrics.OBSERVED_LOAD)
                            .tags("namespace", ns.name())
                            .gauge())
                    .isNull();
                assertThat(
                        METERS
                            .find(AutoscalingMetrics.DECISIONS)
                            .tags("namespace", ns.name())
                            .counter())
                    .isNull();
              });
    }
  }

  /**
   * Generation autoscaling 1..max with a per-step limit of one instance per {@code periodSeconds}.
   */
  private static PoolAutoscalingSpec oneStepAtATime(
      int interval, int periodSeconds, int scaleDownWindow, AutoscalingMetricSpec metric) {
    PoolAutoscalingSpec a = new PoolAutoscalingSpec();
    a.setEnabled(true);
    a.setEvaluationIntervalSeconds(interval);
    a.setMetrics(new ArrayList<>(List.of(metric)));
    AutoscalingBehavior b = new AutoscalingBehavior();
    ScalingRules up = new ScalingRules();
    up.setStabilizationWindowSeconds(0);
    up.setMaxInstancesPerStep(1);
    up.setPeriodSeconds(periodSeconds);
    ScalingRules down = new ScalingRules();
    down.setStabilizationWindowSeconds(scaleDownWindow);
    down.setPeriodSeconds(periodSeconds);
    b.setScaleUp(up);
    b.setScaleDown(down);
    a.setBehavior(b);
    return a;
  }

  @Test
  void operatorRestartInTheMiddleOfAScaleUpNeitherEvaluatesAtOnceNorLosesTheStep(TestNamespace ns)
      throws Exception {
    // A long interval and a 1 s step period: after a restart, only the persisted last evaluation
    // time keeps the new operator from deciding the next step at once.
    int interval = 20;
    try (Testbed bed = Testbed.start(ns, 100)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      var gen = cr.getSpec().getGeneration();
      gen.setReplicas(1);
      gen.setMinimalInstances(1);
      gen.setMaxInstances(3);
      gen.setAutoscaling(
          oneStepAtATime(
              interval,
              1,
              300,
              new AutoscalingMetricSpec(AutoscalingMetricType.KvCacheUtilization, 0.8)));
      cr.getSpec().getRouter().setMaxRetries(0); // a failed request is not hidden by a retry
      ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).resource(cr).create();
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster d = get(ns);
                assertThat(Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY))
                    .as("Ready")
                    .isTrue();
                assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
                assertThat(d.getStatus().getGeneration().getAutoscaling().getLastEvaluationTime())
                    .isNotNull();
              });

      ConcurrentSkipListSet<Instant> evaluations = new ConcurrentSkipListSet<>();
      // the router of the router pod, which clients reach through the router Service
      SimulatedRouter router = bed.router(TIMEOUT);
      try (var watch =
          ns.client()
              .resources(DisaggCluster.class)
              .inNamespace(ns.name())
              .withName("tinyllama")
              .watch(new EvaluationTimes(evaluations))) {
        await().atMost(TIMEOUT).until(router::isReady);
        try (LoadClient load =
            LoadClient.builder(router.baseUri())
                .concurrency(4)
                .maxRequests(100_000)
                .maxDuration(Duration.ofSeconds(240))
                .start()) {
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 20);

          // Load step: the next evaluation decides 1 -> 2 (one instance per step).
          await()
              .atMost(Duration.ofSeconds(interval * 2L + 10))
              .pollInterval(Duration.ofMillis(100))
              .untilAsserted(
                  () -> {
                    kvCache(bed, 1.0);
                    assertThat(
                            get(ns)
                                .getStatus()
                                .getGeneration()
                                .getAutoscaling()
                                .getDesiredReplicas())
                        .isEqualTo(2);
                  });
          PoolAutoscalingStatus decided = get(ns).getStatus().getGeneration().getAutoscaling();
          Instant firstStep = Instant.parse(decided.getLastScaleTime());
          assertThat(decided.getLastEvaluationTime())
              .as("a decision is written with its evaluation time")
              .isEqualTo(decided.getLastScaleTime());

          // Restart at once, well within the interval.
          bed.stopOperator();
          bed.startOperator();
          long restartedAt = System.nanoTime();

          // The new operator takes over (the new worker registers) but evaluates only once the
          // interval after the persisted evaluation is over, then takes the next step, 2 -> 3.
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(200))
              .untilAsserted(
                  () -> {
                    kvCache(bed, 1.0);
                    DisaggCluster d = get(ns);
                    assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas())
                        .isEqualTo(3);
                    assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(3);
                    assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(3);
                  });
          assertThat(Duration.ofNanos(System.nanoTime() - restartedAt))
              .as("the restart happened well within the interval")
              .isLessThan(Duration.ofSeconds(interval * 3L));
          PoolAutoscalingStatus after = get(ns).getStatus().getGeneration().getAutoscaling();
          Instant secondStep = Instant.parse(after.getLastScaleTime());
          assertThat(Duration.between(firstStep, secondStep))
              .as("no step before a full interval after the first")
              .isGreaterThanOrEqualTo(Duration.ofSeconds(interval - 1));
          List<Instant> seen = new ArrayList<>(evaluations);
          for (int i = 1; i < seen.size(); i++) {
            assertThat(Duration.between(seen.get(i - 1), seen.get(i)))
                .as("evaluations written: %s", seen)
                .isGreaterThanOrEqualTo(Duration.ofSeconds(interval - 1));
          }

          LoadClient.Summary summary = load.stop();
          assertThat(summary.failed())
              .as(
                  "failed client requests: %s; router: %s",
                  summary.failuresByReason(), router.events())
              .isZero();
          assertThat(summary.succeeded()).isGreaterThan(20);
        }
      }
      List<Event> events = ns.client().v1().events().inNamespace(ns.name()).list().getItems();
      assertThat(events)
          .filteredOn(e -> "ScaledUp".equals(e.getReason()))
          .extracting(Event::getMessage)
          .as("exactly two steps, one per operator")
          .hasSize(2)
          .anySatisfy(m -> assertThat(m).startsWith("generation 1 -> 2"))
          .anySatisfy(m -> assertThat(m).startsWith("generation 2 -> 3"));
    }
  }

  @Test
  void routerSourceGrowsThePoolUnderLoadAndShrinksItWhenTheLoadStops(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 150)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      var gen = cr.getSpec().getGeneration();
      gen.setReplicas(1);
      gen.setMinimalInstances(1);
      gen.setMaxInstances(3);
      PoolAutoscalingSpec a =
          oneStepAtATime(
              INTERVAL,
              INTERVAL,
              SCALE_DOWN_WINDOW,
              new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 1.0));
      a.setSource(MetricsSource.Router);
      gen.setAutoscaling(a);
      cr.getSpec().getRouter().setMaxRetries(0); // a failed request is not hidden by a retry
      ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).resource(cr).create();
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster d = get(ns);
                assertThat(Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY))
                    .as("Ready")
                    .isTrue();
                assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
              });
      // The router pod's router: on the pod's loopback IP and the router port, where the
      // operator scrapes its /prometheus/metrics/.
      SimulatedRouter router = bed.router(TIMEOUT);
      {
        await().atMost(TIMEOUT).until(router::isReady);

        LoadClient.Summary summary;
        try (LoadClient load =
            LoadClient.builder(router.baseUri())
                .concurrency(8)
                .maxRequests(100_000)
                .maxDuration(Duration.ofSeconds(240))
                .start()) {
          // About 4 of the 8 concurrent requests are in the generation phase: 4 per instance > 1.
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(200))
              .untilAsserted(
                  () -> {
                    DisaggCluster d = get(ns);
                    PoolAutoscalingStatus s = d.getStatus().getGeneration().getAutoscaling();
                    assertThat(s.getDesiredReplicas()).isEqualTo(3);
                    assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(3);
                    // The endpoints of the generation workers running now: a worker replaced
                    // meanwhile (e.g. restarted by self-healing) leaves its old endpoint in the
                    // router's counts, so those are not expected to be exactly three.
                    Set<String> running =
                        bed.kubelet().workers().values().stream()
                            .filter(w -> w.role() == WorkerRole.GENERATION)
                            .map(SimulatedWorker::endpoint)
                            .collect(Collectors.toSet());
                    assertThat(running).as("generation workers running").hasSize(3);
                    assertThat(router.routedCounts(WorkerRole.GENERATION).keySet())
                        .as("the new instances serve")
                        .containsAll(running);
                  });
          assertThat(get(ns).getStatus().getGeneration().getAutoscaling().getLastScaleReason())
              .as("decided from the router's counters")
              .contains("InFlightRequests")
              .contains("/instance");
          summary = load.stop();
        }
        assertThat(summary.failed())
            .as(
                "failed client requests: %s; router: %s",
                summary.failuresByReason(), router.events())
            .isZero();

        // No load: nothing in flight, back to minimalInstances after the scale-down window,
        // drained.
        await()
            .atMost(TIMEOUT)
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(
                () -> {
                  DisaggCluster d = get(ns);
                  assertThat(router.inFlight(WorkerRole.GENERATION)).isZero();
                  assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas())
                      .isEqualTo(1);
                  assertThat(d.getStatus().getGeneration().getDrain()).isNull();
                  assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1);
                });
      }
    }
  }

  /** Records every distinct {@code status.generation.autoscaling.lastEvaluationTime} written. */
  private record EvaluationTimes(ConcurrentSkipListSet<Instant> times)
      implements Watcher<DisaggCluster> {
    @Override
    public void eventReceived(Action action, DisaggCluster d) {
      if (d.getStatus() != null
          && d.getStatus().getGeneration().getAutoscaling() != null
          && d.getStatus().getGeneration().getAutoscaling().getLastEvaluationTime() != null) {
        times.add(
            Instant.parse(d.getStatus().getGeneration().getAutoscaling().getLastEvaluationTime()));
      }
    }

    @Override
    public void onClose(WatcherException cause) {}
  }

  /** Sets the KV-cache utilisation every running generation worker reports. */
  private static void kvCache(Testbed bed, double fraction) {
    for (SimulatedWorker w : bed.kubelet().workers().values()) {
      if (w.role() == io.disagg.e2e.trtllm.WorkerRole.GENERATION) {
        w.setKvCacheUtilization(fraction);
      }
    }
  }

  private static DisaggCluster get(TestNamespace ns) {
    return ns.client()
        .resources(DisaggCluster.class)
        .inNamespace(ns.name())
        .withName("tinyllama")
        .get();
  }

  private static StatefulSet sts(TestNamespace ns) {
    return ns.client()
        .apps()
        .statefulSets()
        .inNamespace(ns.name())
        .withName("tinyllama-generation")
        .get();
  }

  /** Records the lowest {@code spec.replicas} the generation StatefulSet ever had. */
  private record LowestReplicas(AtomicInteger lowest) implements Watcher<StatefulSet> {
    @Override
    public void eventReceived(Action action, StatefulSet s) {
      if (s.getSpec() != null && s.getSpec().getReplicas() != null) {
        lowest.accumulateAndGet(s.getSpec().getReplicas(), Math::min);
      }
    }

    @Override
    public void onClose(WatcherException cause) {}
  }
}
