package io.disagg.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.disagg.operator.api.v1alpha1.AutoscalingLimit;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.DrainedPod;
import io.disagg.operator.api.v1alpha1.MetricsSource;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.api.v1alpha1.PrometheusSourceSpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.PrometheusQueryClient;
import io.disagg.operator.metrics.PrometheusQueryResult;
import io.disagg.operator.metrics.RouterLoad;
import io.disagg.operator.metrics.RouterMetricsClient;
import io.disagg.operator.metrics.WorkerLoad;
import io.disagg.operator.metrics.WorkerMetricsClient;
import io.disagg.operator.model.Labels;
import io.disagg.operator.scaling.AutoscalingMetrics;
import io.disagg.operator.testing.Fixtures;
import io.disagg.operator.testing.MutableClock;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reconciler's autoscaling step with fake source clients: the Router and Prometheus sources,
 * what is persisted for an operator restart, and no status churn within an interval.
 */
class AutoscalingStepTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final MutableClock clock = new MutableClock(T0);
  private final FakeRouter router = new FakeRouter();
  private final FakePrometheus prometheus = new FakePrometheus();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AutoscalingMetrics meters = new AutoscalingMetrics(registry);
  private final WorkerMetricsClient workers =
      new WorkerMetricsClient() {
        @Override
        public Optional<WorkerLoad> load(String host, int port) {
          return Optional.empty();
        }
      };

  @BeforeEach
  void reset() {
    clock.at(0);
  }

  private AutoscalingStep step() {
    return new AutoscalingStep(clock, workers, router, prometheus, meters);
  }

  private static DisaggCluster cluster(MetricsSource source, AutoscalingMetricSpec... metrics) {
    DisaggCluster cr = Fixtures.minimal("serving", "demo");
    cr.getMetadata().setUid("uid-1");
    var gen = cr.getSpec().getGeneration();
    gen.setReplicas(1);
    gen.setMinimalInstances(1);
    gen.setMaxInstances(4);
    PoolAutoscalingSpec a = new PoolAutoscalingSpec();
    a.setEnabled(true);
    a.setSource(source);
    a.setEvaluationIntervalSeconds(15);
    a.setMetrics(new ArrayList<>(List.of(metrics)));
    if (source == MetricsSource.Prometheus) {
      PrometheusSourceSpec p = new PrometheusSourceSpec();
      p.setUrl("http://prometheus.monitoring.svc:9090");
      a.setPrometheus(p);
    }
    gen.setAutoscaling(a);
    cr.setStatus(new DisaggClusterStatus());
    return cr;
  }

  private static Pod pod(String name, String component, String ip) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("serving")
        .withLabels(
            Map.of(
                Labels.INSTANCE,
                "demo",
                Labels.COMPONENT,
                component,
                Labels.MANAGED_BY,
                Labels.MANAGER))
        .endMetadata()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus()
        .build();
  }

  /** The first revision (legacy names): two context workers, the generation workers, routers. */
  private static AutoscalingStep.Scaled pods(int generation, int routers) {
    return revision("demo-context", "demo-generation", generation, routers, Map.of());
  }

  private static AutoscalingStep.Scaled revision(
      String context,
      String generationSet,
      int generation,
      int routers,
      Map<Pool, DrainStatus> drains) {
    List<Pod> out = new ArrayList<>();
    out.add(pod(context + "-0", "context", "127.1.0.1"));
    out.add(pod(context + "-1", "context", "127.1.0.2"));
    for (int i = 0; i < generation; i++) {
      out.add(pod(generationSet + "-" + i, "generation", "127.1.1." + (i + 1)));
    }
    for (int i = 0; i < routers; i++) {
      out.add(pod("demo-router-abc" + i, Labels.ROUTER_COMPONENT, "127.1.2." + (i + 1)));
    }
    return new AutoscalingStep.Scaled(
        Map.of(Pool.CONTEXT, context, Pool.GENERATION, generationSet), out, drains);
  }

  @Test
  void readsTheServingRevisionsPodsAndLeavesOutTheOnesItDrains() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    cr.getSpec().getGeneration().setReplicas(3);
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 6.0));
    DrainStatus drain = new DrainStatus();
    DrainedPod drained = new DrainedPod();
    drained.setName("demo-ab12c-gen-1");
    drain.setPods(new ArrayList<>(List.of(drained)));
    AutoscalingStep.Scaled later =
        revision("demo-ab12c-ctx", "demo-ab12c-gen", 3, 1, Map.of(Pool.GENERATION, drain));
    List<Pod> withOlder = new ArrayList<>(later.pods());
    // A pod of the legacy-named revision, still present while it retires: not this pool's.
    withOlder.add(pod("demo-generation-0", "generation", "127.1.1.9"));

    AutoscalingStep.Result r =
        step()
            .run(
                cr,
                new AutoscalingStep.Scaled(later.statefulSets(), withOlder, later.drains()),
                true);

    assertThat(r.statuses().get(Pool.GENERATION).getObservedLoad())
        .singleElement()
        .satisfies(
            m ->
                assertThat(m.getInstances())
                    .as(
                        "demo-ab12c-gen-0 and -2: -1 drains, demo-generation-0 is another revision's")
                    .isEqualTo(2));
    assertThatThrownBy(
            () ->
                new AutoscalingStep.Scaled(Map.of(Pool.CONTEXT, "x"), List.of(), Map.of())
                    .statefulSet(Pool.GENERATION))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("generation");
  }

  /** What the reconciler writes: the result's statuses put into the cluster's status. */
  private static void persist(DisaggCluster cr, AutoscalingStep.Result r) {
    for (Pool pool : Pool.values()) {
      cr.getStatus().pool(pool).setAutoscaling(r.statuses().get(pool));
    }
  }

  private static String json(Object o) {
    return JSON.asJson(o);
  }

  @Test
  void routerSourceSizesThePoolFromTheRequestsInFlightPerReadyInstance() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    router.loads.put("127.1.2.1", new RouterLoad(1.0, 4.0));
    router.loads.put("127.1.2.2", new RouterLoad(0.0, 2.0));

    AutoscalingStep.Result r = step().run(cr, pods(1, 2), true);

    assertThat(router.calls.get())
        .as("every ready router replica is read, once for both pools")
        .isEqualTo(2);
    assertThat(r.targets().get(Pool.GENERATION))
        .as("6 in flight over 1 instance, target 2")
        .isEqualTo(3);
    PoolAutoscalingStatus s = r.statuses().get(Pool.GENERATION);
    assertThat(s.getObservedLoad())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getType()).isEqualTo(AutoscalingMetricType.InFlightRequests);
              assertThat(m.getAverage()).isEqualTo(6.0);
              assertThat(m.getInstances()).isEqualTo(1);
            });
    assertThat(s.getLastEvaluationTime()).isEqualTo("2026-01-01T00:00:00Z");
  }

  @Test
  void anUnreadableRouterReplicaHoldsThePoolAndSaysWhy() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    cr.getSpec().getGeneration().setReplicas(3);
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 0.0));
    // 127.1.2.2 answers nothing: a partial sum would understate the load and lower the pool.

    AutoscalingStep.Result r = step().run(cr, pods(3, 2), true);

    assertThat(r.targets().get(Pool.GENERATION)).isEqualTo(3);
    PoolAutoscalingStatus s = r.statuses().get(Pool.GENERATION);
    assertThat(s.getLimitedBy()).contains(AutoscalingLimit.MissingMetrics);
    assertThat(s.getMessage())
        .contains(
            "source Router: router [demo-router-abc1] /prometheus/metrics/ could not be read");

    router.loads.clear();
    clock.at(15);
    AutoscalingStep.Result none = step().run(cr, pods(3, 0), true);
    assertThat(none.targets().get(Pool.GENERATION)).isEqualTo(3);
    assertThat(none.statuses().get(Pool.GENERATION).getMessage()).contains("no ready router pod");
  }

  @Test
  void prometheusSourceTakesTheQueryResultAsThePerInstanceAverage() {
    AutoscalingMetricSpec kv =
        new AutoscalingMetricSpec(AutoscalingMetricType.KvCacheUtilization, 0.8);
    kv.setQuery("avg(trtllm_kv_cache_utilization{pod=~\"demo-generation-[0-9]+\"})");
    AutoscalingMetricSpec running =
        new AutoscalingMetricSpec(AutoscalingMetricType.RunningRequests, 10.0);
    running.setQuery("avg(trtllm_num_requests_running{pod=~\"demo-generation-[0-9]+\"})");
    DisaggCluster cr = cluster(MetricsSource.Prometheus, kv, running);
    cr.getSpec().getGeneration().setReplicas(2);
    prometheus.results.put(kv.getQuery(), PrometheusQueryResult.of(0.9));
    prometheus.results.put(
        running.getQuery(), PrometheusQueryResult.failed("no data (empty result)"));

    AutoscalingStep.Result r = step().run(cr, pods(2, 1), true);

    assertThat(prometheus.urls).containsOnly("http://prometheus.monitoring.svc:9090");
    assertThat(r.targets().get(Pool.GENERATION)).as("0.9 * 2 instances / 0.8 = 2.25").isEqualTo(3);
    PoolAutoscalingStatus s = r.statuses().get(Pool.GENERATION);
    assertThat(s.getMessage())
        .contains("source Prometheus, RunningRequests: no data (empty result)");

    // The only metric fails: held, never lowered.
    prometheus.results.put(kv.getQuery(), PrometheusQueryResult.failed("HTTP 503"));
    prometheus.results.put(running.getQuery(), PrometheusQueryResult.of(0.0));
    cr.getSpec().getGeneration().getAutoscaling().setMetrics(new ArrayList<>(List.of(kv)));
    persist(cr, r);
    clock.at(400);
    AutoscalingStep.Result held = step().run(cr, pods(3, 1), true);
    assertThat(held.targets().get(Pool.GENERATION)).isEqualTo(3);
    assertThat(held.statuses().get(Pool.GENERATION).getLimitedBy())
        .contains(AutoscalingLimit.MissingMetrics);
  }

  @Test
  void comesBackAfterTheShortestEvaluationIntervalOfTheAutoscaledPools() {
    assertThat(step().run(Fixtures.minimal("serving", "fixed"), pods(1, 1), true).requeueAfter())
        .as("no pool autoscaled")
        .isNull();

    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    PoolAutoscalingSpec slow = new PoolAutoscalingSpec();
    slow.setEnabled(true);
    slow.setSource(MetricsSource.Router);
    slow.setEvaluationIntervalSeconds(40);
    slow.setMetrics(
        new ArrayList<>(
            List.of(new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0))));
    cr.getSpec().getContext().setMaxInstances(4);
    cr.getSpec().getContext().setAutoscaling(slow);
    router.loads.put("127.1.2.1", new RouterLoad(2.0, 2.0));

    AutoscalingStep.Result r = step().run(cr, pods(1, 1), true);

    assertThat(r.statuses()).containsOnlyKeys(Pool.CONTEXT, Pool.GENERATION);
    assertThat(r.requeueAfter())
        .as("generation every 15 s, context every 40 s")
        .isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void aRestartedOperatorWaitsForTheRestOfTheIntervalAndKeepsTheWindow() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 6.0));
    AutoscalingStep.Result first = step().run(cr, pods(1, 1), true);
    assertThat(first.changes()).hasSize(1);
    assertThat(first.targets().get(Pool.GENERATION)).isEqualTo(3);
    persist(cr, first);
    String written = json(cr.getStatus());

    // A new process (empty memory) 5 s later: no evaluation, nothing new to write, back in 10 s.
    router.calls.set(0);
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 20.0));
    clock.at(5);
    AutoscalingStep restarted = step();
    AutoscalingStep.Result early = restarted.run(cr, pods(3, 1), true);
    assertThat(router.calls.get()).isZero();
    assertThat(early.changes()).isEmpty();
    assertThat(early.targets().get(Pool.GENERATION)).isEqualTo(3);
    persist(cr, early);
    assertThat(json(cr.getStatus())).isEqualTo(written);
    assertThat(early.requeueAfter()).isEqualTo(Duration.ofSeconds(10));

    // Once the interval is over, it evaluates and continues from the persisted state.
    clock.at(15);
    AutoscalingStep.Result next = restarted.run(cr, pods(3, 1), true);
    assertThat(router.calls.get()).isEqualTo(1);
    assertThat(next.targets().get(Pool.GENERATION)).isEqualTo(4);
    assertThat(next.statuses().get(Pool.GENERATION).getLastEvaluationTime())
        .isEqualTo("2026-01-01T00:00:15Z");
  }

  @Test
  void aRestartAfterALoadDropStillWaitsForTheScaleDownWindow() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    cr.getSpec().getGeneration().setReplicas(3);
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 6.0));
    AutoscalingStep.Result r = step().run(cr, pods(3, 1), true);
    persist(cr, r);
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 0.0));
    for (int t = 15; t <= 285; t += 15) {
      clock.at(t);
      r = step().run(cr, pods(3, 1), true); // a new operator process every time
      persist(cr, r);
      assertThat(r.targets().get(Pool.GENERATION))
          .as("at %ds, within the 300 s scale-down window", t)
          .isEqualTo(3);
    }
    clock.at(315);
    r = step().run(cr, pods(3, 1), true);
    assertThat(r.targets().get(Pool.GENERATION)).isEqualTo(1);
  }

  @Test
  void anUnchangedClusterReconciledTwiceWithinTheIntervalWritesNothing() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 2.0));
    AutoscalingStep step = step();
    persist(cr, step.run(cr, pods(1, 1), true));
    String written = json(cr.getStatus());
    clock.at(3);
    persist(cr, step.run(cr, pods(1, 1), true));
    assertThat(json(cr.getStatus())).isEqualTo(written);
    clock.at(7);
    persist(cr, step.run(cr, pods(1, 1), true));
    assertThat(json(cr.getStatus())).isEqualTo(written);
    assertThat(router.calls.get()).isEqualTo(1);

    // A quiet evaluation (same decision) is not written before a minute has passed.
    clock.at(15);
    persist(cr, step.run(cr, pods(1, 1), true));
    assertThat(router.calls.get()).isEqualTo(2);
    assertThat(json(cr.getStatus())).isEqualTo(written);
  }

  @Test
  void forgettingADeletedClusterRemovesItsMeters() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 6.0));
    AutoscalingStep step = step();
    step.run(cr, pods(1, 1), true);
    assertThat(registry.find(AutoscalingMetrics.DESIRED_REPLICAS).tag("name", "demo").gauge())
        .isNotNull();
    assertThat(registry.find(AutoscalingMetrics.DECISIONS).tag("name", "demo").counter())
        .isNotNull();

    step.forget(cr);

    assertThat(registry.find(AutoscalingMetrics.DESIRED_REPLICAS).tag("name", "demo").gauge())
        .isNull();
    assertThat(registry.find(AutoscalingMetrics.OBSERVED_LOAD).tag("name", "demo").gauge())
        .isNull();
    assertThat(registry.find(AutoscalingMetrics.TARGET).tag("name", "demo").gauge()).isNull();
    assertThat(registry.find(AutoscalingMetrics.DECISIONS).tag("name", "demo").counter()).isNull();
  }

  @Test
  void aReconcileThatFinishesAfterTheDeleteEventLeavesNoMetersBehind() {
    DisaggCluster cr =
        cluster(
            MetricsSource.Router,
            new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0));
    router.loads.put("127.1.2.1", new RouterLoad(0.0, 6.0));
    AutoscalingStep step = step();
    // The delete event is handled while a reconcile of the cluster is still running: that
    // reconcile records its evaluation after forget() cleaned up.
    step.forget(cr);
    step.run(cr, pods(1, 1), true);

    assertThat(registry.find(AutoscalingMetrics.DESIRED_REPLICAS).tag("name", "demo").gauge())
        .isNull();
    assertThat(registry.find(AutoscalingMetrics.DECISIONS).tag("name", "demo").counter()).isNull();
  }

  private static final class FakeRouter extends RouterMetricsClient {
    final Map<String, RouterLoad> loads = new HashMap<>();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public Optional<RouterLoad> load(String host, int port) {
      calls.incrementAndGet();
      return Optional.ofNullable(loads.get(host));
    }
  }

  private static final class FakePrometheus extends PrometheusQueryClient {
    final Map<String, PrometheusQueryResult> results = new HashMap<>();
    final List<String> urls = new ArrayList<>();

    @Override
    public PrometheusQueryResult query(String baseUrl, String promql) {
      urls.add(baseUrl);
      return results.getOrDefault(promql, PrometheusQueryResult.failed("unknown query"));
    }
  }
}
