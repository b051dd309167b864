package io.disagg.e2e.scaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.e2e.trtllm.SimulatedRouter;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.TestNamespace;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lowering a pool's replicas while a client drives load through the router: the operator
 * deregisters the removed workers in etcd first, waits for their in-flight requests, and only then
 * lowers the StatefulSet; the client sees no failed request. An operator killed in the middle of a
 * drain is replaced by a new one that finishes it.
 */
@ClusterTest
class SafeScaleDownIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @BeforeAll
  static void crd() {
    try (var c = io.disagg.operator.testing.LocalCluster.newClient()) {
      io.disagg.operator.testing.Samples.installCrd(c);
    }
  }

  @Test
  void scaleDownDeregistersFirstWaitsForInFlightThenScalesWithZeroFailedRequests(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 150)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      cr.getSpec().getGeneration().setReplicas(3);
      cr.getSpec().getRouter().setMaxRetries(0); // a dropped request is not hidden by a retry
      create(ns, cr);
      awaitServing(ns, 2, 3);

      // What each StatefulSet scale-down looked like at the moment it happened.
      List<String> violations = new CopyOnWriteArrayList<>();
      Map<Integer, Boolean> observedScaleDowns = new ConcurrentHashMap<>();
      // the router of the router pod, which clients reach through the router Service
      SimulatedRouter router = bed.router(TIMEOUT);
      try (Client etcd = bed.etcd().newClient();
          var watch =
              ns.client()
                  .apps()
                  .statefulSets()
                  .inNamespace(ns.name())
                  .withName("tinyllama-generation")
                  .watch(new ScaleDownChecker(bed, etcd, ns, violations, observedScaleDowns))) {
        await().atMost(TIMEOUT).until(router::isReady);
        try (LoadClient load =
            LoadClient.builder(router.baseUri())
                .concurrency(6)
                .maxRequests(50_000)
                .maxDuration(Duration.ofSeconds(90))
                .start()) {
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 30);

          patch(ns, "{\"spec\":{\"generation\":{\"replicas\":1}}}");

          await()
              .atMost(TIMEOUT)
              .untilAsserted(
                  () -> {
                    DisaggCluster d = get(ns);
                    assertThat(d.getStatus().getGeneration().getDrain()).isNull();
                    assertThat(d.getStatus().getGeneration().getReplicas()).isEqualTo(1);
                    assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
                  });
          long before = load.summary().succeeded();
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > before + 30);
          LoadClient.Summary summary = load.stop();

          assertThat(observedScaleDowns).as("the StatefulSet was lowered to 1").containsKey(1);
          assertThat(violations)
              .as("state of etcd and workers when the StatefulSet was lowered")
              .isEmpty();
          assertThat(summary.failed())
              .as("failed client requests: %s", summary.failuresByReason())
              .isZero();
          assertThat(summary.succeeded()).isGreaterThan(60);
        }
      }
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .anySatisfy(
              e ->
                  assertThat(e.getMessage())
                      .contains("draining [tinyllama-generation-1, tinyllama-generation-2]"))
          .anySatisfy(
              e ->
                  assertThat(e.getMessage())
                      .contains("drained [tinyllama-generation-1, tinyllama-generation-2]"));
    }
  }

  @Test
  void anOperatorKilledMidDrainIsReplacedByOneThatFinishesIt(TestNamespace ns) throws Exception {
    try (Testbed bed = Testbed.start(ns, 4000)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      cr.getSpec().getGeneration().setReplicas(2);
      cr.getSpec().getRouter().setMaxRetries(0);
      create(ns, cr);
      awaitServing(ns, 2, 2);

      SimulatedRouter router = bed.router(TIMEOUT);
      try (Client etcd = bed.etcd().newClient()) {
        await().atMost(TIMEOUT).until(router::isReady);
        try (LoadClient load =
            LoadClient.builder(router.baseUri())
                .concurrency(4)
                .maxRequests(10_000)
                .maxDuration(Duration.ofSeconds(90))
                .start()) {
          SimulatedWorker victim = bed.kubelet().awaitWorker("tinyllama-generation-1", TIMEOUT);
          // Long requests: the victim is busy when the drain starts.
          await().atMost(TIMEOUT).until(() -> victim.inFlight() > 0);
          patch(ns, "{\"spec\":{\"generation\":{\"replicas\":1}}}");

          // The drain is recorded and the victim left etcd, but it still serves: the operator
          // waits.
          await()
              .atMost(TIMEOUT)
              .untilAsserted(
                  () -> {
                    DisaggCluster d = get(ns);
                    assertThat(d.getStatus().getGeneration().getDrain()).isNotNull();
                    assertThat(d.getStatus().getGeneration().getDrain().getPods())
                        .extracting("name")
                        .containsExactly("tinyllama-generation-1");
                    assertThat(
                            d.getStatus()
                                .getGeneration()
                                .getDrain()
                                .getPods()
                                .get(0)
                                .getDeregistered())
                        .isNotEmpty();
                  });
          bed.stopOperator();
          assertThat(sts(ns).getSpec().getReplicas())
              .as("not lowered while requests were in flight")
              .isEqualTo(2);
          assertThat(registrations(etcd, ns)).noneMatch(v -> v.contains(victim.host() + "\""));

          bed.startOperator();
          await()
              .atMost(TIMEOUT)
              .untilAsserted(
                  () -> {
                    assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1);
                    assertThat(get(ns).getStatus().getGeneration().getDrain()).isNull();
                  });
          assertThat(victim.inFlight()).as("requests of the removed worker").isZero();
          LoadClient.Summary summary = load.stop();
          assertThat(summary.failed())
              .as("failed client requests: %s", summary.failuresByReason())
              .isZero();
          assertThat(summary.succeeded()).isPositive();
        }
      }
    }
  }

  /** Checks, at each StatefulSet scale-down, that the removed pods are gone from etcd and idle. */
  private record ScaleDownChecker(
      Testbed bed,
      Client etcd,
      TestNamespace ns,
      List<String> violations,
      Map<Integer, Boolean> seen)
      implements Watcher<StatefulSet> {
    @Override
    public void eventReceived(Action action, StatefulSet s) {
      if (action != Action.MODIFIED || s.getSpec().getReplicas() == null) {
        return;
      }
      int replicas = s.getSpec().getReplicas();
      if (replicas >= 3 || seen.putIfAbsent(replicas, true) != null) {
        return;
      }
      try {
        List<String> regs = registrations(etcd, ns);
        for (int i = replicas; i < 3; i++) {
          var w = bed.kubelet().worker("tinyllama-generation-" + i);
          if (w.isEmpty()) {
            continue;
          }
          String hostPort = "\"host\": \"" + w.get().host() + "\"";
          if (regs.stream().anyMatch(v -> v.contains(hostPort))) {
            violations.add(
                "tinyllama-generation-" + i + " still registered when replicas became " + replicas);
          }
          if (w.get().inFlight() > 0) {
            violations.add(
                "tinyllama-generation-"
                    + i
                    + " had "
                    + w.get().inFlight()
                    + " requests in flight when replicas became "
                    + replicas);
          }
        }
      } catch (Exception e) {
        violations.add("check failed: " + e);
      }
    }

    @Override
    public void onClose(WatcherException cause) {}
  }

  private static List<String> registrations(Client etcd, TestNamespace ns) throws Exception {
    String prefix = "/trtllm-disagg/" + ns.name() + ".tinyllama/workers/";
    return etcd
        .getKVClient()
        .get(
            ByteSequence.from(prefix, StandardCharsets.UTF_8),
            GetOption.builder().isPrefix(true).build())
        .get()
        .getKvs()
        .stream()
        .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
        .toList();
  }

  private static void create(TestNamespace ns, DisaggCluster cr) {
    ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).resource(cr).create();
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

  private static void patch(TestNamespace ns, String json) {
    ns.client()
        .resources(DisaggCluster.class)
        .inNamespace(ns.name())
        .withName("tinyllama")
        .patch(PatchContext.of(PatchType.JSON_MERGE), json);
  }

  private static void awaitServing(TestNamespace ns, int context, int generation) {
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              DisaggCluster d = get(ns);
              assertThat(Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY))
                  .as("Ready")
                  .isTrue();
              assertThat(d.getStatus().getContext().getRegisteredInstances()).isEqualTo(context);
              assertThat(d.getStatus().getGeneration().getRegisteredInstances())
                  .isEqualTo(generation);
            });
  }
}
