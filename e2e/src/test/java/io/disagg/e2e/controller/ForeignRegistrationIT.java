package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.ServiceEndpoints;
import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.e2e.trtllm.SimulatedRouter;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.e2e.trtllm.WorkerRole;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DiscoveryStatus;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.TestNamespace;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.fabric8.kubernetes.api.model.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A registration under a running DisaggCluster's etcd prefix whose host is no pod of it (a
 * "foreign" worker: anything that can reach etcd can register, TensorRT-LLM's workers use no TLS or
 * credentials) is deleted by the operator within seconds, reported by a Warning Event and counted
 * in the status, and the router sends it nothing afterwards; with {@code
 * spec.discovery.removeForeignRegistrations: false} it stays and is reported as unmatched.
 *
 * <p>The foreign endpoint is a simulated worker on 127.9.0.1 (loopback, outside the simulated pod
 * range 127.1.0.0/16) that counts the requests it serves. The router adds a server the moment its
 * key is written ({@code OpenAIDisaggServer._update_router_by_watch_events} in {@code
 * tensorrt_llm/serve/openai_disagg_server.py}, which {@link SimulatedRouter} follows), so requests
 * sent between the write and the operator's delete (the grace, default 2 s, plus one reconcile) can
 * reach it: this test sends its requests only after the removal and asserts none of them reached
 * the foreign worker (docs/foreign-registrations.md, "The window").
 */
@ClusterTest
class ForeignRegistrationIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String FOREIGN_HOST = "127.9.0.1";

  @BeforeAll
  static void crd() {
    try (var c = io.disagg.operator.testing.LocalCluster.newClient()) {
      io.disagg.operator.testing.Samples.installCrd(c);
    }
  }

  @Test
  void aForeignRegistrationIsRemovedWithinSecondsAndReceivesNoRequestAfterwards(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns);
        Client etcd = bed.etcd().newClient();
        SimulatedWorker stranger =
            SimulatedWorker.builder(WorkerRole.CONTEXT, FOREIGN_HOST, 0).register(false).start()) {
      ns.client().resource(bed.sample("minimal.yaml")).create();
      awaitServing(ns);
      SimulatedRouter router = bed.router(TIMEOUT);

      String key = prefix(ns) + workerId(stranger);
      long lease = etcd.getLeaseClient().grant(300).get(5, TimeUnit.SECONDS).getID();
      long put = System.nanoTime();
      etcd.getKVClient()
          .put(bytes(key), bytes(value(stranger)), PutOption.builder().withLeaseId(lease).build())
          .get(5, TimeUnit.SECONDS);

      await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> !exists(etcd, key));
      Duration took = Duration.ofNanos(System.nanoTime() - put);
      System.out.println("[foreign registration] removed " + took.toMillis() + " ms after its put");
      assertThat(took).as("removed within seconds").isLessThan(Duration.ofSeconds(10));
      assertThat(
              etcd.getLeaseClient()
                  .timeToLive(lease, LeaseOption.DEFAULT)
                  .get(5, TimeUnit.SECONDS)
                  .getTTL())
          .as("the key only: its lease is not revoked")
          .isPositive();

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                DiscoveryStatus d = DisaggClusters.get(ns, "tinyllama").getStatus().getDiscovery();
                assertThat(d.getRemovedForeign()).isEqualTo(1);
                assertThat(d.getLastRemoved().getKey()).isEqualTo(key);
                assertThat(d.getLastRemoved().getHost()).isEqualTo(FOREIGN_HOST);
                assertThat(d.getUnmatched()).isEmpty();
              });
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .filteredOn(e -> "ForeignRegistrationRemoved".equals(e.getReason()))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getMessage()).contains(key).contains(FOREIGN_HOST);
              });

      // The router followed the DELETE: the endpoint is out of its routing list.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> !router.servers(WorkerRole.CONTEXT).contains(stranger.endpoint()));
      assertThat(router.events()).anySatisfy(e -> assertThat(e).contains("DELETE " + key));
      long servedAtRemoval = stranger.requestsServed();
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
      assertThat(stranger.requestsServed())
          .as("no request reached the foreign worker after its removal")
          .isEqualTo(servedAtRemoval);

      // A registrant that writes its key again is removed again, without a second Event.
      etcd.getKVClient()
          .put(bytes(key), bytes(value(stranger)), PutOption.builder().withLeaseId(lease).build())
          .get(5, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(15)).until(() -> !exists(etcd, key));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  Integer.valueOf(2)
                      .equals(
                          DisaggClusters.get(ns, "tinyllama")
                              .getStatus()
                              .getDiscovery()
                              .getRemovedForeign()));
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .extracting(Event::getReason)
          .containsOnlyOnce("ForeignRegistrationRemoved");
      DisaggCluster after = DisaggClusters.get(ns, "tinyllama");
      assertThat(after.getStatus().getContext().getRegisteredInstances())
          .as("the cluster's own workers stay registered")
          .isEqualTo(2);
      assertThat(after.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
    }
  }

  @Test
  void withTheSwitchOffAHandRegisteredWorkerStaysAndIsReportedAsUnmatched(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns);
        Client etcd = bed.etcd().newClient();
        SimulatedWorker byHand =
            SimulatedWorker.builder(WorkerRole.CONTEXT, FOREIGN_HOST, 0).register(false).start()) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      cr.getSpec().getDiscovery().setRemoveForeignRegistrations(false);
      ns.client().resource(cr).create();
      awaitServing(ns);

      String key = prefix(ns) + workerId(byHand);
      etcd.getKVClient().put(bytes(key), bytes(value(byHand))).get(5, TimeUnit.SECONDS);

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          DisaggClusters.get(ns, "tinyllama")
                              .getStatus()
                              .getDiscovery()
                              .getUnmatched())
                      .containsExactly(byHand.endpoint()));
      // well past the grace (2 s) and several reconciles: still there
      await()
          .during(Duration.ofSeconds(6))
          .atMost(Duration.ofSeconds(10))
          .until(() -> exists(etcd, key));
      DisaggCluster d = DisaggClusters.get(ns, "tinyllama");
      assertThat(d.getStatus().getDiscovery().getRemovedForeign()).isNull();
      assertThat(Conditions.find(d.getStatus().getConditions(), ConditionType.DISCOVERY_AVAILABLE))
          .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("UnmatchedRegistrations"));
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .extracting(Event::getReason)
          .doesNotContain("ForeignRegistrationRemoved");
    }
  }

  /** Ready, with every worker of minimal.yaml registered. */
  private static void awaitServing(TestNamespace ns) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              DisaggCluster d = DisaggClusters.get(ns, "tinyllama");
              return d != null
                  && d.getStatus() != null
                  && Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY)
                  && Integer.valueOf(2).equals(d.getStatus().getContext().getRegisteredInstances())
                  && Integer.valueOf(1)
                      .equals(d.getStatus().getGeneration().getRegisteredInstances());
            });
  }

  private static String prefix(TestNamespace ns) {
    return "/trtllm-disagg/" + ns.name() + ".tinyllama/workers/";
  }

  /** A worker id as TensorRT-LLM makes it ({@code DisaggClusterWorker.__init__}). */
  private static String workerId(SimulatedWorker w) {
    return "CONTEXT-" + w.endpoint() + "-" + System.currentTimeMillis() + "-4242-007";
  }

  /** The value {@code register_worker} writes: {@code json.dumps(asdict(WorkerInfo))}. */
  private static String value(SimulatedWorker w) {
    return "{\"worker_id\": \"foreign\", \"host\": \""
        + w.host()
        + "\", \"port\": "
        + w.port()
        + ", \"role\": 0}";
  }

  private static boolean exists(Client etcd, String key) throws Exception {
    return etcd.getKVClient().get(bytes(key)).get(5, TimeUnit.SECONDS).getCount() > 0;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
