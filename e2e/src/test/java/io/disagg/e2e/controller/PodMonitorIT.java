package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.PrometheusOperatorCrds;
import io.disagg.e2e.testing.Testbed;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.MonitoringSpec;
import io.disagg.operator.api.v1alpha1.MonitoringStatus;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.openshift.api.model.monitoring.v1.PodMetricsEndpoint;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.RelabelConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PodMonitors on the local cluster, against the Prometheus Operator's real PodMonitor CRD (the
 * pinned release's {@code monitoring.coreos.com_podmonitors.yaml}, fetched from the Go module proxy
 * by {@code e2e/cluster/prometheus-operator-crds.sh}), so the API server validates and prunes them
 * with the real schema: (a) without the CRD a DisaggCluster that asks for PodMonitors becomes
 * Ready, with {@code status.monitoring} {@code CrdMissing} and a Normal Event, and nothing fails;
 * (b) once the CRD is installed, both PodMonitors appear, as rendered (nothing pruned), and an
 * unchanged cluster writes nothing; (c) turning monitoring off deletes them.
 */
@ClusterTest
class PodMonitorIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String NAME = "tinyllama";
  private static final String CRD = PrometheusOperatorCrds.PODMONITORS;

  @BeforeAll
  static void crds() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
      PrometheusOperatorCrds.deletePodMonitors(c);
    }
  }

  @AfterAll
  static void removePodMonitorCrd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      PrometheusOperatorCrds.deletePodMonitors(c);
    }
  }

  @Test
  void podMonitorsFollowTheCrdAndTheSpec(TestNamespace ns) {
    try (Testbed bed = Testbed.start(ns)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      cr.getSpec().setMonitoring(new MonitoringSpec());
      cr.getSpec().getMonitoring().setPodMonitors(true);
      cr.getSpec().getMonitoring().setInterval("15s");
      cr.getSpec().getMonitoring().setLabels(Map.of("release", "kube-prometheus-stack"));
      ns.client().resource(cr).create();

      // (a) No CRD: Ready, a status note, a Normal Event, no error.
      await()
          .atMost(TIMEOUT)
          .until(() -> ready(ns) && monitoring(ns, MonitoringStatus.CRD_MISSING));
      DisaggCluster seen = DisaggClusters.get(ns, NAME);
      assertThat(Conditions.isTrue(seen.getStatus().getConditions(), ConditionType.DEGRADED))
          .as("a missing PodMonitor CRD is no error")
          .isFalse();
      assertThat(seen.getStatus().getMonitoring().getMessage()).contains(CRD);
      assertThat(events(ns))
          .filteredOn(e -> "PodMonitorCrdMissing".equals(e.getReason()))
          .singleElement()
          .satisfies(e -> assertThat(e.getType()).isEqualTo("Normal"));

      // (b) The real CRD: both PodMonitors, as rendered.
      PrometheusOperatorCrds.installPodMonitors(ns.client());
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  monitoring(ns, MonitoringStatus.APPLIED)
                      && podMonitor(ns, NAME + "-workers") != null
                      && podMonitor(ns, NAME + "-router") != null);
      String revision =
          ns.client()
              .apps()
              .statefulSets()
              .inNamespace(ns.name())
              .withName(NAME + "-context")
              .get()
              .getMetadata()
              .getLabels()
              .get(RevisionNames.LABEL);
      PodMonitor workers = podMonitor(ns, NAME + "-workers");
      PodMonitor router = podMonitor(ns, NAME + "-router");
      // Kept by the API server as the operator wrote them: the real schema pruned nothing.
      PodMetricsEndpoint w = only(workers);
      assertThat(w.getPath()).isEqualTo("/prometheus/metrics");
      assertThat(w.getPort()).isEqualTo("http");
      assertThat(w.getInterval()).isEqualTo("15s");
      assertThat(w.getRelabelings())
          .extracting(RelabelConfig::getTargetLabel)
          .containsExactly("disagg_cluster", "pool", "revision", "revision");
      assertThat(w.getRelabelings().get(3).getReplacement())
          .as("the first revision's pods have no revision label")
          .isEqualTo(revision);
      assertThat(w.getAdditionalProperties()).isEmpty();
      assertThat(only(router).getPath()).isEqualTo("/prometheus/metrics/");
      assertThat(workers.getSpec().getSelector().getMatchLabels())
          .containsEntry("app.kubernetes.io/instance", NAME);
      for (PodMonitor pm : List.of(workers, router)) {
        assertThat(pm.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");
        assertThat(pm.getMetadata().getOwnerReferences())
            .singleElement()
            .satisfies(o -> assertThat(o.getName()).isEqualTo(NAME));
      }
      // Each worker pod's labels match the selector.
      assertThat(
              ns.client()
                  .pods()
                  .inNamespace(ns.name())
                  .withLabels(workers.getSpec().getSelector().getMatchLabels())
                  .list()
                  .getItems())
          .isNotEmpty();

      // An unchanged cluster writes nothing (PodMonitors included).
      assertThat(bed.writesDuringUnchangedReconciles(NAME + "-context-0", 2, TIMEOUT))
          .as("writes during unchanged reconciles")
          .isEmpty();

      // (c) Off: both deleted, the status note gone.
      ns.client()
          .resources(DisaggCluster.class)
          .inNamespace(ns.name())
          .withName(NAME)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"spec\":{\"monitoring\":{\"podMonitors\":false}}}");
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  podMonitor(ns, NAME + "-workers") == null
                      && podMonitor(ns, NAME + "-router") == null
                      && DisaggClusters.get(ns, NAME).getStatus().getMonitoring() == null);
      assertThat(ready(ns)).isTrue();
    }
  }

  private static PodMetricsEndpoint only(PodMonitor pm) {
    assertThat(pm.getSpec().getPodMetricsEndpoints()).hasSize(1);
    return pm.getSpec().getPodMetricsEndpoints().get(0);
  }

  private static boolean ready(TestNamespace ns) {
    DisaggCluster d = DisaggClusters.get(ns, NAME);
    return d != null
        && d.getStatus() != null
        && Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY);
  }

  private static boolean monitoring(TestNamespace ns, String state) {
    DisaggCluster d = DisaggClusters.get(ns, NAME);
    return d != null
        && d.getStatus() != null
        && d.getStatus().getMonitoring() != null
        && state.equals(d.getStatus().getMonitoring().getPodMonitors());
  }

  private static PodMonitor podMonitor(TestNamespace ns, String name) {
    return ns.client().resources(PodMonitor.class).inNamespace(ns.name()).withName(name).get();
  }

  private static List<Event> events(TestNamespace ns) {
    return ns.client().v1().events().inNamespace(ns.name()).list().getItems();
  }
}
