package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.RouterSpec;
import io.disagg.operator.config.TrtllmConfig;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The router Deployment {@code <name>-router}: {@code trtllm-serve disaggregated}, the
 * OpenAI-compatible front end that sends each request to a context worker, then to a generation
 * worker. It keeps no state (the worker registry is in etcd), so replicas are interchangeable.
 */
public final class RouterDeployments {
  private RouterDeployments() {}

  /** Name of the router container. */
  public static final String CONTAINER = "router";

  /** TCP liveness: 6 failures 10 s apart (1 minute) before a restart. */
  public static final int LIVENESS_PERIOD_SECONDS = 10;

  public static final int LIVENESS_FAILURE_THRESHOLD = 6;
  public static final int READINESS_PERIOD_SECONDS = 5;
  public static final int READINESS_FAILURE_THRESHOLD = 2;
  public static final int PROBE_TIMEOUT_SECONDS = 5;

  /** Period of the TCP startup probe, in seconds. */
  public static final int STARTUP_PERIOD_SECONDS = 5;

  /**
   * The router container's preStop: {@code sleep} this many seconds before the SIGTERM, so that
   * kube-proxy and load balancers stop sending new connections to a leaving router pod (they learn
   * of it from the EndpointSlice, seconds after the pod starts terminating) while it still accepts
   * them. Counted in the grace period.
   */
  public static final int PRE_STOP_SLEEP_SECONDS = 10;

  /** Minimum termination grace period of router pods, in seconds. */
  public static final int MIN_TERMINATION_GRACE_SECONDS = 30;

  /**
   * The desired router Deployment of one pairing revision ({@code <name>-router} for the first,
   * {@code <name>-<s>-rtr} later).
   *
   * @param names the revision's object names
   * @param replicas its replicas: {@code spec.router.replicas} while the revision's router is in
   *     the Service, 0 before it starts and while it leaves (the rollout's decision)
   * @param configHash hash of {@code router.yaml} (see {@link #configHash}), put on the pod
   *     template as {@link Labels#CONFIG_HASH}: the router reads its config only at start
   */
  public static Deployment desired(
      DisaggCluster cr, RevisionNames names, int replicas, String configHash) {
    DisaggClusterSpec spec = cr.getSpec();
    RouterSpec router = router(cr);
    Deployment d =
        new DeploymentBuilder()
            .withNewMetadata()
            .withName(names.router())
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(names.objectLabels(cr, Labels.ROUTER_COMPONENT))
            .endMetadata()
            .withNewSpec()
            .withReplicas(replicas)
            .withNewSelector()
            .withMatchLabels(names.selector(cr, Labels.ROUTER_COMPONENT))
            .endSelector()
            .withNewStrategy()
            .withType("RollingUpdate")
            .withNewRollingUpdate()
            .withMaxUnavailable(new IntOrString(0))
            .withMaxSurge(new IntOrString(1))
            .endRollingUpdate()
            .endStrategy()
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(names.podLabels(cr, Labels.ROUTER_COMPONENT))
            .withAnnotations(Map.of(Labels.CONFIG_HASH, configHash))
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(WorkerStatefulSets.blankToNull(spec.getServiceAccountName()))
            .withImagePullSecrets(
                Merge.copyAll(spec.getImagePullSecrets(), LocalObjectReference.class))
            .withTerminationGracePeriodSeconds(terminationGracePeriodSeconds(router))
            .withNodeSelector(
                router.getNodeSelector() == null ? null : new TreeMap<>(router.getNodeSelector()))
            .withTolerations(Merge.copyAll(router.getTolerations(), Toleration.class))
            .withAffinity(Merge.copy(router.getAffinity(), Affinity.class))
            .withSecurityContext(SecurityContexts.pod(cr))
            .withContainers(container(cr))
            .withVolumes(volumes(names))
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    return Hashes.withDesiredHash(d);
  }

  /**
   * Volumes: {@code config} ({@code router.yaml}) and the writable {@code tmp} and {@code home}
   * ({@link SecurityContexts#writableVolumes}).
   */
  static List<Volume> volumes(RevisionNames names) {
    List<Volume> out = new ArrayList<>();
    out.add(WorkerStatefulSets.configVolume(names, TrtllmConfig.ROUTER_CONFIG_KEY));
    out.addAll(SecurityContexts.writableVolumes());
    return out;
  }

  /** Mounts: config read-only at {@code /etc/trtllm}, {@code /tmp}, {@code HOME}. */
  static List<VolumeMount> volumeMounts() {
    List<VolumeMount> out = new ArrayList<>();
    out.add(WorkerStatefulSets.configMount());
    out.addAll(SecurityContexts.writableMounts());
    return out;
  }

  /** Hash of {@code router.yaml} in the config ConfigMap data. */
  public static String configHash(Map<String, String> configData) {
    String key = TrtllmConfig.ROUTER_CONFIG_KEY;
    return Hashes.configHash(
        Objects.requireNonNull(configData.get(key), () -> "config data lacks " + key));
  }

  /**
   * The {@code router} container. A leaving router first sleeps {@link #PRE_STOP_SLEEP_SECONDS}
   * (preStop), then {@code trtllm-serve}'s uvicorn stops gracefully on SIGTERM: requests in flight
   * finish within the grace period. Readiness is {@code GET /health}, which answers 500 until
   * {@code minimal_instances} workers of both pools are registered: the Service sends no traffic
   * meanwhile. Liveness is a TCP check, not {@code /health}: missing workers must not get the
   * router restarted. A TCP startup probe gives the router {@code serverStartTimeoutSeconds} (plus
   * one minute) to open its port. Security: {@link SecurityContexts#container} (the router needs no
   * capability: its port is above 1023 unless {@code router.port} says otherwise), {@code HOME} a
   * writable emptyDir unless {@code router.env} sets it.
   */
  public static Container container(DisaggCluster cr) {
    DisaggClusterSpec spec = cr.getSpec();
    RouterSpec router = router(cr);
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(spec.getImage())
        .withImagePullPolicy(
            spec.getImagePullPolicy() == null ? null : spec.getImagePullPolicy().name())
        .withCommand(command(cr))
        .withEnv(SecurityContexts.withHome(Merge.copyAll(router.getEnv(), EnvVar.class)))
        .addNewPort()
        .withName(WorkerStatefulSets.PORT_NAME)
        .withContainerPort(router.getPort())
        .withProtocol("TCP")
        .endPort()
        .withResources(Merge.copy(router.getResources(), ResourceRequirements.class))
        .withVolumeMounts(volumeMounts())
        .withSecurityContext(SecurityContexts.container(cr))
        .withStartupProbe(
            tcpProbe(
                STARTUP_PERIOD_SECONDS,
                (router.getServerStartTimeoutSeconds() + 60 + STARTUP_PERIOD_SECONDS - 1)
                    / STARTUP_PERIOD_SECONDS))
        .withReadinessProbe(
            new ProbeBuilder()
                .withNewHttpGet()
                .withPath(WorkerStatefulSets.HEALTH_PATH)
                .withPort(new IntOrString(WorkerStatefulSets.PORT_NAME))
                .withScheme("HTTP")
                .endHttpGet()
                .withPeriodSeconds(READINESS_PERIOD_SECONDS)
                .withTimeoutSeconds(PROBE_TIMEOUT_SECONDS)
                .withFailureThreshold(READINESS_FAILURE_THRESHOLD)
                .withSuccessThreshold(1)
                .build())
        .withLivenessProbe(tcpProbe(LIVENESS_PERIOD_SECONDS, LIVENESS_FAILURE_THRESHOLD))
        // exec rather than the sleep action: that one needs Kubernetes 1.30 (beta) or later.
        .withNewLifecycle()
        .withNewPreStop()
        .withNewExec()
        .withCommand("sleep", String.valueOf(PRE_STOP_SLEEP_SECONDS))
        .endExec()
        .endPreStop()
        .endLifecycle()
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .build();
  }

  /**
   * {@code trtllm-serve disaggregated -c /etc/trtllm/router.yaml -t <serverStartTimeoutSeconds> -r
   * <requestTimeoutSeconds> [-l <logLevel>]}; both timeouts in seconds.
   */
  public static List<String> command(DisaggCluster cr) {
    RouterSpec router = router(cr);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "trtllm-serve",
                "disaggregated",
                "-c",
                WorkerStatefulSets.CONFIG_DIR + "/" + TrtllmConfig.ROUTER_CONFIG_KEY,
                "-t",
                String.valueOf(router.getServerStartTimeoutSeconds()),
                "-r",
                String.valueOf(router.getRequestTimeoutSeconds())));
    if (cr.getSpec().getLogLevel() != null) {
      cmd.add("-l");
      cmd.add(cr.getSpec().getLogLevel().flag());
    }
    return cmd;
  }

  /**
   * Seconds a stopping router gets: the preStop's {@value #PRE_STOP_SLEEP_SECONDS}, then {@code
   * requestTimeoutSeconds} (at least {@value #MIN_TERMINATION_GRACE_SECONDS}), so that a request
   * accepted at the end of the preStop, streaming ones included, can end during a rolling update or
   * a rollout.
   */
  public static long terminationGracePeriodSeconds(RouterSpec router) {
    return PRE_STOP_SLEEP_SECONDS
        + Math.max(MIN_TERMINATION_GRACE_SECONDS, router.getRequestTimeoutSeconds());
  }

  static RouterSpec router(DisaggCluster cr) {
    return cr.getSpec().getRouter() == null ? new RouterSpec() : cr.getSpec().getRouter();
  }

  private static Probe tcpProbe(int periodSeconds, int failureThreshold) {
    return new ProbeBuilder()
        .withNewTcpSocket()
        .withPort(new IntOrString(WorkerStatefulSets.PORT_NAME))
        .endTcpSocket()
        .withPeriodSeconds(periodSeconds)
        .withTimeoutSeconds(PROBE_TIMEOUT_SECONDS)
        .withFailureThreshold(failureThreshold)
        .withSuccessThreshold(1)
        .build();
  }
}
