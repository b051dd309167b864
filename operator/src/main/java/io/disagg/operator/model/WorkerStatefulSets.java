package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.EfaSpec;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.PodTemplateOverrides;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceClaim;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The StatefulSet of a worker pool: one {@code trtllm-serve --server_role CONTEXT|GENERATION}
 * instance per pod, {@code tensorParallelSize * pipelineParallelSize} GPUs per pod. Pure functions
 * of the spec (and of the config hash, which the caller computes from the rendered configuration).
 */
public final class WorkerStatefulSets {
  private WorkerStatefulSets() {}

  /** Name of the worker container. */
  public static final String CONTAINER = "worker";

  /**
   * Name of the fabric pre-flight init container (only with {@link TrtllmConfig#preflightEnabled}).
   */
  public static final String PREFLIGHT_CONTAINER = "fabric-preflight";

  /** Node name from the downward API ({@code spec.nodeName}), named in pre-flight failures. */
  public static final String ENV_NODE_NAME = "NODE_NAME";

  /** EFA devices the pre-flight expects ({@code efa.devicesPerPod}); absent without EFA. */
  public static final String ENV_PREFLIGHT_EFA_DEVICES = "PREFLIGHT_EFA_DEVICES";

  /** {@code efa.libraryPath} for the pre-flight (its sibling {@code bin/} holds fi_info). */
  public static final String ENV_PREFLIGHT_EFA_LIBRARY_PATH = "PREFLIGHT_EFA_LIBRARY_PATH";

  /** Name of the HTTP port of workers and router; probes and Services refer to it by name. */
  public static final String PORT_NAME = "http";

  /** Directory where the config ConfigMap is mounted (read-only) in worker and router pods. */
  public static final String CONFIG_DIR = "/etc/trtllm";

  /** Volume holding the config ConfigMap. */
  public static final String CONFIG_VOLUME = "config";

  /** Volume of the memory-backed {@code /dev/shm}. */
  public static final String SHM_VOLUME = "dshm";

  /** Mount path of the shared-memory volume. */
  public static final String SHM_PATH = "/dev/shm";

  /** Size of {@code /dev/shm} when {@code shmSize} is unset: 16 GiB (bytes, as a quantity). */
  public static final String DEFAULT_SHM_SIZE = "16Gi";

  /** {@code hugepages-2Mi} per pod with EFA when {@code efa.hugepages2Mi} is unset: 512 MiB. */
  public static final String DEFAULT_HUGEPAGES_2MI = "512Mi";

  /**
   * Memory request added with EFA hugepages when the user gave neither a memory request nor a
   * memory limit: Kubernetes rejects hugepages without a cpu or memory request. 1 GiB only makes
   * the pod valid; real workers should set their own memory.
   */
  public static final String DEFAULT_MEMORY_REQUEST_WITH_HUGEPAGES = "1Gi";

  public static final String GPU_RESOURCE = "nvidia.com/gpu";
  public static final String EFA_RESOURCE = "vpc.amazonaws.com/efa";
  public static final String HUGEPAGES_2MI_RESOURCE = "hugepages-2Mi";

  /** {@code GET /health} of trtllm-serve: 200 once the model is loaded and serving. */
  public static final String HEALTH_PATH = "/health";

  /**
   * Period of the startup probe, in seconds; its failure threshold covers startupTimeoutSeconds.
   */
  public static final int STARTUP_PERIOD_SECONDS = 10;

  public static final int READINESS_PERIOD_SECONDS = 5;
  public static final int READINESS_TIMEOUT_SECONDS = 5;
  public static final int READINESS_FAILURE_THRESHOLD = 3;

  /**
   * Liveness: 10 failures 30 s apart (5 minutes) before a restart; a busy worker may answer slowly.
   */
  public static final int LIVENESS_PERIOD_SECONDS = 30;

  public static final int LIVENESS_TIMEOUT_SECONDS = 10;
  public static final int LIVENESS_FAILURE_THRESHOLD = 10;
  public static final int PROBE_TIMEOUT_SECONDS = 5;

  /**
   * Upper bound of the preStop hook's wait after it deleted the worker's etcd key, in seconds (see
   * {@link #preStopGraceSeconds}).
   */
  public static final int MAX_PRE_STOP_GRACE_SECONDS = 10;

  /** Environment variable holding the model (first argument of trtllm-serve). */
  public static final String ENV_MODEL = "TRTLLM_MODEL";

  /** Pod IP from the downward API; the worker's {@code --host}. */
  public static final String ENV_POD_IP = "POD_IP";

  public static final String ENV_POD_NAME = "POD_NAME";
  public static final String ENV_POD_NAMESPACE = "POD_NAMESPACE";

  /**
   * The desired StatefulSet of {@code pool} of one pairing revision ({@code names}: {@code
   * <name>-<pool>} for the first revision, {@code <name>-<s>-ctx|gen} later). Its {@code
   * serviceName} is the pool's headless Service {@code <name>-<pool>}, shared by every revision (it
   * selects the pool's pods of all revisions; pod names differ, so their DNS names do too).
   *
   * @param names the revision's object names ({@link RevisionNames})
   * @param replicas what the reconciler's plan allows now (it lags behind the pool's target while a
   *     scale-down drains)
   * @param configHash hash of what the pool's workers read at start (see {@link #configHash}), put
   *     on the pod template as {@link Labels#CONFIG_HASH} so that a change rolls this pool only
   * @param pairing the revision's pairing fields as canonical JSON, the StatefulSet's {@link
   *     RevisionNames#PAIRING} annotation (metadata only: it rolls no pod)
   */
  public static StatefulSet desired(
      DisaggCluster cr,
      RevisionNames names,
      Pool pool,
      int replicas,
      String configHash,
      String pairing) {
    String name = names.pool(pool);
    StatefulSet sts =
        new StatefulSetBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(names.objectLabels(cr, pool.id()))
            .withAnnotations(Map.of(RevisionNames.PAIRING, pairing))
            .endMetadata()
            .withNewSpec()
            .withReplicas(replicas)
            .withServiceName(Names.pool(cr, pool))
            .withPodManagementPolicy("Parallel")
            .withNewUpdateStrategy()
            .withType("RollingUpdate")
            .endUpdateStrategy()
            .withNewSelector()
            .withMatchLabels(names.selector(cr, pool.id()))
            .endSelector()
            .withTemplate(podTemplate(cr, names, pool, configHash))
            .endSpec()
            .build();
    return Hashes.withDesiredHash(sts);
  }

  /**
   * The config hash of a pool: its worker YAML ({@code <pool>.yaml} of the config ConfigMap data)
   * and the fabric environment. The other pool's YAML and the router's are not part of it, nor is
   * the preStop script {@code deregister.py}: the worker process never reads it, the hook runs
   * whatever the mounted file holds when the pod stops (the kubelet refreshes it), so a new script
   * needs no restart.
   */
  public static String configHash(
      Map<String, String> configData, Map<String, String> fabricEnv, Pool pool) {
    String key = TrtllmConfig.workerConfigKey(pool);
    String yaml = Objects.requireNonNull(configData.get(key), () -> "config data lacks " + key);
    return Hashes.configHash(yaml, fabricEnv);
  }

  /** The pod template: labels, annotations and the pod spec. */
  public static PodTemplateSpec podTemplate(
      DisaggCluster cr, RevisionNames names, Pool pool, String configHash) {
    DisaggClusterSpec spec = cr.getSpec();
    PoolSpec ps = spec.pool(pool);
    PodTemplateOverrides o = overrides(ps);

    Map<String, String> operatorLabels = names.podLabels(cr, pool.id());
    operatorLabels.putAll(Labels.workers(cr));
    Map<String, String> labels = Merge.maps(o.getLabels(), operatorLabels);
    Map<String, String> annotations =
        Merge.maps(o.getAnnotations(), Map.of(Labels.CONFIG_HASH, configHash));

    List<Container> containers =
        Merge.lists(
            List.of(container(cr, names, pool)),
            o.getSidecars(),
            Container.class,
            Container::getName);

    return new PodTemplateSpecBuilder()
        .withNewMetadata()
        .withLabels(labels)
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(blankToNull(spec.getServiceAccountName()))
        .withImagePullSecrets(Merge.copyAll(spec.getImagePullSecrets(), LocalObjectReference.class))
        .withTerminationGracePeriodSeconds((long) ps.getTerminationGracePeriodSeconds())
        .withNodeSelector(ps.getNodeSelector() == null ? null : new TreeMap<>(ps.getNodeSelector()))
        .withTolerations(Merge.copyAll(ps.getTolerations(), Toleration.class))
        .withAffinity(Placement.workerAffinity(cr, ps.getAffinity()))
        .withPriorityClassName(blankToNull(o.getPriorityClassName()))
        .withRuntimeClassName(blankToNull(o.getRuntimeClassName()))
        .withSchedulerName(blankToNull(o.getSchedulerName()))
        .withSecurityContext(SecurityContexts.workerPod(cr, o.getSecurityContext()))
        .withTopologySpreadConstraints(
            Merge.copyAll(o.getTopologySpreadConstraints(), TopologySpreadConstraint.class))
        .withInitContainers(initContainers(cr, names, pool))
        .withContainers(containers)
        .withVolumes(volumes(cr, names, pool))
        .endSpec()
        .build();
  }

  /**
   * Init containers: the fabric pre-flight first when {@link TrtllmConfig#preflightEnabled} (so a
   * broken node fails before anything else runs), then, when the operator downloads the model
   * ({@link ModelCaches#downloads}), {@value ModelCaches#WAIT_CONTAINER}, which waits for the
   * model's completion marker on the cache, then the pool's own ({@code
   * podTemplate.initContainers}; one with an operator container's name is dropped).
   */
  static List<Container> initContainers(DisaggCluster cr, RevisionNames names, Pool pool) {
    List<Container> user = overrides(cr.getSpec().pool(pool)).getInitContainers();
    List<Container> operator = new ArrayList<>();
    if (TrtllmConfig.preflightEnabled(cr)) {
      operator.add(preflightContainer(cr, names, pool));
    }
    if (ModelCaches.downloads(cr)) {
      Container wait = ModelCaches.waitContainer(cr);
      wait.setSecurityContext(securityContext(cr, pool));
      operator.add(wait);
    }
    if (operator.isEmpty()) {
      return Merge.copyAll(user, Container.class);
    }
    return Merge.lists(operator, user, Container.class, Container::getName);
  }

  /**
   * The {@value #PREFLIGHT_CONTAINER} init container: {@code sh /etc/trtllm/fabric-preflight.sh}
   * ({@link TrtllmConfig#preflightScript}) in the worker's image, with the worker's environment
   * (its {@code env} and the fabric ConfigMap through {@code envFrom}, so it sees the {@code
   * NIXL_PLUGIN_DIR} and {@code TRTLLM_NIXL_KVCACHE_BACKEND} the worker will), {@value
   * #ENV_NODE_NAME} from the downward API and, with EFA, {@value #ENV_PREFLIGHT_EFA_DEVICES} and
   * {@value #ENV_PREFLIGHT_EFA_LIBRARY_PATH}. On failure the script writes {@code <Reason>:
   * <message>} to the default termination log {@code /dev/termination-log}; policy {@code
   * FallbackToLogsOnError} puts the end of its log there if it could not.
   *
   * <p>Resources: the worker container's, without GPUs and resource claims. The EFA devices and
   * hugepages must be the init container's own to be visible in it (the device plugin allocates per
   * container). This does not change scheduling: a pod's effective request of each resource is the
   * larger of the largest init container's and the sum of the app containers' (Kubernetes "Resource
   * sharing within containers"), and these equal the worker's; the kubelet's device manager hands
   * the init container's devices on to the worker container.
   */
  public static Container preflightContainer(DisaggCluster cr, RevisionNames names, Pool pool) {
    DisaggClusterSpec spec = cr.getSpec();
    List<EnvVar> env = new ArrayList<>();
    env.add(fieldRef(ENV_NODE_NAME, "spec.nodeName"));
    if (Placement.efaEnabled(cr)) {
      EfaSpec efa = Placement.efa(cr);
      env.add(
          new EnvVarBuilder()
              .withName(ENV_PREFLIGHT_EFA_DEVICES)
              .withValue(String.valueOf(efa.getDevicesPerPod()))
              .build());
      if (efa.getLibraryPath() != null && !efa.getLibraryPath().isBlank()) {
        env.add(
            new EnvVarBuilder()
                .withName(ENV_PREFLIGHT_EFA_LIBRARY_PATH)
                .withValue(efa.getLibraryPath().strip())
                .build());
      }
    }
    ResourceRequirements worker = resources(cr, pool);
    Map<String, Quantity> requests = new TreeMap<>(worker.getRequests());
    Map<String, Quantity> limits = new TreeMap<>(worker.getLimits());
    requests.remove(GPU_RESOURCE);
    limits.remove(GPU_RESOURCE);
    return new ContainerBuilder()
        .withName(PREFLIGHT_CONTAINER)
        .withImage(spec.getImage())
        .withImagePullPolicy(
            spec.getImagePullPolicy() == null ? null : spec.getImagePullPolicy().name())
        .withCommand("/bin/sh", CONFIG_DIR + "/" + TrtllmConfig.PREFLIGHT_SCRIPT_KEY)
        .withEnv(Merge.lists(env, env(cr, pool), EnvVar.class, EnvVar::getName))
        .addNewEnvFrom()
        .withNewConfigMapRef()
        .withName(names.fabricConfigMap())
        .endConfigMapRef()
        .endEnvFrom()
        .withResources(
            new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build())
        .withVolumeMounts(configMount())
        .withSecurityContext(securityContext(cr, pool))
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .build();
  }

  /** The {@code worker} container. */
  public static Container container(DisaggCluster cr, RevisionNames names, Pool pool) {
    DisaggClusterSpec spec = cr.getSpec();
    PoolSpec ps = spec.pool(pool);
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(spec.getImage())
        .withImagePullPolicy(
            spec.getImagePullPolicy() == null ? null : spec.getImagePullPolicy().name())
        .withCommand("/bin/bash", "-c", script(cr, pool))
        .withEnv(env(cr, pool))
        .addNewEnvFrom()
        .withNewConfigMapRef()
        .withName(names.fabricConfigMap())
        .endConfigMapRef()
        .endEnvFrom()
        .addNewPort()
        .withName(PORT_NAME)
        .withContainerPort(ps.getPort())
        .withProtocol("TCP")
        .endPort()
        .withResources(resources(cr, pool))
        .withVolumeMounts(volumeMounts(cr, pool))
        .withSecurityContext(securityContext(cr, pool))
        .withStartupProbe(startupProbe(ps.getStartupTimeoutSeconds()))
        .withReadinessProbe(
            httpProbe(
                READINESS_PERIOD_SECONDS, READINESS_TIMEOUT_SECONDS, READINESS_FAILURE_THRESHOLD))
        .withLivenessProbe(
            httpProbe(
                LIVENESS_PERIOD_SECONDS, LIVENESS_TIMEOUT_SECONDS, LIVENESS_FAILURE_THRESHOLD))
        .withNewLifecycle()
        .withNewPreStop()
        .withNewExec()
        .withCommand(preStopCommand(cr, pool))
        .endExec()
        .endPreStop()
        .endLifecycle()
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .build();
  }

  /**
   * The preStop hook: {@code python3 /etc/trtllm/deregister.py /etc/trtllm/<pool>.yaml <port>
   * <grace>}. TensorRT-LLM deletes its etcd registration on SIGTERM only after its HTTP server has
   * drained, so the router would keep picking a pod that is going away. Kubernetes runs the hook
   * before SIGTERM whoever removes the pod (eviction, node drain, rollout, a scale-down by hand);
   * the script deletes the pod's key (never its lease), waits {@link #preStopGraceSeconds} when it
   * deleted something, and always exits 0 within a few seconds, so it cannot hold up termination.
   * After the operator's own drain it finds no key and returns at once.
   */
  public static List<String> preStopCommand(DisaggCluster cr, Pool pool) {
    PoolSpec ps = cr.getSpec().pool(pool);
    return List.of(
        "python3",
        CONFIG_DIR + "/" + TrtllmConfig.DEREGISTER_SCRIPT_KEY,
        CONFIG_DIR + "/" + TrtllmConfig.workerConfigKey(pool),
        String.valueOf(ps.getPort()),
        String.valueOf(preStopGraceSeconds(ps.getTerminationGracePeriodSeconds())));
  }

  /**
   * How long the preStop hook waits after deleting the key, in seconds: {@code min(}{@value
   * #MAX_PRE_STOP_GRACE_SECONDS}{@code , terminationGracePeriodSeconds / 4)}. The wait lets every
   * router receive the watch event (normally well under a second) and lets a request a router
   * picked just before the deletion reach the server before SIGTERM makes it stop accepting; a few
   * seconds cover that, 10 leave a margin for a busy router. The hook's time counts against the
   * termination grace period, and most of that period belongs to draining in-flight requests after
   * SIGTERM, so the wait never takes more than a quarter of it (300 s, the default, gives 10; 30
   * gives 7; below 4 the hook deletes the key and does not wait).
   */
  public static int preStopGraceSeconds(int terminationGracePeriodSeconds) {
    return Math.max(0, Math.min(MAX_PRE_STOP_GRACE_SECONDS, terminationGracePeriodSeconds / 4));
  }

  /**
   * The bash script of the worker container. With EFA it first prepends {@code efa.libraryPath} to
   * {@code LD_LIBRARY_PATH} (libfabric's EFA provider lives there), then {@code exec}s {@code
   * trtllm-serve "$TRTLLM_MODEL" --server_role ROLE --host "$POD_IP" --port P --backend B
   * [--tp_size N --pp_size M] --extra_llm_api_options /etc/trtllm/<pool>.yaml [--log_level L]};
   * without {@code --tp_size}/{@code --pp_size} on the {@code _autodeploy} backend, whose worker
   * YAML carries {@code world_size} instead ({@code TrtllmConfig#workerOptions}).
   *
   * <p>{@code --host} is the pod IP, never {@code 0.0.0.0}: the worker registers the literal {@code
   * http://<host>:<port>} in discovery and the router calls that URL. The model is passed through
   * the environment so that no user string is interpreted by the shell.
   */
  public static String script(DisaggCluster cr, Pool pool) {
    DisaggClusterSpec spec = cr.getSpec();
    PoolSpec ps = spec.pool(pool);
    StringBuilder sb = new StringBuilder("set -eu\n");
    EfaSpec efa = Placement.efa(cr);
    if (Placement.efaEnabled(cr)
        && efa.getLibraryPath() != null
        && !efa.getLibraryPath().isBlank()) {
      sb.append("export LD_LIBRARY_PATH=")
          .append(shellQuote(efa.getLibraryPath()))
          .append("${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n");
    }
    ModelBackend backend = spec.getBackend();
    sb.append("exec trtllm-serve \"$")
        .append(ENV_MODEL)
        .append('"')
        .append(" --server_role ")
        .append(pool.serverRole())
        .append(" --host \"$")
        .append(ENV_POD_IP)
        .append('"')
        .append(" --port ")
        .append(ps.getPort())
        .append(" --backend ")
        .append(backend.flag());
    if (backend != ModelBackend.AUTODEPLOY) {
      // AutoDeploy rejects a non-default parallel config (LlmArgs.ensure_no_custom_parallel_config
      // in tensorrt_llm/_torch/auto_deploy/llm_args.py); it gets world_size in its YAML instead.
      sb.append(" --tp_size ")
          .append(ps.getTensorParallelSize())
          .append(" --pp_size ")
          .append(ps.getPipelineParallelSize());
    }
    sb.append(" --extra_llm_api_options ")
        .append(CONFIG_DIR)
        .append('/')
        .append(TrtllmConfig.workerConfigKey(pool));
    if (spec.getLogLevel() != null) {
      sb.append(" --log_level ").append(spec.getLogLevel().flag());
    }
    sb.append('\n');
    return sb.toString();
  }

  /**
   * Environment: {@code TRTLLM_MODEL} (spec.model), {@code POD_IP}, {@code POD_NAME}, {@code
   * POD_NAMESPACE} (downward API), with a model cache {@link ModelCaches#workerEnv} ({@code
   * HF_HOME}, {@code HF_HUB_OFFLINE}), then the pool's env (entries with the operator's names are
   * dropped), then {@code HOME} ({@value SecurityContexts#HOME_PATH}, a writable emptyDir) unless
   * the pool's env sets it. Variables given here take precedence over the fabric ConfigMap ({@code
   * envFrom}).
   */
  public static List<EnvVar> env(DisaggCluster cr, Pool pool) {
    List<EnvVar> operator =
        new ArrayList<>(
            List.of(
                new EnvVarBuilder().withName(ENV_MODEL).withValue(cr.getSpec().getModel()).build(),
                fieldRef(ENV_POD_IP, "status.podIP"),
                fieldRef(ENV_POD_NAME, "metadata.name"),
                fieldRef(ENV_POD_NAMESPACE, "metadata.namespace")));
    if (ModelCaches.enabled(cr)) {
      operator.addAll(ModelCaches.workerEnv(cr));
    }
    return SecurityContexts.withHome(
        Merge.lists(operator, cr.getSpec().pool(pool).getEnv(), EnvVar.class, EnvVar::getName));
  }

  /**
   * Resources: the pool's resources, with (operator wins) {@code nvidia.com/gpu} =
   * tensorParallelSize * pipelineParallelSize and, with EFA, {@code vpc.amazonaws.com/efa} =
   * devicesPerPod and {@code hugepages-2Mi} (default {@value #DEFAULT_HUGEPAGES_2MI}); each set in
   * requests and limits alike, as Kubernetes requires for extended resources and hugepages. With
   * hugepages and no memory request or limit, a memory request of {@value
   * #DEFAULT_MEMORY_REQUEST_WITH_HUGEPAGES} is added (Kubernetes rejects hugepages without a cpu or
   * memory request).
   */
  public static ResourceRequirements resources(DisaggCluster cr, Pool pool) {
    PoolSpec ps = cr.getSpec().pool(pool);
    ResourceRequirements user = Merge.copy(ps.getResources(), ResourceRequirements.class);
    Map<String, Quantity> requests = new TreeMap<>();
    Map<String, Quantity> limits = new TreeMap<>();
    List<ResourceClaim> claims = new ArrayList<>();
    if (user != null) {
      if (user.getRequests() != null) {
        requests.putAll(user.getRequests());
      }
      if (user.getLimits() != null) {
        limits.putAll(user.getLimits());
      }
      if (user.getClaims() != null) {
        claims.addAll(user.getClaims());
      }
    }
    Quantity gpus = new Quantity(String.valueOf(gpusPerPod(ps)));
    requests.put(GPU_RESOURCE, gpus);
    limits.put(GPU_RESOURCE, gpus);
    if (Placement.efaEnabled(cr)) {
      EfaSpec efa = Placement.efa(cr);
      Quantity devices = new Quantity(String.valueOf(efa.getDevicesPerPod()));
      requests.put(EFA_RESOURCE, devices);
      limits.put(EFA_RESOURCE, devices);
      Quantity hugepages =
          efa.getHugepages2Mi() != null
              ? Merge.copy(efa.getHugepages2Mi(), Quantity.class)
              : new Quantity(DEFAULT_HUGEPAGES_2MI);
      requests.put(HUGEPAGES_2MI_RESOURCE, hugepages);
      limits.put(HUGEPAGES_2MI_RESOURCE, hugepages);
      if (!requests.containsKey("memory") && !limits.containsKey("memory")) {
        requests.put("memory", new Quantity(DEFAULT_MEMORY_REQUEST_WITH_HUGEPAGES));
      }
    }
    return new ResourceRequirementsBuilder()
        .withRequests(requests)
        .withLimits(limits)
        .withClaims(claims)
        .build();
  }

  /** GPUs of one instance: tensorParallelSize * pipelineParallelSize. */
  public static int gpusPerPod(PoolSpec ps) {
    return ps.gpusPerInstance();
  }

  /**
   * Security context of the operator's containers in the pool's pods (worker, {@value
   * #PREFLIGHT_CONTAINER}, {@value ModelCaches#WAIT_CONTAINER}): {@link
   * SecurityContexts#workerContainer} with the pool's {@code podTemplate.containerSecurityContext}
   * over it. Without EFA: no privilege escalation, all capabilities dropped, read-only root; with
   * EFA: capabilities {@code IPC_LOCK} (pinning memory for RDMA) and {@code SYS_RESOURCE} added,
   * and {@code privileged} when {@code efa.privileged}.
   */
  public static SecurityContext securityContext(DisaggCluster cr, Pool pool) {
    return SecurityContexts.workerContainer(
        cr, overrides(cr.getSpec().pool(pool)).getContainerSecurityContext());
  }

  /**
   * Startup probe on {@code /health}: every {@value #STARTUP_PERIOD_SECONDS} s, failure threshold
   * {@code ceil(startupTimeoutSeconds / 10)}, so model loading gets the whole budget before
   * Kubernetes restarts the container.
   *
   * @param startupTimeoutSeconds startup budget in seconds
   */
  public static Probe startupProbe(int startupTimeoutSeconds) {
    return httpProbe(
        STARTUP_PERIOD_SECONDS,
        PROBE_TIMEOUT_SECONDS,
        startupFailureThreshold(startupTimeoutSeconds));
  }

  /** {@code ceil(startupTimeoutSeconds / STARTUP_PERIOD_SECONDS)}, at least 1. */
  public static int startupFailureThreshold(int startupTimeoutSeconds) {
    return Math.max(
        1, (startupTimeoutSeconds + STARTUP_PERIOD_SECONDS - 1) / STARTUP_PERIOD_SECONDS);
  }

  private static Probe httpProbe(int periodSeconds, int timeoutSeconds, int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath(HEALTH_PATH)
        .withPort(new IntOrString(PORT_NAME))
        .withScheme("HTTP")
        .endHttpGet()
        .withPeriodSeconds(periodSeconds)
        .withTimeoutSeconds(timeoutSeconds)
        .withFailureThreshold(failureThreshold)
        .withSuccessThreshold(1)
        .build();
  }

  /**
   * Volumes: {@code config} (this pool's YAML and the preStop script {@code deregister.py} from the
   * config ConfigMap, and {@code fabric-preflight.sh} with the pre-flight), {@code dshm}
   * (memory-backed emptyDir for {@code /dev/shm}, size limit {@code shmSize}, default {@value
   * #DEFAULT_SHM_SIZE}; it counts against the container's memory), {@code tmp} and {@code home}
   * (writable emptyDirs, {@link SecurityContexts#writableVolumes}), with a model cache {@value
   * ModelCaches#VOLUME} (its claim, read-only), then the user's volumes whose names differ from
   * these.
   */
  public static List<Volume> volumes(DisaggCluster cr, RevisionNames names, Pool pool) {
    PoolSpec ps = cr.getSpec().pool(pool);
    String key = TrtllmConfig.workerConfigKey(pool);
    Quantity shm =
        ps.getShmSize() != null
            ? Merge.copy(ps.getShmSize(), Quantity.class)
            : new Quantity(DEFAULT_SHM_SIZE);
    List<Volume> operator =
        new ArrayList<>(
            List.of(
                TrtllmConfig.preflightEnabled(cr)
                    ? configVolume(
                        names,
                        key,
                        TrtllmConfig.DEREGISTER_SCRIPT_KEY,
                        TrtllmConfig.PREFLIGHT_SCRIPT_KEY)
                    : configVolume(names, key, TrtllmConfig.DEREGISTER_SCRIPT_KEY),
                new VolumeBuilder()
                    .withName(SHM_VOLUME)
                    .withNewEmptyDir()
                    .withMedium("Memory")
                    .withSizeLimit(shm)
                    .endEmptyDir()
                    .build()));
    operator.addAll(SecurityContexts.writableVolumes());
    if (ModelCaches.enabled(cr)) {
      operator.add(ModelCaches.volume(cr, true));
    }
    return Merge.lists(operator, overrides(ps).getVolumes(), Volume.class, Volume::getName);
  }

  /**
   * The config ConfigMap as a volume, projecting only {@code keys} (a pool's files or the
   * router's), each under its own name. No subPath: the kubelet keeps the files up to date.
   */
  static Volume configVolume(RevisionNames names, String... keys) {
    VolumeBuilder b = new VolumeBuilder().withName(CONFIG_VOLUME);
    var cm = b.withNewConfigMap().withName(names.configMap());
    for (String key : keys) {
      cm.addNewItem().withKey(key).withPath(key).endItem();
    }
    return cm.endConfigMap().build();
  }

  /**
   * Mounts: config at {@value #CONFIG_DIR} read-only, {@value #SHM_PATH}, the writable {@value
   * SecurityContexts#TMP_PATH} and {@value SecurityContexts#HOME_PATH}, the model cache read-only
   * at its mount path, then user mounts at other paths.
   */
  public static List<VolumeMount> volumeMounts(DisaggCluster cr, Pool pool) {
    List<VolumeMount> operator =
        new ArrayList<>(
            List.of(
                configMount(),
                new VolumeMountBuilder().withName(SHM_VOLUME).withMountPath(SHM_PATH).build()));
    operator.addAll(SecurityContexts.writableMounts());
    if (ModelCaches.enabled(cr)) {
      operator.add(ModelCaches.workerMount(cr));
    }
    return Merge.lists(
        operator,
        overrides(cr.getSpec().pool(pool)).getVolumeMounts(),
        VolumeMount.class,
        VolumeMount::getMountPath);
  }

  static VolumeMount configMount() {
    return new VolumeMountBuilder()
        .withName(CONFIG_VOLUME)
        .withMountPath(CONFIG_DIR)
        .withReadOnly(true)
        .build();
  }

  static EnvVar fieldRef(String name, String fieldPath) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withApiVersion("v1")
        .withFieldPath(fieldPath)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  static PodTemplateOverrides overrides(PoolSpec ps) {
    return ps.getPodTemplate() == null ? new PodTemplateOverrides() : ps.getPodTemplate();
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /**
   * Single-quotes a string for bash (and any POSIX shell): {@code it's} becomes {@code 'it'"'"'s'}.
   */
  public static String shellQuote(String s) {
    return "'" + s.replace("'", "'\"'\"'") + "'";
  }
}
