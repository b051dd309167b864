package io.disagg.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.api.v1alpha1.AutoscalingBehavior;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.ScalingRules;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.TestNamespace;
import io.disagg.operator.testing.Testbed;
import io.disagg.operator.testing.trtllm.DisaggClusterSettings;
import io.disagg.operator.testing.trtllm.LoadClient;
import io.disagg.operator.testing.trtllm.SimulatedRouter;
import io.disagg.operator.testing.trtllm.SimulatedWorker;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Load-based autoscaling of the generation pool end to end: real reconciler, real etcd,
 * simulated workers whose exported KV-cache utilisation the test sets, a simulated router in
 * front and a client sending requests through it the whole time. A load step grows the pool, a
 * load drop shrinks it (drained: zero failed requests) to exactly minimalInstances, never below.
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
  void loadStepGrowsTheGenerationPoolAndLoadDropShrinksItToMinimalInstancesWithZeroFailedRequests(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 100)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      var gen = cr.getSpec().getGeneration();
      gen.setReplicas(1);
      gen.setMinimalInstances(1);
      gen.setMaxInstances(3);
      PoolAutoscalingSpec a = new PoolAutoscalingSpec();
      a.setEnabled(true);
      a.setEvaluationIntervalSeconds(INTERVAL);
      a.setMetrics(new ArrayList<>(List.of(new AutoscalingMetricSpec(AutoscalingMetricType.KvCacheUtilization, 0.8))));
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
      ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).resource(cr).create();

      await().atMost(TIMEOUT).untilAsserted(() -> {
        DisaggCluster d = get(ns);
        assertThat(Conditions.isTrue(d.getStatus().getConditions(), Conditions.READY)).as("Ready").isTrue();
        assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
        assertThat(d.getStatus().getGeneration().getAutoscaling()).as("first evaluation recorded").isNotNull();
        assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas()).isEqualTo(1);
      });

      AtomicInteger lowest = new AtomicInteger(Integer.MAX_VALUE);
      try (Client etcd = bed.etcd().newClient();
          SimulatedRouter router = SimulatedRouter.builder(DisaggClusterSettings.of(ns.name() + ".tinyllama", 5, 10))
              .etcd(etcd).maxRetries(0).start();
          var watch = ns.client().apps().statefulSets().inNamespace(ns.name()).withName("tinyllama-generation")
              .watch(new LowestReplicas(lowest))) {
        await().atMost(TIMEOUT).until(router::isReady);
        try (LoadClient load = LoadClient.builder(router.baseUri()).concurrency(4).maxRequests(100_000)
            .maxDuration(Duration.ofSeconds(240)).start()) {
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 20);

          // Load step: every generation worker (also those started meanwhile) reports a full KV cache.
          long stepUp = System.nanoTime();
          await().atMost(Duration.ofSeconds(INTERVAL * 2L + 10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            kvCache(bed, 1.0);
            assertThat(get(ns).getStatus().getGeneration().getAutoscaling().getDesiredReplicas()).isGreaterThanOrEqualTo(2);
          });
          Duration firstStep = Duration.ofNanos(System.nanoTime() - stepUp);
          await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            kvCache(bed, 1.0);
            DisaggCluster d = get(ns);
            assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas()).isEqualTo(3);
            assertThat(d.getStatus().getGeneration().getDesiredReplicas()).isEqualTo(3);
            assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(3);
            assertThat(d.getStatus().getGeneration().getAutoscaling().getLimitedBy()).contains(
                io.disagg.operator.api.v1alpha1.AutoscalingLimit.MaxInstances);
          });
          assertThat(firstStep).as("first scale-up within an evaluation interval (+ slack)")
              .isLessThan(Duration.ofSeconds(INTERVAL * 2L + 10));

          LoadClient.Summary afterUp = load.summary();
          assertThat(afterUp.failed()).as("failed client requests while scaling up: %s; router: %s", afterUp.failuresByReason(), router.events()).isZero();

          // Load drop: the pool shrinks, drained, to minimalInstances and stays there.
          kvCache(bed, 0.0);
          await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            kvCache(bed, 0.0);
            DisaggCluster d = get(ns);
            assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas()).isEqualTo(1);
            assertThat(d.getStatus().getGeneration().getDrain()).isNull();
            assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1);
            assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
          });
          await().during(Duration.ofSeconds(INTERVAL * 2L + 1)).atMost(Duration.ofSeconds(INTERVAL * 2L + 20))
              .untilAsserted(() -> {
                assertThat(get(ns).getStatus().getGeneration().getAutoscaling().getDesiredReplicas()).isEqualTo(1);
                assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1);
              });
          long before = load.summary().succeeded();
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > before + 20);
          LoadClient.Summary summary = load.stop();

          assertThat(summary.failed()).as("failed client requests while scaling down: %s; router: %s", summary.failuresByReason(), router.events()).isZero();
          assertThat(summary.succeeded()).isGreaterThan(100);
        }
      }
      assertThat(lowest.get()).as("lowest generation replicas ever applied").isEqualTo(1);
      List<Event> events = ns.client().v1().events().inNamespace(ns.name()).list().getItems();
      assertThat(events).filteredOn(e -> "ScaledUp".equals(e.getReason()))
          .anySatisfy(e -> assertThat(e.getMessage()).startsWith("generation 1 -> 2").contains("KvCacheUtilization"));
      assertThat(events).filteredOn(e -> "ScaledDown".equals(e.getReason()))
          .anySatisfy(e -> assertThat(e.getMessage()).startsWith("generation 3 -> "))
          .allSatisfy(e -> assertThat(e.getMessage()).doesNotContain("-> 0"));
      assertThat(METERS.find(AutoscalingMetrics.DECISIONS).tags("namespace", ns.name(), "pool", "generation", "direction", "up")
          .counter()).isNotNull().satisfies(c -> assertThat(c.count()).isGreaterThanOrEqualTo(1));
      assertThat(METERS.find(AutoscalingMetrics.DESIRED_REPLICAS).tags("namespace", ns.name(), "pool", "generation")
          .gauge()).isNotNull().satisfies(g -> assertThat(g.value()).isEqualTo(1.0));
      assertThat(METERS.find(AutoscalingMetrics.OBSERVED_LOAD)
          .tags("namespace", ns.name(), "pool", "generation", "metric", "KvCacheUtilization").gauge()).isNotNull();
    }
  }

  /** Sets the KV-cache utilisation every running generation worker reports. */
  private static void kvCache(Testbed bed, double fraction) {
    for (SimulatedWorker w : bed.kubelet().workers().values()) {
      if (w.role() == io.disagg.operator.testing.trtllm.WorkerRole.GENERATION) {
        w.setKvCacheUtilization(fraction);
      }
    }
  }

  private static DisaggCluster get(TestNamespace ns) {
    return ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).withName("tinyllama").get();
  }

  private static StatefulSet sts(TestNamespace ns) {
    return ns.client().apps().statefulSets().inNamespace(ns.name()).withName("tinyllama-generation").get();
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
