package io.disagg.e2e.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.ServiceEndpoints;
import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.e2e.trtllm.WorkerRole;
import io.disagg.operator.api.v1alpha1.AutoscalingBehavior;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.RevisionStatus;
import io.disagg.operator.api.v1alpha1.ScalingRules;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A change of the pairing revision (here the image) while a client sends requests through the
 * router Service: the new revision starts next to the old one under its own {@code cluster_name},
 * takes the traffic once its router is ready, and the old one retires (router, then context, then
 * generation). The simulated workers refuse a KV cache from a worker of another image, as a real
 * incompatible pair fails ({@code SimulatedWorker.Builder#cacheFormat}), and the client sends every
 * request through the Service's ready endpoints ({@link ServiceEndpoints}): zero failed requests
 * means no request met a mixed pair or a leaving router.
 */
@ClusterTest
class RolloutIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(180);
  private static final String NEW_IMAGE = "nvcr.io/nvidia/tensorrt-llm/release:1.2.0rc2";

  @BeforeAll
  static void crd() {
    try (var c = io.disagg.operator.testing.LocalCluster.newClient()) {
      io.disagg.operator.testing.Samples.installCrd(c);
    }
  }

  @Test
  void anImageChangeUnderLoadRollsOutANewRevisionWithoutAFailedRequestOrAMixedPair(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 50)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      cr.getSpec().getGeneration().setReplicas(2);
      cr.getSpec().getRouter().setMaxRetries(0); // a failed request is not hidden by a retry
      ns.client().resource(cr).create();
      awaitServing(ns, 2, 2);
      String first = get(ns).getStatus().getServingRevision();
      assertThat(first).as("status.servingRevision").matches("[0-9a-f]{10}");

      try (ServiceEndpoints router =
          ServiceEndpoints.of(ns.client(), ns.name(), "tinyllama-router")) {
        await().atMost(TIMEOUT).until(() -> !router.endpoints().isEmpty());
        try (LoadClient load =
            LoadClient.builder(router)
                .concurrency(4)
                .maxRequests(200_000)
                .maxDuration(Duration.ofMinutes(6))
                .start()) {
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 30);

          patch(ns, "{\"spec\":{\"image\":\"" + NEW_IMAGE + "\"}}");

          // Both revisions present: the new one under its own names and cluster_name.
          await()
              .atMost(TIMEOUT)
              .untilAsserted(
                  () ->
                      assertThat(get(ns).getStatus().getRevisions())
                          .extracting(RevisionStatus::getRevision)
                          .hasSize(2)
                          .contains(first));
          // The new revision serves, the old one is gone from the status, its objects at 0.
          await()
              .atMost(TIMEOUT)
              .untilAsserted(
                  () -> {
                    DisaggCluster d = get(ns);
                    assertThat(d.getStatus().getServingRevision()).isNotEqualTo(first);
                    assertThat(d.getStatus().getRevisions())
                        .singleElement()
                        .extracting(RevisionStatus::getRevision)
                        .isEqualTo(d.getStatus().getServingRevision());
                    // the first revision's objects are deleted; the shared ones stay
                    assertThat(
                            ns.client()
                                .apps()
                                .statefulSets()
                                .inNamespace(ns.name())
                                .list()
                                .getItems())
                        .extracting(s -> s.getMetadata().getName())
                        .doesNotContain("tinyllama-context", "tinyllama-generation");
                    assertThat(
                            ns.client()
                                .apps()
                                .deployments()
                                .inNamespace(ns.name())
                                .withName("tinyllama-router")
                                .get())
                        .isNull();
                    assertThat(
                            ns.client()
                                .configMaps()
                                .inNamespace(ns.name())
                                .withName("tinyllama-config")
                                .get())
                        .isNull();
                    assertThat(
                            Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY))
                        .isTrue();
                    assertThat(d.getStatus().getContext().getRegisteredInstances()).isEqualTo(2);
                    assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(2);
                  });
          String second = get(ns).getStatus().getServingRevision();
          long before = load.summary().succeeded();
          await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > before + 30);
          LoadClient.Summary summary = load.stop();
          System.out.println("[rollout] " + summary);

          assertThat(summary.failed())
              .as("failed client requests: %s", summary.failuresByReason())
              .isZero();
          assertThat(summary.succeeded()).isGreaterThan(100);
          List<SimulatedWorker> workers = bed.kubelet().allWorkers();
          assertThat(workers.stream().mapToLong(SimulatedWorker::foreignCachesRefused).sum())
              .as("KV caches handed between workers of different images")
              .isZero();
          assertThat(workers.stream().filter(w -> w.requestsServed() > 0).count())
              .as("workers of both revisions served")
              .isGreaterThanOrEqualTo(6);

          // The new revision's objects carry its names, label and cluster_name.
          String suffix = second.substring(0, 5);
          StatefulSet ctx =
              ns.client()
                  .apps()
                  .statefulSets()
                  .inNamespace(ns.name())
                  .withName("tinyllama-" + suffix + "-ctx")
                  .get();
          assertThat(ctx.getSpec().getReplicas()).isEqualTo(2);
          assertThat(ctx.getMetadata().getLabels())
              .containsEntry("serving.disagg.io/revision", second);
          assertThat(
                  ns.client()
                      .configMaps()
                      .inNamespace(ns.name())
                      .withName("tinyllama-" + suffix + "-cfg")
                      .get()
                      .getData()
                      .get("router.yaml"))
              .contains("cluster_name: " + ns.name() + ".tinyllama." + second);
        }
      }
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .extracting(Event::getReason)
          .contains("RevisionCreated", "RevisionServing", "RevisionRetired");
      // the shared objects stay
      assertThat(ns.client().services().inNamespace(ns.name()).list().getItems())
          .extracting(s -> s.getMetadata().getName())
          .contains("tinyllama-context", "tinyllama-generation", "tinyllama-router");
    }
  }

  @Test
  void anOperatorKilledMidRolloutIsReplacedByOneThatFinishesIt(TestNamespace ns) throws Exception {
    try (Testbed bed = Testbed.start(ns, 50)) {
      String first = serving(ns, bed);
      try (ServiceEndpoints router =
              ServiceEndpoints.of(ns.client(), ns.name(), "tinyllama-router");
          LoadClient load = load(router)) {
        await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 30);
        startRollout(ns);
        bed.stopOperator();
        bed.startOperator();
        String second = awaitRolledOut(ns, first);
        assertThat(second).isNotEqualTo(first);
        assertNoFailure(bed, load);
      }
    }
  }

  @Test
  void aRollbackMidRolloutReturnsToTheFirstRevisionWithoutAThird(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 50)) {
      String first = serving(ns, bed);
      String image = get(ns).getSpec().getImage();
      try (ServiceEndpoints router =
              ServiceEndpoints.of(ns.client(), ns.name(), "tinyllama-router");
          LoadClient load = load(router)) {
        await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 30);
        startRollout(ns);
        patch(ns, "{\"spec\":{\"image\":\"" + image + "\"}}");
        assertThat(awaitRolledOut(ns, null)).isEqualTo(first);
        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () ->
                    assertThat(
                            ns.client()
                                .apps()
                                .statefulSets()
                                .inNamespace(ns.name())
                                .list()
                                .getItems())
                        .as("the abandoned revision is deleted, no third one was made")
                        .extracting(s -> s.getMetadata().getName())
                        .containsExactlyInAnyOrder("tinyllama-context", "tinyllama-generation"));
        assertNoFailure(bed, load);
      }
    }
  }

  @Test
  void aNewRevisionThatCannotBeScheduledLeavesTheOldOneServingAndSaysWhy(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 50)) {
      String first = serving(ns, bed);
      try (ServiceEndpoints router =
              ServiceEndpoints.of(ns.client(), ns.name(), "tinyllama-router");
          LoadClient load = load(router)) {
        await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 30);
        // The new revision's generation pods select nodes that do not exist.
        patch(
            ns,
            "{\"spec\":{\"image\":\""
                + NEW_IMAGE
                + "\",\"generation\":{\"nodeSelector\":{\"disagg.test/no-such-node\":\"x\"}}}}");
        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () ->
                    assertThat(
                            Conditions.find(
                                    get(ns).getStatus().getConditions(), ConditionType.PROGRESSING)
                                .map(c -> c.getMessage())
                                .orElse(""))
                        .contains("cannot be scheduled"));
        await()
            .during(Duration.ofSeconds(10))
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  DisaggCluster d = get(ns);
                  assertThat(d.getStatus().getServingRevision()).isEqualTo(first);
                  assertThat(d.getStatus().getGeneration().getDrain())
                      .as("nothing drained")
                      .isNull();
                  assertThat(d.getStatus().getContext().getDrain()).isNull();
                  assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(2);
                  assertThat(d.getStatus().getContext().getRegisteredInstances()).isEqualTo(2);
                });
        // The selector is an in-place field: removing it lets the same new revision through.
        patch(ns, "{\"spec\":{\"generation\":{\"nodeSelector\":null}}}");
        assertThat(awaitRolledOut(ns, first)).isNotEqualTo(first);
        assertNoFailure(bed, load);
      }
    }
  }

  @Test
  void aChangeWhileAutoscaledLandsTheNewRevisionAtTheAutoscaledCount(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 50)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      var gen = cr.getSpec().getGeneration();
      gen.setReplicas(1);
      gen.setMinimalInstances(1);
      gen.setMaxInstances(3);
      PoolAutoscalingSpec a = new PoolAutoscalingSpec();
      a.setEnabled(true);
      a.setEvaluationIntervalSeconds(5);
      a.setMetrics(
          new ArrayList<>(
              List.of(new AutoscalingMetricSpec(AutoscalingMetricType.KvCacheUtilization, 0.8))));
      AutoscalingBehavior b = new AutoscalingBehavior();
      ScalingRules up = new ScalingRules();
      up.setStabilizationWindowSeconds(0);
      up.setPeriodSeconds(5);
      ScalingRules down = new ScalingRules();
      down.setStabilizationWindowSeconds(600); // no scale-down during the test
      b.setScaleUp(up);
      b.setScaleDown(down);
      a.setBehavior(b);
      gen.setAutoscaling(a);
      ns.client().resource(cr).create();
      // Full KV caches: the pool grows to its maximum, 3.
      await()
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                bed.kubelet().workers().values().stream()
                    .filter(w -> w.role() == WorkerRole.GENERATION)
                    .forEach(w -> w.setKvCacheUtilization(1.0));
                DisaggCluster d = get(ns);
                assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(3);
              });
      String first = get(ns).getStatus().getServingRevision();

      patch(ns, "{\"spec\":{\"image\":\"" + NEW_IMAGE + "\"}}");

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(
                          ns.client()
                              .apps()
                              .statefulSets()
                              .inNamespace(ns.name())
                              .list()
                              .getItems())
                      .filteredOn(s -> s.getMetadata().getName().endsWith("-gen"))
                      .singleElement()
                      .satisfies(
                          s ->
                              assertThat(s.getSpec().getReplicas())
                                  .as("created at the autoscaled count, not the floor")
                                  .isEqualTo(3)));
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster d = get(ns);
                assertThat(d.getStatus().getServingRevision()).isNotEqualTo(first);
                assertThat(d.getStatus().getRevisions()).hasSize(1);
                assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(3);
                assertThat(d.getStatus().getGeneration().getAutoscaling().getDesiredReplicas())
                    .as("the autoscaler's state carried over")
                    .isEqualTo(3);
              });
    }
  }

  @Test
  void anInPlaceChangeMakesNoRevision(TestNamespace ns) throws Exception {
    try (Testbed bed = Testbed.start(ns, 50)) {
      String first = serving(ns, bed);
      patch(
          ns,
          "{\"spec\":{\"generation\":{\"replicas\":3,\"llmApiOptions\":{\"max_batch_size\":64}}}}");
      awaitServing(ns, 2, 3);
      DisaggCluster d = get(ns);
      assertThat(d.getStatus().getServingRevision()).isEqualTo(first);
      assertThat(d.getStatus().getRevisions()).hasSize(1);
      assertThat(ns.client().apps().statefulSets().inNamespace(ns.name()).list().getItems())
          .extracting(s -> s.getMetadata().getName())
          .containsExactlyInAnyOrder("tinyllama-context", "tinyllama-generation");
    }
  }

  /** Creates the minimal sample with 2 + 2 workers and returns its serving revision once Ready. */
  private static String serving(TestNamespace ns, Testbed bed) {
    DisaggCluster cr = bed.sample("minimal.yaml");
    cr.getSpec().getGeneration().setReplicas(2);
    cr.getSpec().getRouter().setMaxRetries(0);
    ns.client().resource(cr).create();
    awaitServing(ns, 2, 2);
    await().atMost(TIMEOUT).until(() -> get(ns).getStatus().getServingRevision() != null);
    return get(ns).getStatus().getServingRevision();
  }

  /** Changes the image and waits until the new revision is present next to the first. */
  private static void startRollout(TestNamespace ns) {
    patch(ns, "{\"spec\":{\"image\":\"" + NEW_IMAGE + "\"}}");
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                get(ns).getStatus().getRevisions() != null
                    && get(ns).getStatus().getRevisions().size() == 2);
  }

  private static LoadClient load(ServiceEndpoints router) {
    await().atMost(TIMEOUT).until(() -> !router.endpoints().isEmpty());
    return LoadClient.builder(router)
        .concurrency(4)
        .maxRequests(200_000)
        .maxDuration(Duration.ofMinutes(6))
        .start();
  }

  /**
   * Waits until one revision is left, serving, Ready with 2 + 2 registered, and (when {@code other}
   * is given) not {@code other}; returns it.
   */
  private static String awaitRolledOut(TestNamespace ns, String other) {
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              DisaggCluster d = get(ns);
              assertThat(d.getStatus().getServingRevision()).isNotNull().isNotEqualTo(other);
              assertThat(d.getStatus().getRevisions())
                  .singleElement()
                  .extracting(RevisionStatus::getRevision)
                  .isEqualTo(d.getStatus().getServingRevision());
              assertThat(Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY))
                  .isTrue();
              assertThat(d.getStatus().getContext().getRegisteredInstances()).isEqualTo(2);
              assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(2);
            });
    return get(ns).getStatus().getServingRevision();
  }

  private static void assertNoFailure(Testbed bed, LoadClient load) {
    long before = load.summary().succeeded();
    await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > before + 30);
    LoadClient.Summary summary = load.stop();
    System.out.println("[rollout] " + summary);
    assertThat(summary.failed())
        .as("failed client requests: %s", summary.failuresByReason())
        .isZero();
    assertThat(
            bed.kubelet().allWorkers().stream()
                .mapToLong(SimulatedWorker::foreignCachesRefused)
                .sum())
        .as("KV caches handed between workers of different images")
        .isZero();
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

  private static DisaggCluster get(TestNamespace ns) {
    return DisaggClusters.get(ns, "tinyllama");
  }

  private static void patch(TestNamespace ns, String json) {
    DisaggClusters.mergePatch(ns, "tinyllama", json);
  }
}
