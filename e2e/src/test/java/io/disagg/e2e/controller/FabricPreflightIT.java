package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.NodeFabric;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fabric pre-flight end to end: the simulated kubelet runs the operator's real {@code
 * fabric-preflight.sh} from the mounted ConfigMap against a fake device tree per node. A node whose
 * EFA devices are not visible keeps its worker pod in {@code Init:Error}/{@code
 * Init:CrashLoopBackOff} (the worker never starts) and the DisaggCluster becomes {@code Degraded}
 * with reason {@code EfaDevicesMissing} naming the pod and the node, with a Warning Event; once the
 * node is repaired the retried pre-flight passes and the cluster becomes Ready. A cluster without
 * EFA or LIBFABRIC gets no init container.
 */
@ClusterTest
class FabricPreflightIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @BeforeAll
  static void crd() {
    try (var c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void aNodeWithoutEfaDevicesDegradesTheClusterNamingTheNodeUntilRepaired(TestNamespace ns) {
    Set<String> broken = ConcurrentHashMap.newKeySet();
    broken.add("*");
    try (Testbed bed =
        Testbed.withNodeFabric(
            ns,
            node ->
                broken.contains("*") ? NodeFabric.HEALTHY.withEfaDevices(0) : NodeFabric.HEALTHY)) {
      DisaggCluster cr = bed.sample("aws-efa-p5.yaml");
      ns.client().resource(cr).create();
      String name = cr.getMetadata().getName();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                Condition d = condition(ns, name, ConditionType.DEGRADED);
                assertThat(d.getStatus()).isEqualTo("True");
                assertThat(d.getReason()).isEqualTo("EfaDevicesMissing");
                Pod failing = workers(ns, name).get(0);
                assertThat(d.getMessage())
                    .contains(
                        "pod " + failing.getMetadata().getName(),
                        "on node " + failing.getSpec().getNodeName(),
                        "0 of 32 EFA devices visible");
              });
      // every worker's pre-flight has failed once (each pod runs its own, so the others may end
      // a moment after the one the condition names)
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                for (Pod p : workers(ns, name)) {
                  assertThat(p.getStatus().getInitContainerStatuses()).isNotEmpty();
                  ContainerStatus init = p.getStatus().getInitContainerStatuses().get(0);
                  assertThat(init.getName()).isEqualTo("fabric-preflight");
                  var t =
                      init.getState().getTerminated() != null
                          ? init.getState().getTerminated()
                          : init.getLastState() == null
                              ? null
                              : init.getLastState().getTerminated();
                  assertThat(t)
                      .as("pre-flight of " + p.getMetadata().getName() + " ended")
                      .isNotNull();
                  assertThat(t.getExitCode()).isEqualTo(1);
                  assertThat(t.getMessage())
                      .startsWith(
                          "EfaDevicesMissing: node " + p.getSpec().getNodeName() + ": 0 of 32");
                  assertThat(p.getStatus().getPhase()).isEqualTo("Pending");
                }
              });
      assertThat(bed.kubelet().allWorkers()).as("no worker process started").isEmpty();
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .filteredOn(e -> "Warning".equals(e.getType()))
          .extracting(Event::getReason)
          .contains("EfaDevicesMissing");
      assertThat(condition(ns, name, ConditionType.READY).getStatus()).isEqualTo("False");

      broken.clear(); // the device plugin is back: the retry after the back-off passes

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                assertThat(condition(ns, name, ConditionType.READY).getStatus()).isEqualTo("True");
                assertThat(condition(ns, name, ConditionType.DEGRADED).getStatus())
                    .isEqualTo("False");
              });
    }
  }

  @Test
  void aClusterWithoutEfaOrLibfabricHasNoInitContainer(TestNamespace ns) {
    try (Testbed bed = Testbed.start(ns)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      ns.client().resource(cr).create();
      String name = cr.getMetadata().getName();
      await()
          .atMost(TIMEOUT)
          .until(() -> "True".equals(condition(ns, name, ConditionType.READY).getStatus()));
      for (StatefulSet s :
          ns.client().apps().statefulSets().inNamespace(ns.name()).list().getItems()) {
        assertThat(s.getSpec().getTemplate().getSpec().getInitContainers()).isEmpty();
      }
      assertThat(workers(ns, name))
          .isNotEmpty()
          .allSatisfy(p -> assertThat(p.getSpec().getInitContainers()).isEmpty());
      assertThat(
              ns.client()
                  .configMaps()
                  .inNamespace(ns.name())
                  .withName(name + "-config")
                  .get()
                  .getData())
          .doesNotContainKey("fabric-preflight.sh");
    }
  }

  private static List<Pod> workers(TestNamespace ns, String name) {
    return ns
        .client()
        .pods()
        .inNamespace(ns.name())
        .withLabel(Labels.PART_OF, name + "-workers")
        .list()
        .getItems()
        .stream()
        .sorted((a, b) -> a.getMetadata().getName().compareTo(b.getMetadata().getName()))
        .toList();
  }

  private static Condition condition(TestNamespace ns, String name, ConditionType type) {
    DisaggCluster cr =
        ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).withName(name).get();
    if (cr == null || cr.getStatus() == null) {
      return new Condition();
    }
    return Conditions.find(cr.getStatus().getConditions(), type).orElse(new Condition());
  }
}
