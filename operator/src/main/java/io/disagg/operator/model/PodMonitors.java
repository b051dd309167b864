package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.MonitoringSpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.RouterMetricsClient;
import io.disagg.operator.metrics.WorkerMetricsClient;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.openshift.api.model.monitoring.v1.PodMetricsEndpointBuilder;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitorBuilder;
import io.fabric8.openshift.api.model.monitoring.v1.RelabelConfig;
import io.fabric8.openshift.api.model.monitoring.v1.RelabelConfigBuilder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Prometheus Operator {@code PodMonitor}s of a DisaggCluster (docs/monitoring.md): {@code
 * <name>-workers} scrapes every worker pod (both pools, every pairing revision) at {@value
 * WorkerMetricsClient#PATH}, {@code <name>-router} every router pod at {@value
 * RouterMetricsClient#PATH}. Both on the container port named {@value WorkerStatefulSets#PORT_NAME}
 * (the port {@code trtllm-serve} listens on: {@code spec.<pool>.port}, {@code spec.router.port}).
 *
 * <p>Paths, as TensorRT-LLM serves them: a worker with {@code return_perf_metrics: true} (the
 * operator sets it, {@code TrtllmConfig}) serves {@code /prometheus/metrics} ({@code
 * OpenAIServer.mount_metrics} in {@code tensorrt_llm/serve/openai_server.py} appends a Starlette
 * {@code Mount} whose {@code path_regex} is {@code ^/prometheus/metrics(?P<path>.*)$}, so it
 * answers with and without the trailing slash); the router mounts prometheus_client's ASGI app with
 * a plain {@code app.mount("/prometheus/metrics", make_asgi_app())} ({@code
 * OpenAIDisaggServer.register_routes} in {@code tensorrt_llm/serve/openai_disagg_server.py}), which
 * answers {@code /prometheus/metrics} with a 307 redirect to {@code /prometheus/metrics/}, so the
 * router's path has the trailing slash.
 *
 * <p>Every series gets the target labels {@value #CLUSTER_LABEL} (the DisaggCluster's name),
 * {@value #REVISION_LABEL} (the pairing revision, docs/rollouts.md) and, for workers, {@value
 * #POOL_LABEL} ({@code context} or {@code generation}), relabelled from the pods' labels. The first
 * revision's pods carry no revision label ({@link RevisionNames#podLabels}); their series get that
 * revision from {@code legacyRevision}, read from the first revision's StatefulSets ({@link
 * #legacyRevision}). The Prometheus Operator adds {@code namespace}, {@code pod}, {@code container}
 * and {@code endpoint} itself.
 */
public final class PodMonitors {
  private PodMonitors() {}

  /** Value of {@link Labels#COMPONENT} on the workers' PodMonitor. */
  public static final String WORKERS_COMPONENT = "workers-podmonitor";

  /** Value of {@link Labels#COMPONENT} on the routers' PodMonitor. */
  public static final String ROUTER_COMPONENT = "router-podmonitor";

  /** Series label: the DisaggCluster's name. */
  public static final String CLUSTER_LABEL = "disagg_cluster";

  /** Series label of worker series: {@code context} or {@code generation}. */
  public static final String POOL_LABEL = "pool";

  /** Series label: the pairing revision. */
  public static final String REVISION_LABEL = "revision";

  /** Name of the workers' PodMonitor: {@code <name>-workers}. */
  public static String workersName(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-workers";
  }

  /** Name of the routers' PodMonitor: {@code <name>-router}. */
  public static String routerName(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-router";
  }

  /**
   * The workers' PodMonitor.
   *
   * @param cr the effective DisaggCluster ({@code spec.monitoring} filled in, {@code
   *     io.disagg.operator.spec.EffectiveSpec})
   * @param legacyRevision the first revision's pairing revision, or null when no first-revision
   *     object exists
   */
  public static PodMonitor workers(DisaggCluster cr, String legacyRevision) {
    return build(
        cr,
        workersName(cr),
        WORKERS_COMPONENT,
        Labels.workers(cr),
        WorkerMetricsClient.PATH,
        relabelings(true, legacyRevision));
  }

  /**
   * The routers' PodMonitor; arguments as {@link #workers}.
   *
   * @see RouterMetricsClient#PATH
   */
  public static PodMonitor router(DisaggCluster cr, String legacyRevision) {
    return build(
        cr,
        routerName(cr),
        ROUTER_COMPONENT,
        Labels.selector(cr, Labels.ROUTER_COMPONENT),
        RouterMetricsClient.PATH,
        relabelings(false, legacyRevision));
  }

  /**
   * The pairing revision of the first revision's objects among {@code sets} (its StatefulSets are
   * named {@code <name>-context} and {@code <name>-generation} and carry {@link
   * RevisionNames#LABEL}), or null when there are none.
   */
  public static String legacyRevision(DisaggCluster cr, Collection<StatefulSet> sets) {
    Set<String> legacyNames = Set.of(Names.pool(cr, Pool.CONTEXT), Names.pool(cr, Pool.GENERATION));
    return sets.stream()
        .filter(s -> legacyNames.contains(s.getMetadata().getName()))
        .filter(
            s -> Objects.equals(s.getMetadata().getNamespace(), cr.getMetadata().getNamespace()))
        .map(
            s ->
                s.getMetadata().getLabels() == null
                    ? null
                    : s.getMetadata().getLabels().get(RevisionNames.LABEL))
        .filter(Objects::nonNull)
        .sorted()
        .findFirst()
        .orElse(null);
  }

  private static PodMonitor build(
      DisaggCluster cr,
      String name,
      String component,
      Map<String, String> selector,
      String path,
      List<RelabelConfig> relabelings) {
    MonitoringSpec m = cr.getSpec().getMonitoring();
    Map<String, String> labels = Merge.maps(m.getLabels(), Labels.component(cr, component));
    PodMonitor pm =
        new PodMonitorBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withNewSelector()
            .withMatchLabels(selector)
            .endSelector()
            .withPodMetricsEndpoints(
                new PodMetricsEndpointBuilder()
                    .withPort(WorkerStatefulSets.PORT_NAME)
                    .withPath(path)
                    .withScheme("http")
                    .withInterval(m.getInterval())
                    .withRelabelings(relabelings)
                    .build())
            .endSpec()
            .build();
    return Hashes.withDesiredHash(pm);
  }

  private static List<RelabelConfig> relabelings(boolean workers, String legacyRevision) {
    List<RelabelConfig> r = new ArrayList<>();
    r.add(copy(Labels.INSTANCE, CLUSTER_LABEL));
    if (workers) {
      r.add(copy(Labels.COMPONENT, POOL_LABEL));
    }
    r.add(copy(RevisionNames.LABEL, REVISION_LABEL));
    if (legacyRevision != null) {
      // The first revision's pods have no revision label: an empty source value means that one.
      r.add(
          new RelabelConfigBuilder()
              .withSourceLabels(podLabel(RevisionNames.LABEL))
              .withRegex("^$")
              .withTargetLabel(REVISION_LABEL)
              .withReplacement(legacyRevision)
              .withAction("replace")
              .build());
    }
    return r;
  }

  /** Copies a pod label, when present and not empty, into a target label. */
  private static RelabelConfig copy(String podLabel, String target) {
    return new RelabelConfigBuilder()
        .withSourceLabels(podLabel(podLabel))
        .withRegex("(.+)")
        .withTargetLabel(target)
        .withReplacement("$1")
        .withAction("replace")
        .build();
  }

  /**
   * The Kubernetes service discovery's meta label of a pod label: {@code
   * __meta_kubernetes_pod_label_<name>}, every character that is not a letter, digit or underscore
   * replaced by an underscore (Prometheus {@code strutil.SanitizeLabelName}).
   */
  static String podLabel(String name) {
    return "__meta_kubernetes_pod_label_" + name.replaceAll("[^a-zA-Z0-9_]", "_");
  }
}
