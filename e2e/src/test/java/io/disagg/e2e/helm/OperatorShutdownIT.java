package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Helm;
import io.disagg.e2e.testing.HelmTest;
import io.disagg.e2e.testing.PackagedOperator;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.e2e.trtllm.SimulatedKubelet;
import io.disagg.e2e.trtllm.SimulatedRouter;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the packaged operator stops, with leader election on and the chart's Lease timings (15 s
 * lease, 10 s renew deadline, 2 s retry): on SIGTERM it exits quickly with code 0 and releases its
 * Lease, so the standby replica leads at its next attempt instead of a whole lease duration later
 * (also in the middle of a drain, which the new leader finishes without a failed request); a leader
 * whose Lease is taken while it runs stops and exits. Two replicas are two {@code quarkus-run.jar}
 * processes started with the chart Deployment's environment and the chart ServiceAccount's token
 * ({@link PackagedOperator}).
 *
 * <p>Measured figures are printed as {@code [shutdown] ...} lines.
 */
@ClusterTest
@HelmTest
class OperatorShutdownIT {

  private static final String RELEASE = "disagg-operator";
  private static final String LEASE = "disagg-operator-leader";
  private static final Duration TIMEOUT = Duration.ofSeconds(150);

  /** Upper bound for SIGTERM to process exit: nothing in flight but a quiet reconcile. */
  private static final Duration EXIT_BOUND = Duration.ofSeconds(10);

  /**
   * Upper bound for exit to the standby holding the Lease: one retry period (2 s) x Fabric8's
   * jitter (<= 2.2) + a request.
   */
  private static final Duration HANDOVER_BOUND = Duration.ofSeconds(6);

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void sigtermExitsWithZeroAndTheStandbyLeadsAtOnce(TestNamespace ns) throws Exception {
    withChart(
        ns,
        20,
        (etcd, kubelet, d) -> {
          try (PackagedOperator a = leader(ns, d, "operator-a");
              PackagedOperator b = standby(ns, d, "operator-b")) {
            DisaggCluster cr = Samples.load("minimal.yaml");
            cr.getSpec()
                .getDiscovery()
                .getEtcd()
                .setEndpoints(new ArrayList<>()); // the chart's default
            DisaggClusters.create(ns, cr);
            DisaggClusters.awaitReady(ns, "tinyllama", TIMEOUT);

            Handover h = terminateLeader(ns, a, "operator-b");
            System.out.printf(
                "[shutdown] idle leader: SIGTERM -> exit %d ms (code %d), exit -> standby leads %d ms%n",
                h.exitMillis(), h.exitCode(), h.handoverMillis());
            assertThat(h.exitCode())
                .as("exit code after SIGTERM (log:%n%s)", a.logTail(30))
                .isZero();
            assertThat(Duration.ofMillis(h.exitMillis())).isLessThan(EXIT_BOUND);
            assertThat(Duration.ofMillis(h.handoverMillis()))
                .as("a released Lease, not an expired one")
                .isLessThan(HANDOVER_BOUND);
            assertThat(a.logText())
                .contains("released; a standby replica leads at its next attempt");

            DisaggClusters.mergePatch(
                ns, "tinyllama", "{\"spec\":{\"generation\":{\"replicas\":2}}}");
            await()
                .atMost(TIMEOUT)
                .untilAsserted(
                    () ->
                        assertThat(sts(ns).getSpec().getReplicas())
                            .as("the new leader reconciles")
                            .isEqualTo(2));
          }
        });
  }

  @Test
  void theNewLeaderFinishesADrainTheStoppedOneBegan(TestNamespace ns) throws Exception {
    // Requests of 4 s: the removed worker is busy when the drain starts, so the drain lasts.
    withChart(
        ns,
        4000,
        (etcd, kubelet, d) -> {
          try (PackagedOperator a = leader(ns, d, "operator-a");
              PackagedOperator b = standby(ns, d, "operator-b")) {
            DisaggCluster cr = Samples.load("minimal.yaml");
            cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>());
            cr.getSpec().getGeneration().setReplicas(2);
            cr.getSpec().getRouter().setMaxRetries(0); // a failed request is not hidden
            DisaggClusters.create(ns, cr);
            DisaggClusters.awaitReady(ns, "tinyllama", TIMEOUT);
            // the router of the router pod, which clients reach through the router Service
            SimulatedRouter router = kubelet.awaitRouter(TIMEOUT);
            {
              await().atMost(TIMEOUT).until(router::isReady);
              try (LoadClient load =
                  LoadClient.builder(router.baseUri())
                      .concurrency(4)
                      .maxRequests(10_000)
                      .maxDuration(Duration.ofSeconds(120))
                      .start()) {
                SimulatedWorker victim = kubelet.awaitWorker("tinyllama-generation-1", TIMEOUT);
                await().atMost(TIMEOUT).until(() -> victim.inFlight() > 0);
                DisaggClusters.mergePatch(
                    ns, "tinyllama", "{\"spec\":{\"generation\":{\"replicas\":1}}}");
                await()
                    .atMost(TIMEOUT)
                    .untilAsserted(
                        () ->
                            assertThat(
                                    DisaggClusters.get(ns, "tinyllama")
                                        .getStatus()
                                        .getGeneration()
                                        .getDrain())
                                .as("drain recorded")
                                .isNotNull());

                Handover h = terminateLeader(ns, a, "operator-b");
                System.out.printf(
                    "[shutdown] leader mid-drain: SIGTERM -> exit %d ms (code %d), exit -> standby leads %d ms%n",
                    h.exitMillis(), h.exitCode(), h.handoverMillis());
                assertThat(h.exitCode()).isZero();
                assertThat(Duration.ofMillis(h.exitMillis())).isLessThan(EXIT_BOUND);
                assertThat(Duration.ofMillis(h.handoverMillis())).isLessThan(HANDOVER_BOUND);

                await()
                    .atMost(TIMEOUT)
                    .untilAsserted(
                        () -> {
                          assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1);
                          assertThat(
                                  DisaggClusters.get(ns, "tinyllama")
                                      .getStatus()
                                      .getGeneration()
                                      .getDrain())
                              .isNull();
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
        });
  }

  @Test
  void aLeaderWhoseLeaseIsTakenStopsAndExits(TestNamespace ns) throws Exception {
    withChart(
        ns,
        20,
        (etcd, kubelet, d) -> {
          try (PackagedOperator a = leader(ns, d, "operator-a")) {
            DisaggCluster cr = Samples.load("minimal.yaml");
            cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>());
            DisaggClusters.create(ns, cr);
            DisaggClusters.awaitReady(ns, "tinyllama", TIMEOUT);

            // Another holder takes the Lease (as after a network partition longer than the lease).
            // An update based on a Lease the leader renewed meanwhile gets 409 Conflict: read the
            // Lease again and retry, as a contending candidate does.
            await()
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptionsMatching(
                    e -> e instanceof KubernetesClientException k && k.getCode() == 409)
                .until(
                    () -> {
                      Lease lease =
                          ns.client().leases().inNamespace(ns.name()).withName(LEASE).get();
                      ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
                      ns.client()
                          .leases()
                          .inNamespace(ns.name())
                          .resource(
                              new LeaseBuilder(lease)
                                  .editSpec()
                                  .withHolderIdentity("intruder")
                                  .withLeaseDurationSeconds(3600)
                                  .withAcquireTime(now)
                                  .withRenewTime(now)
                                  .endSpec()
                                  .build())
                          .update();
                      return true;
                    });
            long taken = System.nanoTime();
            assertThat(a.process().waitFor(30, TimeUnit.SECONDS))
                .as("exits after losing the Lease (log:%n%s)", a.logTail(30))
                .isTrue();
            long lostMillis = (System.nanoTime() - taken) / 1_000_000;
            System.out.printf(
                "[shutdown] Lease taken -> leader exits %d ms (code %d)%n",
                lostMillis, a.process().exitValue());
            assertThat(a.process().exitValue())
                .as("a lost Lease is a failure: the pod restarts as a candidate")
                .isNotZero();
            assertThat(PackagedOperator.leaseHolder(ns, LEASE))
                .as("the exiting replica leaves the Lease alone")
                .isEqualTo("intruder");

            // Nobody reconciles any more: a change stays unapplied.
            DisaggClusters.mergePatch(
                ns, "tinyllama", "{\"spec\":{\"generation\":{\"replicas\":2}}}");
            await()
                .pollDelay(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(sts(ns).getSpec().getReplicas()).isEqualTo(1));
          }
        });
  }

  // --- harness ----------------------------------------------------------------------------------

  private record Handover(long exitMillis, int exitCode, long handoverMillis) {}

  /** SIGTERM to the leader; waits for its exit and for {@code next} to hold the Lease. */
  private static Handover terminateLeader(TestNamespace ns, PackagedOperator leader, String next)
      throws Exception {
    long t0 = System.nanoTime();
    leader.terminate();
    assertThat(leader.process().waitFor(30, TimeUnit.SECONDS))
        .as("exited after SIGTERM (log:%n%s)", leader.logTail(30))
        .isTrue();
    long exited = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> next.equals(PackagedOperator.leaseHolder(ns, LEASE)));
    long led = System.nanoTime();
    return new Handover(
        (exited - t0) / 1_000_000, leader.process().exitValue(), (led - exited) / 1_000_000);
  }

  private static PackagedOperator leader(TestNamespace ns, Deployment d, String pod) {
    PackagedOperator o = PackagedOperator.start(ns, d, pod, Map.of());
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(
            () -> {
              assertThat(o.process().isAlive())
                  .as("operator %s (log:%n%s)", pod, o.logTail(30))
                  .isTrue();
              assertThat(PackagedOperator.leaseHolder(ns, LEASE)).isEqualTo(pod);
            });
    return o;
  }

  private static PackagedOperator standby(TestNamespace ns, Deployment d, String pod) {
    PackagedOperator o = PackagedOperator.start(ns, d, pod, Map.of());
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(
            () -> {
              assertThat(o.process().isAlive())
                  .as("operator %s (log:%n%s)", pod, o.logTail(30))
                  .isTrue();
              assertThat(o.started()).as("%s started", pod).isTrue();
            });
    return o;
  }

  private static StatefulSet sts(TestNamespace ns) {
    return ns.client()
        .apps()
        .statefulSets()
        .inNamespace(ns.name())
        .withName("tinyllama-generation")
        .get();
  }

  @FunctionalInterface
  private interface Body {
    void run(EtcdServer etcd, SimulatedKubelet kubelet, Deployment chartDeployment)
        throws Exception;
  }

  /** The chart installed with replicas=0 (no image), an etcd as its default, simulated workers. */
  private static void withChart(TestNamespace ns, long serviceTimeMillis, Body body)
      throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        AutoCloseable chart =
            Helm.installForPackagedOperator(RELEASE, ns.name(), etcd.endpoint())) {
      try (SimulatedKubelet kubelet =
          SimulatedKubelet.builder(ns.client(), ns.name(), etcd.endpoint())
              .serviceTimeMillis(serviceTimeMillis)
              .drainTimeout(Duration.ofSeconds(60))
              .start()) {
        try {
          body.run(etcd, kubelet, PackagedOperator.chartDeployment(ns, RELEASE));
        } catch (Exception | AssertionError e) {
          // for diagnosis: what the kubelet did and what the API server shows of the pods
          kubelet.events().stream()
              .skip(Math.max(0, kubelet.events().size() - 40))
              .forEach(ev -> System.out.println("[simulated kubelet] " + ev));
          ns.client().pods().inNamespace(ns.name()).list().getItems().stream()
              .map(
                  p ->
                      p.getMetadata().getName()
                          + " phase="
                          + p.getStatus().getPhase()
                          + " conditions="
                          + p.getStatus().getConditions().stream()
                              .map(c -> c.getType() + "=" + c.getStatus())
                              .toList())
              .forEach(line -> System.out.println("[pod] " + line));
          throw e;
        }
      }
    }
  }
}
