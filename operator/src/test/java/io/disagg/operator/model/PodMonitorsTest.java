package io.disagg.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.MonitoringSpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.spec.MonitoringDefaults;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.openshift.api.model.monitoring.v1.PodMetricsEndpoint;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.RelabelConfig;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PodMonitorsTest {

  private static final String LATER = "fedcba9876543210";

  private static DisaggCluster effective(DisaggCluster cr, MonitoringDefaults defaults) {
    return EffectiveSpecs.of(cr, List.of("etcd.infra.svc:2379"), defaults).spec().cluster();
  }

  private static DisaggCluster effective() {
    return effective(ModelFixtures.cluster(), MonitoringDefaults.OFF);
  }

  private static PodMetricsEndpoint endpoint(PodMonitor pm) {
    assertThat(pm.getSpec().getPodMetricsEndpoints()).hasSize(1);
    return pm.getSpec().getPodMetricsEndpoints().get(0);
  }

  /**
   * Paths as TensorRT-LLM serves them: the worker's route answers /prometheus/metrics
   * (tensorrt_llm/serve/openai_server.py, OpenAIServer.mount_metrics), the router mounts the
   * prometheus_client app with Starlette's app.mount (tensorrt_llm/serve/openai_disagg_server.py),
   * which redirects /prometheus/metrics to /prometheus/metrics/: the router's path needs the slash.
   */
  @Test
  void pathsPortAndInterval() {
    DisaggCluster cr = effective();
    PodMonitor workers = PodMonitors.workers(cr, ModelFixtures.REVISION);
    PodMonitor router = PodMonitors.router(cr, ModelFixtures.REVISION);
    assertThat(workers.getMetadata().getName()).isEqualTo("demo-workers");
    assertThat(router.getMetadata().getName()).isEqualTo("demo-router");
    assertThat(workers.getMetadata().getNamespace()).isEqualTo(ModelFixtures.NAMESPACE);
    assertThat(endpoint(workers).getPath()).isEqualTo("/prometheus/metrics");
    assertThat(endpoint(router).getPath()).isEqualTo("/prometheus/metrics/");
    for (PodMonitor pm : List.of(workers, router)) {
      assertThat(endpoint(pm).getPort()).isEqualTo("http");
      assertThat(endpoint(pm).getInterval()).isEqualTo(MonitoringSpec.DEFAULT_INTERVAL);
      assertThat(pm.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
      assertThat(pm.getKind()).isEqualTo("PodMonitor");
    }

    DisaggCluster fast = ModelFixtures.cluster();
    fast.getSpec().setMonitoring(new MonitoringSpec());
    fast.getSpec().getMonitoring().setInterval("1m30s");
    assertThat(
            endpoint(PodMonitors.workers(effective(fast, MonitoringDefaults.OFF), null))
                .getInterval())
        .isEqualTo("1m30s");
  }

  @Test
  void theNamedPortIsTheServingPortOfWorkersAndRouter() {
    DisaggCluster cr = effective();
    cr.getSpec().getContext().setPort(8101);
    cr.getSpec().getRouter().setPort(9000);
    var worker =
        WorkerStatefulSets.podTemplate(cr, ModelFixtures.names(cr), Pool.CONTEXT, "h")
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(worker.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo(endpoint(PodMonitors.workers(cr, null)).getPort());
              assertThat(p.getContainerPort()).isEqualTo(8101);
            });
    var router =
        RouterDeployments.desired(cr, ModelFixtures.names(cr), 1, "h")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(router.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo(endpoint(PodMonitors.router(cr, null)).getPort());
              assertThat(p.getContainerPort()).isEqualTo(9000);
            });
  }

  @Test
  void selectorsMatchThePodsOfEveryRevisionAndNothingElse() {
    DisaggCluster cr = effective();
    RevisionNames first = ModelFixtures.names(cr);
    RevisionNames later = new RevisionNames(cr.getMetadata().getName(), LATER, "fedcb", "x");
    Map<String, String> workerSelector =
        PodMonitors.workers(cr, null).getSpec().getSelector().getMatchLabels();
    Map<String, String> routerSelector =
        PodMonitors.router(cr, null).getSpec().getSelector().getMatchLabels();
    for (RevisionNames n : List.of(first, later)) {
      for (Pool pool : Pool.values()) {
        Map<String, String> pod =
            WorkerStatefulSets.podTemplate(cr, n, pool, "h").getMetadata().getLabels();
        assertThat(pod).containsAllEntriesOf(workerSelector);
        assertThat(pod)
            .as("a worker is not a router")
            .doesNotContainEntry(Labels.COMPONENT, Labels.ROUTER_COMPONENT);
        assertThat(matches(routerSelector, pod)).isFalse();
      }
      Map<String, String> routerPod =
          RouterDeployments.desired(cr, n, 1, "h")
              .getSpec()
              .getTemplate()
              .getMetadata()
              .getLabels();
      assertThat(routerPod).containsAllEntriesOf(routerSelector);
      assertThat(matches(workerSelector, routerPod)).isFalse();
    }
    DisaggCluster other = ModelFixtures.cluster();
    other.getMetadata().setName("other");
    Map<String, String> otherPod =
        WorkerStatefulSets.podTemplate(
                effective(other, MonitoringDefaults.OFF),
                ModelFixtures.names(other),
                Pool.CONTEXT,
                "h")
            .getMetadata()
            .getLabels();
    assertThat(matches(workerSelector, otherPod)).as("another DisaggCluster's worker").isFalse();
  }

  private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  @Test
  void relabelingsGiveClusterPoolAndRevisionFromPodLabels() {
    DisaggCluster cr = effective();
    List<RelabelConfig> workers = endpoint(PodMonitors.workers(cr, null)).getRelabelings();
    assertThat(workers)
        .extracting(RelabelConfig::getTargetLabel)
        .containsExactly("disagg_cluster", "pool", "revision");
    assertThat(workers)
        .extracting(r -> r.getSourceLabels().get(0))
        .containsExactly(
            "__meta_kubernetes_pod_label_app_kubernetes_io_instance",
            "__meta_kubernetes_pod_label_app_kubernetes_io_component",
            "__meta_kubernetes_pod_label_serving_disagg_io_revision");
    for (RelabelConfig r : workers) {
      assertThat(r.getAction()).isEqualTo("replace");
      assertThat(r.getReplacement()).isEqualTo("$1");
      // An absent pod label is an empty source value: (.+) leaves the target alone.
      assertThat(Pattern.matches(r.getRegex(), "")).isFalse();
      assertThat(r.getSourceLabels().get(0)).matches("^[a-zA-Z_][a-zA-Z0-9_]*$");
    }
    // What the pod labels hold: pool is the component label of worker pods.
    Map<String, String> pod =
        WorkerStatefulSets.podTemplate(cr, ModelFixtures.names(cr), Pool.GENERATION, "h")
            .getMetadata()
            .getLabels();
    assertThat(pod)
        .containsEntry(Labels.COMPONENT, "generation")
        .containsEntry(Labels.INSTANCE, "demo");

    List<RelabelConfig> router = endpoint(PodMonitors.router(cr, null)).getRelabelings();
    assertThat(router)
        .extracting(RelabelConfig::getTargetLabel)
        .containsExactly("disagg_cluster", "revision");
  }

  @Test
  void theFirstRevisionsPodsGetTheirRevisionFromARule() {
    DisaggCluster cr = effective();
    List<RelabelConfig> r = endpoint(PodMonitors.workers(cr, "abc123")).getRelabelings();
    RelabelConfig last = r.get(r.size() - 1);
    assertThat(last.getTargetLabel()).isEqualTo("revision");
    assertThat(last.getSourceLabels())
        .containsExactly("__meta_kubernetes_pod_label_serving_disagg_io_revision");
    assertThat(Pattern.matches(last.getRegex(), "")).isTrue();
    assertThat(Pattern.matches(last.getRegex(), LATER)).isFalse();
    assertThat(last.getReplacement()).isEqualTo("abc123");
    // The first revision's pods indeed carry no revision label.
    assertThat(
            WorkerStatefulSets.podTemplate(cr, ModelFixtures.names(cr), Pool.CONTEXT, "h")
                .getMetadata()
                .getLabels())
        .doesNotContainKey(RevisionNames.LABEL);
  }

  @Test
  void legacyRevisionIsReadFromTheFirstRevisionsStatefulSets() {
    DisaggCluster cr = effective();
    StatefulSet first = sts("demo-context", "rev-1");
    StatefulSet later = sts("demo-fedcb-ctx", LATER);
    StatefulSet otherCluster = sts("demo2-context", "rev-2");
    assertThat(PodMonitors.legacyRevision(cr, List.of(later, first, otherCluster)))
        .isEqualTo("rev-1");
    assertThat(PodMonitors.legacyRevision(cr, List.of(later, otherCluster))).isNull();
  }

  private static StatefulSet sts(String name, String revision) {
    return new StatefulSetBuilder()
        .withMetadata(
            new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(ModelFixtures.NAMESPACE)
                .withLabels(Map.of(RevisionNames.LABEL, revision))
                .build())
        .build();
  }

  @Test
  void objectLabelsMergeDefaultsAndSpecAndKeepTheOperatorsOwn() {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().setMonitoring(new MonitoringSpec());
    cr.getSpec().getMonitoring().setLabels(Map.of("team", "ml", Labels.MANAGED_BY, "me"));
    DisaggCluster eff =
        effective(
            cr,
            new MonitoringDefaults(true, Map.of("release", "kube-prometheus-stack", "team", "x")));
    Map<String, String> labels = PodMonitors.workers(eff, null).getMetadata().getLabels();
    assertThat(labels)
        .containsEntry("release", "kube-prometheus-stack")
        .containsEntry("team", "ml")
        .containsEntry(Labels.MANAGED_BY, Labels.MANAGER)
        .containsEntry(Labels.COMPONENT, PodMonitors.WORKERS_COMPONENT);
    assertThat(PodMonitors.workers(eff, null).getMetadata().getAnnotations())
        .containsKey(Labels.DESIRED_HASH);
  }

  @Test
  void theDesiredHashFollowsTheContent() {
    DisaggCluster cr = effective();
    assertThat(Hashes.sameDesiredHash(PodMonitors.workers(cr, "a"), PodMonitors.workers(cr, "a")))
        .isTrue();
    assertThat(Hashes.sameDesiredHash(PodMonitors.workers(cr, "a"), PodMonitors.workers(cr, "b")))
        .isFalse();
  }

  @Test
  void intervalPatternIsThePrometheusOperatorsDuration() {
    Pattern p = Pattern.compile(MonitoringSpec.DURATION_PATTERN);
    assertThat(List.of("30s", "1m", "1m30s", "500ms", "1h", "0"))
        .allMatch(s -> p.matcher(s).matches());
    assertThat(List.of("30", "1.5m", "30 s", "-1s", "1d1")).noneMatch(s -> p.matcher(s).matches());
  }
}
