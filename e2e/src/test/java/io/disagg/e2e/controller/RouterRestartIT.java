package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.ServiceEndpoints;
import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A TensorRT-LLM 1.2 router routes only to workers that register after it started (the simulated
 * router follows {@code lifespan} in {@code openai_disagg_server.py}, {@code
 * SimulatedRelease#routerAddsExistingRegistrations}). A router pod replaced while the workers stay
 * registered (a node drain, an eviction, a rolling update of the router) would never become ready;
 * the operator writes the registrations again once the new router started, and it serves.
 */
@ClusterTest
class RouterRestartIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @BeforeAll
  static void crd() {
    try (var c = io.disagg.operator.testing.LocalCluster.newClient()) {
      io.disagg.operator.testing.Samples.installCrd(c);
    }
  }

  @Test
  void aReplacedRouterOfRelease12BecomesReadyWhileTheWorkersStayRegistered(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      ns.client().resource(cr).create();
      await().atMost(TIMEOUT).until(() -> ready(ns) && routers(ns, true).size() == 1);
      Pod old = routers(ns, true).get(0);
      int workersBefore = bed.kubelet().allWorkers().size();

      ns.client().resource(old).delete();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(routers(ns, true))
                      .singleElement()
                      .satisfies(
                          p ->
                              assertThat(p.getMetadata().getName())
                                  .isNotEqualTo(old.getMetadata().getName())));
      assertThat(bed.kubelet().allWorkers())
          .as("no worker restarted: they stayed registered")
          .hasSize(workersBefore);
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .extracting(Event::getReason)
          .contains("RegistrationsReannounced");
      try (ServiceEndpoints svc = ServiceEndpoints.of(ns.client(), ns.name(), "tinyllama-router");
          LoadClient load =
              LoadClient.builder(svc)
                  .concurrency(2)
                  .maxRequests(20)
                  .maxDuration(Duration.ofSeconds(60))
                  .start()) {
        assertThat(load.awaitCompletion(Duration.ofSeconds(60))).isTrue();
        LoadClient.Summary s = load.stop();
        assertThat(s.failed()).as("%s", s.failuresByReason()).isZero();
        assertThat(s.succeeded()).isEqualTo(20);
      }
    }
  }

  private static boolean ready(TestNamespace ns) {
    DisaggCluster d = DisaggClusters.get(ns, "tinyllama");
    return d != null
        && d.getStatus() != null
        && Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY);
  }

  /** The router pods not terminating, only the Ready ones when {@code readyOnly}. */
  private static List<Pod> routers(TestNamespace ns, boolean readyOnly) {
    return ns
        .client()
        .pods()
        .inNamespace(ns.name())
        .withLabel(Labels.COMPONENT, Labels.ROUTER_COMPONENT)
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(
            p ->
                !readyOnly
                    || p.getStatus().getConditions() != null
                        && p.getStatus().getConditions().stream()
                            .anyMatch(
                                c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
        .toList();
  }
}
