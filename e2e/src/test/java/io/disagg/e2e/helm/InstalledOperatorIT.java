package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Helm;
import io.disagg.e2e.testing.HelmTest;
import io.disagg.e2e.testing.MetricCatalog;
import io.disagg.e2e.testing.PackagedOperator;
import io.disagg.e2e.trtllm.SimulatedKubelet;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged operator (the Quarkus application the images run, {@code quarkus-run.jar}) started
 * exactly as the chart's Deployment configures it: the chart installed with {@code replicas=0} (no
 * image can be pulled here), the process given the container's environment from the installed
 * Deployment, the chart's ServiceAccount token and nothing else. It must elect itself leader,
 * reconcile a sample that names no etcd (the chart's default endpoints) to Ready, and answer the
 * chart's probe and metrics paths. This is what a unit of the chart cannot show: build-time Quarkus
 * properties, the real start-up path (CDI producers, leader election, the QOSDK configuration) and
 * the application's own HTTP endpoints.
 */
@ClusterTest
@HelmTest
class InstalledOperatorIT {

  private static final String RELEASE = "disagg-operator";
  private static final Duration TIMEOUT = Duration.ofSeconds(150);

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void thePackagedOperatorRunsWithTheChartsConfigurationAndIdentity(TestNamespace ns)
      throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        AutoCloseable chart =
            Helm.installForPackagedOperator(RELEASE, ns.name(), etcd.endpoint())) {
      try (SimulatedKubelet kubelet =
          SimulatedKubelet.builder(ns.client(), ns.name(), etcd.endpoint()).start()) {
        Deployment d = PackagedOperator.chartDeployment(ns, RELEASE);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getPorts()).anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
        try (PackagedOperator operator =
            PackagedOperator.start(ns, d, "installed-operator-it", Map.of())) {
          DisaggCluster cr = Samples.load("minimal.yaml");
          cr.getSpec()
              .getDiscovery()
              .getEtcd()
              .setEndpoints(new ArrayList<>()); // the chart's default
          DisaggClusters.create(ns, cr);
          await()
              .atMost(TIMEOUT)
              .untilAsserted(
                  () -> {
                    assertThat(operator.process().isAlive())
                        .as("operator process (log %s)", operator.log())
                        .isTrue();
                    DisaggCluster got = DisaggClusters.get(ns, "tinyllama");
                    assertThat(got.getStatus()).isNotNull();
                    assertThat(
                            io.disagg.operator.status.Conditions.find(
                                got.getStatus().getConditions(),
                                io.disagg.operator.status.ConditionType.READY))
                        .hasValueSatisfying(
                            rc ->
                                assertThat(rc.getStatus())
                                    .as(rc.getReason() + ": " + rc.getMessage())
                                    .isEqualTo("True"));
                  });

          for (String path :
              List.of(
                  c.getLivenessProbe().getHttpGet().getPath(),
                  c.getReadinessProbe().getHttpGet().getPath(),
                  c.getStartupProbe().getHttpGet().getPath())) {
            assertThat(operator.get(path))
                .as("chart probe path %s", path)
                .hasValueSatisfying(r -> assertThat(r.statusCode()).isEqualTo(200));
          }
          assertThat(operator.get("/q/metrics"))
              .as("operator metrics for the metrics Service")
              .hasValueSatisfying(r -> assertThat(r.body()).contains("operator_sdk_"));
          // Every operator metric of the catalog that the dashboard and alerts may use is there
          // from the first reconciles, with the catalog's labels (docs/metrics-catalog.yaml).
          String exposition = operator.get("/q/metrics").orElseThrow().body();
          assertThat(
                  MetricCatalog.problemsOf(
                      exposition,
                      MetricCatalog.load().metrics().stream()
                          .filter(m -> Set.of("operator", "josdk").contains(m.source()))
                          .filter(m -> m.appears() == null)
                          .toList()))
              .as("operator metrics of docs/metrics-catalog.yaml on /q/metrics:\n%s", exposition)
              .isEmpty();
          assertThat(PackagedOperator.leaseHolder(ns, "disagg-operator-leader"))
              .isEqualTo("installed-operator-it");
          assertThat(operator.logText())
              .doesNotContain("Build time property cannot be changed at runtime");
          // A healthy creation raises no alarm: the watch's first list is "starting", not
          // "unreachable".
          assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
              .filteredOn(e -> "DisaggCluster".equals(e.getInvolvedObject().getKind()))
              .noneSatisfy(e -> assertThat(e.getType()).isEqualTo("Warning"));
        }
      }
    }
  }
}
