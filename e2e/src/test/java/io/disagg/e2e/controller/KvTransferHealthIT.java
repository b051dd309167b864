package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.ServiceEndpoints;
import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.LoadClient;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.e2e.trtllm.WorkerRole;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.KvTransferCheckSpec;
import io.disagg.operator.api.v1alpha1.KvTransferStatus;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The run-time KV-transfer check end to end: an EFA cluster whose simulated generation workers
 * receive KV caches at EFA speed is {@code KVTransferHealthy=True}; once they receive at a TCP-like
 * 50 MiB/s the operator, reading their {@code /perf_metrics}, turns it False with reason {@code
 * SlowTransfer}, shows the bandwidth in {@code status.generation.kvTransfer} and records a Warning
 * Event; no request fails meanwhile.
 */
@ClusterTest
class KvTransferHealthIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final String NAME = "tinyllama";
  private static final double SLOW = 50.0 * (1 << 20);

  @BeforeAll
  static void crd() {
    try (var c = io.disagg.operator.testing.LocalCluster.newClient()) {
      io.disagg.operator.testing.Samples.installCrd(c);
    }
  }

  @Test
  void slowGenerationTransfersWithEfaTurnKvTransferHealthyFalse(TestNamespace ns) throws Exception {
    try (Testbed bed = Testbed.start(ns)) {
      DisaggCluster cr = efaCluster(bed);
      ns.client().resource(cr).create();
      DisaggClusters.awaitReady(ns, NAME, TIMEOUT);

      // EFA-speed workers (the simulator's default, 20 GiB/s): healthy.
      try (ServiceEndpoints svc = ServiceEndpoints.of(ns.client(), ns.name(), NAME + "-router");
          LoadClient load = load(svc)) {
        await().atMost(TIMEOUT).until(() -> reason(ns) != null && reason(ns).equals("AsExpected"));
        assertThat(condition(ns).getStatus()).isEqualTo("True");
        assertThat(kvTransfer(ns).getBytesPerSecond()).isGreaterThanOrEqualTo(1L << 30);

        // A fallback to TCP: the generation workers receive at 50 MiB/s.
        generationWorkers(bed).forEach(w -> w.setKvTransferBytesPerSecond(SLOW));
        await()
            .atMost(TIMEOUT)
            .until(() -> reason(ns) != null && reason(ns).equals("SlowTransfer"));
        Condition c = condition(ns);
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getMessage())
            .startsWith("generation: ")
            .contains("below the floor of 1 GiB/s");
        KvTransferStatus kv = kvTransfer(ns);
        assertThat(kv.getBytesPerSecond()).isPositive().isLessThan(1L << 30);
        assertThat(kv.getMinBytesPerSecond()).isEqualTo(1L << 30);
        assertThat(kv.getSamples()).isGreaterThanOrEqualTo(10);
        assertThat(kv.getWindowSeconds()).isEqualTo(30);
        assertThat(kv.getLastSampleTime()).isNotBlank();
        assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
            .filteredOn(e -> "SlowTransfer".equals(e.getReason()))
            .extracting(Event::getType)
            .containsExactly("Warning");

        LoadClient.Summary s = load.stop();
        assertThat(s.failed()).as("%s", s.failuresByReason()).isZero();
        assertThat(s.succeeded()).isPositive();
      }
      assertThat(DisaggClusters.get(ns, NAME).getStatus().getContext().getKvTransfer())
          .as("context workers record no transfer size")
          .isNull();
    }
  }

  /**
   * The minimal sample with EFA on (NIXL over LIBFABRIC, one EFA device per pod) and a short
   * window, so that the test does not wait five minutes; the default floor with EFA (1 GiB/s)
   * applies. Every pod on one node: the simulated processes bind their pod's IP, and the local
   * cluster's kwok was seen handing out the same IP to pods of two nodes.
   */
  private static DisaggCluster efaCluster(Testbed bed) {
    DisaggCluster cr = bed.sample("minimal.yaml");
    cr.getSpec().getKvCacheTransfer().setBackend(KvCacheTransferBackend.NIXL);
    cr.getSpec().getKvCacheTransfer().setNixlBackend(NixlBackend.LIBFABRIC);
    cr.getSpec().getFabric().getEfa().setEnabled(true);
    cr.getSpec().getFabric().getEfa().setDevicesPerPod(1);
    KvTransferCheckSpec check = new KvTransferCheckSpec();
    check.setWindowSeconds(30);
    check.setMinSamples(10);
    check.setIntervalSeconds(5);
    cr.getSpec().getFabric().setKvTransferCheck(check);
    cr.getSpec().getContext().setReplicas(1);
    Map<String, String> node = Map.of("kubernetes.io/hostname", "gpu-us-east-1a-1");
    cr.getSpec().getContext().setNodeSelector(new LinkedHashMap<>(node));
    cr.getSpec().getGeneration().setNodeSelector(new LinkedHashMap<>(node));
    cr.getSpec().getRouter().setNodeSelector(new LinkedHashMap<>(node));
    return cr;
  }

  private static LoadClient load(ServiceEndpoints svc) {
    return LoadClient.builder(svc)
        .concurrency(2)
        .maxRequests(1_000_000)
        .thinkTime(Duration.ofMillis(50))
        .maxDuration(Duration.ofSeconds(150))
        .start();
  }

  private static List<SimulatedWorker> generationWorkers(Testbed bed) {
    List<SimulatedWorker> gen =
        bed.kubelet().workers().values().stream()
            .filter(w -> w.role() == WorkerRole.GENERATION)
            .toList();
    assertThat(gen).isNotEmpty();
    return gen;
  }

  private static Condition condition(TestNamespace ns) {
    DisaggCluster d = DisaggClusters.get(ns, NAME);
    return d == null || d.getStatus() == null
        ? null
        : Conditions.find(d.getStatus().getConditions(), ConditionType.KV_TRANSFER_HEALTHY)
            .orElse(null);
  }

  private static String reason(TestNamespace ns) {
    Condition c = condition(ns);
    return c == null ? null : c.getReason();
  }

  private static KvTransferStatus kvTransfer(TestNamespace ns) {
    return DisaggClusters.get(ns, NAME).getStatus().getGeneration().getKvTransfer();
  }
}
