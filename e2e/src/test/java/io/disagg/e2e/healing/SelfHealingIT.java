package io.disagg.e2e.healing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.ServiceEndpoints;
import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.e2e.trtllm.SimulatedRelease;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PoolStatus;
import io.disagg.operator.api.v1alpha1.SelfHealingSpec;
import io.disagg.operator.api.v1alpha1.WorkerRecovery;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Workers that serve nobody are restarted, and nothing else is. The simulated workers imitate
 * TensorRT-LLM 1.2's lease handling ({@code SimulatedRelease#leaseLoss}, after {@code
 * DisaggClusterWorker._heartbeat} in {@code tensorrt_llm/serve/disagg_auto_scaling.py}): a worker
 * whose lease expired refreshes the dead lease without error and never registers again while its
 * {@code /health} answers 200.
 */
@ClusterTest
class SelfHealingIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String NAME = "tinyllama";
  private static final int UNREGISTERED_TIMEOUT_SECONDS = 10;
  private static final String RELEASE_13_IMAGE = "nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc29";

  @BeforeAll
  static void crd() {
    try (var c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  /**
   * A generation worker loses its lease (revoked, as an expiry looks to the worker) while the
   * router serves a bounded load: the operator restarts that pod only, and no request fails.
   */
  @Test
  void aWorkerThatLostItsLeaseIsRestartedUnderLoadWithoutAFailedRequest(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns, 50)) {
      DisaggCluster cr = sample(bed);
      cr.getSpec().getGeneration().setReplicas(2);
      cr.getSpec().getRouter().setMaxRetries(0); // a failed request is not hidden by a retry
      ns.client().resource(cr).create();
      await().atMost(TIMEOUT).until(() -> serving(ns, 2, 2));
      Map<String, String> before = workerUids(ns);
      String zombie = NAME + "-generation-1";
      SimulatedWorker worker = bed.kubelet().worker(zombie).orElseThrow();

      try (ServiceEndpoints router = ServiceEndpoints.of(ns.client(), ns.name(), NAME + "-router");
          LoadClient load = boundedLoad(router)) {
        await().atMost(TIMEOUT).until(() -> load.summary().succeeded() > 20);
        try (Client etcd = bed.etcd().newClient()) {
          etcd.getLeaseClient().revoke(worker.leaseId()).get(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> worker.deadLeaseRefreshes() > 0);
        assertThat(worker.state()).isEqualTo(SimulatedWorker.State.SERVING);

        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () -> {
                  WorkerRecovery r = pool(ns, "generation").getLastRecovery();
                  assertThat(r).isNotNull();
                  assertThat(r.getPod()).isEqualTo(zombie);
                  assertThat(r.getUid()).isEqualTo(before.get(zombie));
                  assertThat(r.getReason()).isEqualTo("Unregistered");
                });
        await().atMost(TIMEOUT).until(() -> serving(ns, 2, 2) && !workerUids(ns).equals(before));
        // The new worker registered and serves (a 1.2 router routes to workers registered after
        // it started, which the new one is).
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    bed.kubelet()
                            .worker(zombie)
                            .filter(w -> w != worker)
                            .orElse(worker)
                            .requestsServed()
                        > 5);
        LoadClient.Summary summary = load.stop();
        System.out.println("[self-healing] " + summary);
        assertThat(summary.failed())
            .as("failed client requests: %s", summary.failuresByReason())
            .isZero();
      }
      Map<String, String> after = workerUids(ns);
      assertThat(after).containsOnlyKeys(before.keySet());
      before.forEach(
          (pod, uid) -> {
            if (pod.equals(zombie)) {
              assertThat(after.get(pod)).as("restarted: %s", pod).isNotEqualTo(uid);
            } else {
              assertThat(after.get(pod)).as("left alone: %s", pod).isEqualTo(uid);
            }
          });
      assertThat(pool(ns, "generation").getUnregisteredReadyWorkers()).isZero();
      assertThat(pool(ns, "context").getLastRecovery()).isNull();
      assertThat(events(ns))
          .anyMatch(e -> e.contains("RestartingUnregisteredWorker") && e.contains(zombie));
    }
  }

  /**
   * A generation worker of the newest TensorRT-LLM poisons its KV-cache transfer buffer: it logs
   * the fatal error, fails its requests and its {@code /health} answers 503 while it stays
   * registered ({@link SimulatedWorker#poisonTransferBuffer}). Once its pod is not ready, the
   * operator reads its log through the API server (kwok serves the simulated container log),
   * deregisters it, restarts it, and reports {@code KVTransferHealthy} False naming the pod (gone
   * again once it is replaced: the bandwidth check is off without EFA). From the deregistration on,
   * a bounded load through the router's Service sees no failed request; the other pods are left
   * alone.
   */
  @Test
  void aWorkerWithAPoisonedTransferBufferIsDeregisteredAndRestarted(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.startWithKubelet(ns, 50, k -> k.release(SimulatedRelease.V1_3))) {
      DisaggCluster cr = sample(bed);
      cr.getSpec().setImage(RELEASE_13_IMAGE);
      cr.getSpec().getGeneration().setReplicas(2);
      cr.getSpec().getRouter().setMaxRetries(0);
      ns.client().resource(cr).create();
      await().atMost(TIMEOUT).until(() -> serving(ns, 2, 2));
      assertThat(DisaggClusters.get(ns, NAME).getStatus().getTrtllm().getRelease())
          .isEqualTo("1.3");
      Map<String, String> before = workerUids(ns);
      String poisoned = NAME + "-generation-1";
      SimulatedWorker worker = bed.kubelet().worker(poisoned).orElseThrow();

      worker.poisonTransferBuffer();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  ns
                      .client()
                      .pods()
                      .inNamespace(ns.name())
                      .withName(poisoned)
                      .get()
                      .getStatus()
                      .getContainerStatuses()
                      .stream()
                      .noneMatch(c -> Boolean.TRUE.equals(c.getReady())));

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster d = DisaggClusters.get(ns, NAME);
                assertThat(d.getStatus().getConditions())
                    .anySatisfy(
                        c -> {
                          assertThat(c.getType()).isEqualTo("KVTransferHealthy");
                          assertThat(c.getStatus()).isEqualTo("False");
                          assertThat(c.getReason()).isEqualTo("TransferBufferPoisoned");
                          assertThat(c.getMessage()).contains(poisoned, "poisoned");
                        });
              });
      assertThat(bed.etcd().workerRegistrations(ns.name() + "." + NAME))
          .as("the poisoned worker is out of discovery")
          .noneMatch(v -> v.contains(worker.workerId()));
      try (ServiceEndpoints router = ServiceEndpoints.of(ns.client(), ns.name(), NAME + "-router");
          LoadClient load = boundedLoad(router)) {
        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () -> {
                  WorkerRecovery r = pool(ns, "generation").getLastRecovery();
                  assertThat(r).isNotNull();
                  assertThat(r.getPod()).isEqualTo(poisoned);
                  assertThat(r.getReason()).isEqualTo("TransferBufferPoisoned");
                  assertThat(r.getMessage()).contains("process restart is required");
                });
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    serving(ns, 2, 2)
                        && bed.kubelet().worker(poisoned).filter(w -> w != worker).isPresent()
                        && Conditions.find(
                                DisaggClusters.get(ns, NAME).getStatus().getConditions(),
                                ConditionType.KV_TRANSFER_HEALTHY)
                            .isEmpty());
        await()
            .atMost(TIMEOUT)
            .until(() -> bed.kubelet().worker(poisoned).orElseThrow().requestsServed() > 5);
        LoadClient.Summary summary = load.stop();
        System.out.println("[self-healing poisoned] " + summary);
        assertThat(summary.failed())
            .as("failed client requests after the deregistration: %s", summary.failuresByReason())
            .isZero();
      }
      Map<String, String> after = workerUids(ns);
      before.forEach(
          (pod, uid) -> {
            if (!pod.equals(poisoned)) {
              assertThat(after.get(pod)).as("left alone: %s", pod).isEqualTo(uid);
            }
          });
      assertThat(events(ns))
          .anyMatch(e -> e.startsWith("TransferBufferPoisoned") && e.contains(poisoned))
          .anyMatch(e -> e.startsWith("RestartingPoisonedWorker") && e.contains(poisoned));
    }
  }

  /**
   * etcd is down for longer than the timeout: nothing is restarted meanwhile. When it is back, the
   * 1.2 workers' re-registration on their cached lease keeps failing until the lease expires
   * ({@code put_if_not_exists} finds the key etcd restored), then they are out of discovery for
   * good: the operator restarts them one at a time per pool and the cluster serves again.
   */
  @Test
  void anEtcdOutageRestartsNothingAndTheWorkersItOrphanedAreRestartedAfterIt(TestNamespace ns)
      throws Exception {
    try (Testbed bed = Testbed.start(ns)) {
      DisaggCluster cr = sample(bed);
      cr.getSpec().getSelfHealing().setMinRestartIntervalSeconds(0);
      ns.client().resource(cr).create();
      await().atMost(TIMEOUT).until(() -> serving(ns, 2, 1));
      Map<String, String> before = workerUids(ns);

      bed.etcd().stop();
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    !Conditions.isTrue(
                        DisaggClusters.get(ns, NAME).getStatus().getConditions(),
                        ConditionType.DISCOVERY_AVAILABLE));
        await()
            .during(Duration.ofSeconds(2 * UNREGISTERED_TIMEOUT_SECONDS))
            .atMost(Duration.ofSeconds(2 * UNREGISTERED_TIMEOUT_SECONDS + 10))
            .until(() -> workerUids(ns).equals(before));
      } finally {
        bed.etcd().restart();
      }
      assertThat(events(ns)).noneMatch(e -> e.contains("RestartingUnregisteredWorker"));

      await()
          .atMost(Duration.ofSeconds(180))
          .untilAsserted(
              () -> {
                Map<String, String> now = workerUids(ns);
                assertThat(now).containsOnlyKeys(before.keySet());
                before.forEach((pod, uid) -> assertThat(now.get(pod)).isNotEqualTo(uid));
                assertThat(serving(ns, 2, 1)).isTrue();
              });
      assertThat(pool(ns, "context").getLastRecovery()).isNotNull();
      assertThat(pool(ns, "generation").getLastRecovery()).isNotNull();
    }
  }

  /** Two clients through the router's Service, at most 100 000 requests or 3 minutes. */
  private static LoadClient boundedLoad(ServiceEndpoints router) {
    return LoadClient.builder(router)
        .concurrency(2)
        .maxRequests(100_000)
        .maxDuration(Duration.ofMinutes(3))
        .start();
  }

  private static DisaggCluster sample(Testbed bed) {
    DisaggCluster cr = bed.sample("minimal.yaml");
    SelfHealingSpec h = new SelfHealingSpec();
    h.setUnregisteredTimeoutSeconds(UNREGISTERED_TIMEOUT_SECONDS);
    cr.getSpec().setSelfHealing(h);
    return cr;
  }

  /** Ready, with this many context and generation instances ready and registered. */
  private static boolean serving(TestNamespace ns, int context, int generation) {
    DisaggCluster d = DisaggClusters.get(ns, NAME);
    return d != null
        && d.getStatus() != null
        && Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY)
        && Integer.valueOf(context).equals(d.getStatus().getContext().getRegisteredInstances())
        && Integer.valueOf(generation)
            .equals(d.getStatus().getGeneration().getRegisteredInstances())
        && Integer.valueOf(context).equals(d.getStatus().getContext().getReadyReplicas())
        && Integer.valueOf(generation).equals(d.getStatus().getGeneration().getReadyReplicas());
  }

  private static PoolStatus pool(TestNamespace ns, String pool) {
    DisaggCluster d = DisaggClusters.get(ns, NAME);
    return "context".equals(pool) ? d.getStatus().getContext() : d.getStatus().getGeneration();
  }

  /** Worker pods not terminating, name to UID. */
  private static Map<String, String> workerUids(TestNamespace ns) {
    List<Pod> pods = ns.client().pods().inNamespace(ns.name()).list().getItems();
    return pods.stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(
            p -> {
              String c = p.getMetadata().getLabels().get(Labels.COMPONENT);
              return "context".equals(c) || "generation".equals(c);
            })
        .collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getMetadata().getUid()));
  }

  private static List<String> events(TestNamespace ns) {
    return ns.client().v1().events().inNamespace(ns.name()).list().getItems().stream()
        .map(e -> e.getReason() + ": " + e.getMessage())
        .toList();
  }
}
