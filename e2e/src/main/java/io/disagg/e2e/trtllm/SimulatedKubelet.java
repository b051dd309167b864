package io.disagg.e2e.trtllm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Plays the kubelet and the container runtime for the pods of a DisaggCluster on the kwok cluster,
 * where no container runs. kwok makes these pods Running with a pod IP from 127.1.0.0/16 (or
 * 127.N.0.0/16 for other local cluster names) but, for pods labelled {@code
 * app.kubernetes.io/name=trtllm-disagg}, leaves them not Ready ({@code e2e/cluster/kwokctl.yaml}):
 * readiness is this class's job, as it is the kubelet's.
 *
 * <p><b>Processes.</b> For each such pod that is Running with a pod IP, the "container" is a
 * simulated process bound to {@code <podIP>:<port>} (the container port named {@code http}, default
 * 8000): a {@link SimulatedWorker} for components {@code context} and {@code generation} (role from
 * the component label, {@code disagg_cluster} settings from the pod's ConfigMap {@code <instance
 * label>-config}, key {@code <component>.yaml}, or the fixed ones given), a {@link SimulatedRouter}
 * for component {@code router} (settings and {@code max_retries} from key {@code router.yaml}, the
 * request timeout from the container's {@code -r} argument). The etcd endpoint is always the given
 * (loopback) one, whatever {@code cluster_uri} says. {@link Builder#startupDelay} is the time a
 * worker takes to load its model: the container runs, but nothing listens yet.
 *
 * <p><b>Probes</b> ({@code pkg/kubelet/prober} of Kubernetes v1.33: {@code worker.run}/{@code
 * doProbe}, {@code prober.runProbe}, {@code prober_manager.UpdatePodStatus}): the startup,
 * readiness and liveness probes of the pod's container, as the operator rendered them, run against
 * the process every {@code periodSeconds}, each after {@code initialDelaySeconds} and with {@code
 * timeoutSeconds}; an {@code httpGet} probe succeeds on a status from 200 to 399, a {@code
 * tcpSocket} probe on a connection (loopback addresses only). Results change after {@code
 * failureThreshold}/{@code successThreshold} consecutive outcomes ({@link ProbeWorker}). Readiness
 * and liveness wait until the startup probe succeeded ({@code started}); a started container is
 * probed for readiness at once. The pod's status is patched (status subresource, strategic merge):
 * container {@code started}, {@code ready}, {@code restartCount}, {@code state}, {@code lastState},
 * and the conditions {@code ContainersReady} and {@code Ready} ({@code status/generate.go}: reason
 * {@code ContainersNotReady}, "containers with unready status: [...]"). A status the API server
 * shows otherwise (overwritten, or a patch lost) is sent again every 10 s ({@code
 * status/status_manager.go} {@code syncBatch}, {@code needsReconcile}).
 *
 * <p><b>Restarts</b> ({@code kuberuntime_manager.go} {@code computePodActions}/{@code doBackOff};
 * {@code restartPolicy: Always}): when the liveness probe or the startup probe fails {@code
 * failureThreshold} times, or the process dies ({@link SimulatedWorker#kill()}), the container is
 * killed (a worker first gets its preStop, deleting its own key, then SIGTERM: a drain bounded by
 * the pod's {@code terminationGracePeriodSeconds}) and started again as a new process on the same
 * address with {@code restartCount + 1}: at once the first time, then after a back-off of 10 s
 * doubling up to 300 s ({@code CrashLoopBackOff} meanwhile).
 *
 * <p><b>Deletion.</b> When a pod gets a deletion timestamp or disappears, a worker gets what its
 * preStop hook does (delete its own registration key), then {@link SimulatedWorker#shutdown()}
 * (SIGTERM: refuse new connections, drain, delete the key); a router is closed. kwok removes
 * deleted pods at once, so the drain goes on after the pod object is gone.
 *
 * <p><b>Fabric pre-flight</b> ({@code kuberuntime_manager.go} {@code computePodActions}, init
 * containers first; {@code kuberuntime_container.go} termination message). An init container named
 * {@value #PREFLIGHT_CONTAINER} runs before the worker's container: its command {@code [sh,
 * <file>]} names a file of a mounted ConfigMap (the operator's {@code fabric-preflight.sh}), which
 * is run here with {@code /bin/sh}, with the container's environment ({@code envFrom} ConfigMaps,
 * then {@code env}; {@code fieldRef} {@code spec.nodeName}, {@code metadata.name}, {@code
 * metadata.namespace}, {@code status.podIP}) and {@code PREFLIGHT_ROOT} set to a fake container
 * filesystem built from {@link Builder#nodeFabric} for the pod's node: {@code
 * /dev/infiniband/uverbs*} (as many as the container's {@code vpc.amazonaws.com/efa} limit, as the
 * EFA device plugin mounts), {@code /proc/meminfo} (the {@code hugepages-2Mi} limit as {@code
 * HugePages_Total}), a fake {@code fi_info} in {@code <efa>/bin}, and {@code
 * libplugin_LIBFABRIC.so} in {@code NIXL_PLUGIN_DIR}. The termination message is the termination
 * log (at most 4096 bytes) or, when it is empty, the exit code non-zero and the policy {@code
 * FallbackToLogsOnError}, the end of the output (80 lines, 2048 bytes). While it has not succeeded
 * the pod is {@code Pending}, {@code Initialized} False, the worker container waits ({@code
 * PodInitializing}) and nothing is started; a failure is retried after a back-off of 10 s doubling
 * to 300 s ({@code restartPolicy: Always}), shown as the terminated state the first time ({@code
 * Init:Error}) and as {@code waiting: CrashLoopBackOff} with the failure as {@code lastState} after
 * ({@code Init:CrashLoopBackOff}). Other init containers stay as kwok set them (completed). Pods
 * without the pre-flight get exactly the status they got before.
 *
 * <p>Pods are re-examined every {@link Builder#resyncPeriod}. {@link #close()} stops everything.
 */
public final class SimulatedKubelet implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(SimulatedKubelet.class.getName());
  public static final String NAME_LABEL = "app.kubernetes.io/name";
  public static final String APP_NAME = "trtllm-disagg";
  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
  public static final String ROUTER_COMPONENT = "router";
  public static final String CONTAINER = "worker";
  public static final String ROUTER_CONTAINER = "router";

  /**
   * Pod condition set on every pod whose containers this kubelet runs (a qualified name, as the API
   * server requires of a condition type it does not know). kwok's {@code pod-delete} stage in
   * {@code e2e/cluster/kwokctl.yaml} skips such a terminating pod: this kubelet deletes it once its
   * containers have stopped, as a kubelet does, and only at the end of its grace period ({@code
   * metadata.deletionTimestamp}) does kwok's {@code pod-delete-at-grace-end} stage remove it
   * instead. Without the condition kwok deletes a terminating pod at once, so the StatefulSet
   * controller created the successor of the same name, and kwok gave the freed IP to another pod,
   * while the old process still drained on that address.
   */
  public static final String KUBELET_CONDITION = "sim.disagg.io/SimulatedKubelet";

  /** The operator's fabric pre-flight init container, the one init container run here. */
  public static final String PREFLIGHT_CONTAINER = "fabric-preflight";

  static final String EFA_RESOURCE = "vpc.amazonaws.com/efa";
  static final String HUGEPAGES_2MI_RESOURCE = "hugepages-2Mi";

  /** {@code kuberuntime_container.go}: bytes of the termination log read. */
  static final int MAX_TERMINATION_MESSAGE = 4096;

  /** Lines and bytes of the log taken by {@code FallbackToLogsOnError}. */
  static final int FALLBACK_LOG_LINES = 80;

  static final int FALLBACK_LOG_BYTES = 2048;
  public static final String PORT_NAME = "http";
  public static final int DEFAULT_PORT = 8000;
  private static final int MAX_EVENTS = 1000;
  private static final YAMLMapper YAML = new YAMLMapper();

  /** Back-off of a crash-looping container ({@code backOffPeriod}, {@code MaxContainerBackOff}). */
  static final Duration INITIAL_BACKOFF = Duration.ofSeconds(10);

  static final Duration MAX_BACKOFF = Duration.ofSeconds(300);

  /**
   * How often a status the API server shows differently is sent again ({@code syncPeriod} of {@code
   * pkg/kubelet/status/status_manager.go}).
   */
  static final Duration STATUS_RECONCILE_PERIOD = Duration.ofSeconds(10);

  /**
   * Default model load of a worker: 3 s. Real ones take minutes, so a router pod created with its
   * workers starts long before they register; a 1.2 router routes only to workers that register
   * after it started ({@link SimulatedRelease#routerAddsExistingRegistrations()}), and the delay
   * keeps that order here too.
   */
  public static final Duration DEFAULT_STARTUP_DELAY = Duration.ofSeconds(3);

  private final KubernetesClient client;
  private final String namespace;

  /** Container logs of the simulated workers, deleted by {@link #close()}. */
  private final java.nio.file.Path logDir;

  private final SimulatedRelease release;
  private final DisaggClusterSettings fixedSettings;
  private final long serviceTimeMillis;
  private final Duration drainTimeout;
  private final Duration registrationRetryInterval;
  private final Duration startupDelay;
  private final BiConsumer<Pod, SimulatedWorker.Builder> workerCustomizer;
  private final BiConsumer<Pod, SimulatedRouter.Builder> routerCustomizer;
  private final java.util.function.Function<String, NodeFabric> nodeFabric;
  private final SimulatedModelCache modelCache;
  private final java.util.function.Function<Pod, SimulatedModelCache.Outcome> downloadOutcome;
  private final java.util.function.Function<Pod, Duration> downloadDuration;
  private final java.nio.file.Path volumeDir;
  private final Map<String, Boolean> downloads = new ConcurrentHashMap<>();
  private final Client etcd;
  private final long startedNanos = System.nanoTime();
  private final ExecutorService podEvents;
  private final ScheduledExecutorService sync;
  private final ThreadPoolExecutor probes;
  private final ThreadPoolExecutor starts;
  private final ExecutorService statusPatches;
  private final ThreadPoolExecutor terminations;
  private final Map<String, PodRuntime> current = new ConcurrentHashMap<>();

  /**
   * Pods (uid to name) that carry {@link #KUBELET_CONDITION} and that this kubelet has not deleted.
   */
  private final Map<String, String> adopted = new ConcurrentHashMap<>();

  private final Map<String, List<SimulatedWorker>> history = new LinkedHashMap<>();
  private final Map<String, List<SimulatedRouter>> routerHistory = new LinkedHashMap<>();
  private final Deque<String> events = new ArrayDeque<>();
  private SharedIndexInformer<Pod> informer;
  private volatile boolean closed;

  private SimulatedKubelet(Builder b) {
    this.client = b.client;
    this.namespace = b.namespace;
    this.release = b.release;
    this.fixedSettings = b.settings;
    this.serviceTimeMillis = b.serviceTimeMillis;
    this.drainTimeout = b.drainTimeout;
    this.registrationRetryInterval = b.registrationRetryInterval;
    this.startupDelay = b.startupDelay;
    this.workerCustomizer = b.workerCustomizer;
    this.routerCustomizer = b.routerCustomizer;
    this.nodeFabric = b.nodeFabric;
    this.etcd = Loopback.etcdClient(b.etcdEndpoint);
    this.podEvents = Executors.newSingleThreadExecutor(SimHttp.daemonThreads("sim-kubelet-pods"));
    this.sync =
        Executors.newSingleThreadScheduledExecutor(SimHttp.daemonThreads("sim-kubelet-sync"));
    this.probes = SimHttp.executor("sim-kubelet-probe", 32);
    this.starts = SimHttp.executor("sim-kubelet-start", 8);
    this.statusPatches =
        Executors.newSingleThreadExecutor(SimHttp.daemonThreads("sim-kubelet-status"));
    this.terminations = SimHttp.executor("sim-kubelet-stop", 64);
    try {
      this.logDir = java.nio.file.Files.createTempDirectory("sim-kubelet-logs-");
      this.volumeDir =
          b.claimDirs == null
              ? java.nio.file.Files.createTempDirectory("sim-kubelet-volumes-")
              : null;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    this.modelCache =
        new SimulatedModelCache(b.claimDirs != null ? b.claimDirs : volumeDir::resolve);
    this.downloadOutcome = b.downloadOutcome;
    this.downloadDuration = b.downloadDuration;
  }

  /**
   * A builder of a kubelet for the DisaggCluster pods of {@code namespace}.
   *
   * @param etcdEndpoint the etcd the workers register in and the routers watch, e.g. {@code
   *     EtcdServer#endpoint()} (loopback only)
   */
  public static Builder builder(KubernetesClient client, String namespace, String etcdEndpoint) {
    return new Builder(client, namespace, etcdEndpoint);
  }

  /** Settings of a {@link SimulatedKubelet}. */
  public static final class Builder {
    private final KubernetesClient client;
    private final String namespace;
    private final String etcdEndpoint;
    private SimulatedRelease release = SimulatedRelease.DEFAULT;
    private DisaggClusterSettings settings;
    private long serviceTimeMillis;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration registrationRetryInterval = Duration.ofSeconds(5);
    private Duration startupDelay = DEFAULT_STARTUP_DELAY;
    private Duration resyncPeriod = Duration.ofSeconds(1);
    private BiConsumer<Pod, SimulatedWorker.Builder> workerCustomizer = (p, b) -> {};
    private BiConsumer<Pod, SimulatedRouter.Builder> routerCustomizer = (p, b) -> {};
    private java.util.function.Function<String, java.nio.file.Path> claimDirs;
    private java.util.function.Function<Pod, SimulatedModelCache.Outcome> downloadOutcome =
        p -> SimulatedModelCache.Outcome.SUCCESS;
    private java.util.function.Function<Pod, Duration> downloadDuration =
        p -> Duration.ofSeconds(2);

    /**
     * The host directory standing for each PersistentVolumeClaim (by claim name), where the model
     * cache's download writes its marker and the wait init container looks for it. Default: a
     * directory per claim under a temporary directory of this kubelet.
     */
    public Builder claimDirs(java.util.function.Function<String, java.nio.file.Path> dirs) {
      this.claimDirs = dirs;
      return this;
    }

    /** How each model download pod ends ({@link SimulatedModelCache.Outcome}); default success. */
    public Builder downloadOutcome(
        java.util.function.Function<Pod, SimulatedModelCache.Outcome> outcome) {
      this.downloadOutcome = outcome;
      return this;
    }

    /** How long a model download pod runs before it ends; default 2 s. */
    public Builder downloadDuration(Duration d) {
      this.downloadDuration = p -> d;
      return this;
    }

    /** How long each model download pod runs before it ends. */
    public Builder downloadDuration(java.util.function.Function<Pod, Duration> d) {
      this.downloadDuration = d;
      return this;
    }

    private java.util.function.Function<String, NodeFabric> nodeFabric = n -> NodeFabric.HEALTHY;

    private Builder(KubernetesClient client, String namespace, String etcdEndpoint) {
      this.client = client;
      this.namespace = namespace;
      this.etcdEndpoint = etcdEndpoint;
    }

    /**
     * The TensorRT-LLM release every simulated process imitates (default {@link
     * SimulatedRelease#DEFAULT}).
     */
    public Builder release(SimulatedRelease r) {
      this.release = Objects.requireNonNull(r, "release");
      return this;
    }

    /** Fixed {@code disagg_cluster} settings for every worker, instead of reading the ConfigMap. */
    public Builder settings(DisaggClusterSettings s) {
      this.settings = s;
      return this;
    }

    /**
     * Initial service time of new workers, in milliseconds (default 0); change it per worker later.
     */
    public Builder serviceTimeMillis(long ms) {
      this.serviceTimeMillis = ms;
      return this;
    }

    /**
     * Drain bound of each worker's shutdown (default 30 s); a killed container's drain is also
     * bounded by the pod's {@code terminationGracePeriodSeconds}.
     */
    public Builder drainTimeout(Duration d) {
      this.drainTimeout = d;
      return this;
    }

    /** Pause between failed registrations of a worker (default 5 s, as upstream). */
    public Builder registrationRetryInterval(Duration d) {
      this.registrationRetryInterval = d;
      return this;
    }

    /**
     * Model load: time between a worker container's start and its process listening (default {@link
     * #DEFAULT_STARTUP_DELAY}; zero allowed). Precision about 100 ms.
     */
    public Builder startupDelay(Duration d) {
      this.startupDelay = d;
      return this;
    }

    /** How often all pods are re-examined by the informer (default 1 s). */
    public Builder resyncPeriod(Duration d) {
      this.resyncPeriod = d;
      return this;
    }

    /** Called for each worker about to start, e.g. to set another service time per pod. */
    public Builder workerCustomizer(BiConsumer<Pod, SimulatedWorker.Builder> c) {
      this.workerCustomizer = c;
      return this;
    }

    /** Called for each router about to start, e.g. to set {@code maxRetries}. */
    public Builder routerCustomizer(BiConsumer<Pod, SimulatedRouter.Builder> c) {
      this.routerCustomizer = c;
      return this;
    }

    /**
     * What each node (by name) offers the fabric pre-flight (default {@link NodeFabric#HEALTHY} for
     * every node); asked at each run, so a test may repair a node while its pod backs off.
     */
    public Builder nodeFabric(java.util.function.Function<String, NodeFabric> byNodeName) {
      this.nodeFabric = Objects.requireNonNull(byNodeName, "byNodeName");
      return this;
    }

    /** Starts informing on the pods and running their containers and probes. */
    public SimulatedKubelet start() {
      if (client == null || namespace == null) {
        throw new IllegalArgumentException("client and namespace are required");
      }
      SimulatedKubelet k = new SimulatedKubelet(this);
      k.informer =
          client
              .pods()
              .inNamespace(namespace)
              .withLabel(NAME_LABEL, APP_NAME)
              .withLabelIn(
                  COMPONENT_LABEL,
                  WorkerRole.CONTEXT.component(),
                  WorkerRole.GENERATION.component(),
                  ROUTER_COMPONENT,
                  SimulatedModelCache.DOWNLOAD_COMPONENT)
              .inform(k.handler(), resyncPeriod.toMillis());
      k.sync.scheduleWithFixedDelay(k::syncAll, 100, 100, TimeUnit.MILLISECONDS);
      return k;
    }
  }

  // ------------------------------------------------------------------------------------------
  // public view

  /** The worker of a pod now (serving, or killed while not yet restarted), if any. */
  public Optional<SimulatedWorker> worker(String podName) {
    PodRuntime rt = current.get(podName);
    return Optional.ofNullable(rt == null ? null : rt.worker());
  }

  /** Current workers by pod name. */
  public Map<String, SimulatedWorker> workers() {
    Map<String, SimulatedWorker> m = new LinkedHashMap<>();
    current.forEach(
        (k, v) -> {
          SimulatedWorker w = v.worker();
          if (w != null) {
            m.put(k, w);
          }
        });
    return m;
  }

  /** The router of a router pod now, if it runs. */
  public Optional<SimulatedRouter> router(String podName) {
    PodRuntime rt = current.get(podName);
    return Optional.ofNullable(rt == null ? null : rt.router());
  }

  /** Current routers by pod name. */
  public Map<String, SimulatedRouter> routers() {
    Map<String, SimulatedRouter> m = new LinkedHashMap<>();
    current.forEach(
        (k, v) -> {
          SimulatedRouter r = v.router();
          if (r != null) {
            m.put(k, r);
          }
        });
    return m;
  }

  /** Restarts of the container of a pod so far (its {@code restartCount}), 0 for unknown pods. */
  public int restartCount(String podName) {
    PodRuntime rt = current.get(podName);
    return rt == null ? 0 : rt.restartCount();
  }

  /** Every worker started for a pod name, oldest first (drained and killed ones included). */
  public synchronized List<SimulatedWorker> history(String podName) {
    return List.copyOf(history.getOrDefault(podName, List.of()));
  }

  /** Every worker started so far. */
  public synchronized List<SimulatedWorker> allWorkers() {
    List<SimulatedWorker> all = new ArrayList<>();
    history.values().forEach(all::addAll);
    return all;
  }

  /**
   * Waits until the pod has a serving worker.
   *
   * @throws IllegalStateException after the timeout, with the kubelet's recent events
   */
  public SimulatedWorker awaitWorker(String podName, Duration timeout) {
    return await(
        "serving worker for pod " + podName,
        timeout,
        () -> {
          SimulatedWorker w = worker(podName).orElse(null);
          return w != null && w.state() == SimulatedWorker.State.SERVING ? w : null;
        });
  }

  /**
   * Waits until a router pod has a running router and returns it (that of the first pod by name).
   *
   * @throws IllegalStateException after the timeout, with the kubelet's recent events
   */
  public SimulatedRouter awaitRouter(Duration timeout) {
    return await(
        "router",
        timeout,
        () ->
            routers().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(null));
  }

  private <T> T await(String what, Duration timeout, java.util.function.Supplier<T> probe) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T found = probe.get();
      if (found != null) {
        return found;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "no " + what + " after " + timeout + "; kubelet events: " + events());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /**
   * What the kubelet did (newest last, at most 1000): started, probe results, killed, restarted,
   * preStop, stopped, errors.
   */
  public synchronized List<String> events() {
    return List.copyOf(events);
  }

  /**
   * Stops informing and probing, then stops every process (serving workers at once, draining ones
   * bounded by their drain timeout).
   */
  @Override
  public void close() {
    closed = true;
    if (informer != null) {
      informer.close();
    }
    sync.shutdownNow();
    podEvents.shutdownNow();
    try {
      podEvents.awaitTermination(10, TimeUnit.SECONDS);
      sync.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    probes.shutdownNow();
    starts.shutdownNow();
    statusPatches.shutdownNow();
    for (SimulatedWorker w : allWorkers()) {
      w.close();
    }
    List<SimulatedRouter> routers = new ArrayList<>();
    synchronized (this) {
      routerHistory.values().forEach(routers::addAll);
    }
    routers.forEach(SimulatedRouter::close);
    terminations.shutdownNow();
    releaseAdopted();
    etcd.close();
    if (volumeDir != null) {
      try (var files = java.nio.file.Files.walk(volumeDir)) {
        for (java.nio.file.Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          java.nio.file.Files.deleteIfExists(f);
        }
      } catch (IOException e) {
        LOG.log(Level.FINE, "volumes not deleted: " + volumeDir, e);
      }
    }
    try (var files = java.nio.file.Files.list(logDir)) {
      for (java.nio.file.Path f : files.toList()) {
        java.nio.file.Files.deleteIfExists(f);
      }
      java.nio.file.Files.deleteIfExists(logDir);
    } catch (IOException e) {
      LOG.log(Level.FINE, "container logs not deleted: " + logDir, e);
    }
  }

  /**
   * At {@link #close()}, with every process stopped: a terminating pod of this kubelet is deleted
   * (its containers have stopped); any other gets {@link #KUBELET_CONDITION} False, so kwok deletes
   * it at once when it is deleted later (e.g. with the test's namespace) rather than at the end of
   * its grace period, as nobody would delete it before.
   */
  private void releaseAdopted() {
    for (Map.Entry<String, String> e : Map.copyOf(adopted).entrySet()) {
      String uid = e.getKey();
      String name = e.getValue();
      try {
        Pod p = client.pods().inNamespace(namespace).withName(name).get();
        if (p == null || !uid.equals(p.getMetadata().getUid())) {
          continue;
        }
        if (p.getMetadata().getDeletionTimestamp() != null) {
          deleteStopped(name, uid);
        } else {
          client
              .pods()
              .inNamespace(namespace)
              .withName(name)
              .subresource("status")
              .patch(
                  PatchContext.of(PatchType.STRATEGIC_MERGE),
                  "{\"status\":{\"conditions\":[{\"type\":\""
                      + KUBELET_CONDITION
                      + "\",\"status\":\"False\",\"reason\":\"KubeletStopped\"}]}}");
        }
      } catch (KubernetesClientException ex) {
        LOG.log(Level.FINE, "pod " + name + " not released", ex);
      }
    }
    adopted.clear();
  }

  /**
   * What the kubelet's status manager does once a terminating pod's containers have all stopped
   * ({@code pkg/kubelet/status/status_manager.go}: {@code syncPod}, when {@code canBeDeleted}, a
   * delete with {@code NewDeleteOptions(0)} and {@code NewUIDPreconditions(pod.UID)}): the API
   * server removes the pod now. Only then does the StatefulSet controller create the successor of
   * the same name, and kwok give the pod's IP to another pod. A pod already gone, or another pod
   * now of that name (the UID precondition fails with 409), is left alone.
   */
  private void deleteStopped(String name, String uid) {
    String options =
        "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,"
            + "\"preconditions\":{\"uid\":\""
            + uid
            + "\"}}";
    try {
      client.raw(
          client.getMasterUrl().toString().replaceAll("/+$", "")
              + "/api/v1/namespaces/"
              + namespace
              + "/pods/"
              + name,
          "DELETE",
          SimHttp.JSON.readTree(options));
      event("DELETED " + name + " (containers stopped)");
    } catch (KubernetesClientException | IOException e) {
      LOG.log(Level.FINE, "pod " + name + " not deleted", e);
    }
    adopted.remove(uid);
  }

  // ------------------------------------------------------------------------------------------
  // pod events

  private ResourceEventHandler<Pod> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        submit(pod, false);
      }

      @Override
      public void onUpdate(Pod oldPod, Pod pod) {
        submit(pod, false);
      }

      @Override
      public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        submit(pod, true);
      }
    };
  }

  private void submit(Pod pod, boolean deleted) {
    if (closed) {
      return;
    }
    try {
      podEvents.execute(
          () -> {
            try {
              reconcile(pod, deleted);
            } catch (RuntimeException e) {
              event("ERROR " + pod.getMetadata().getName() + ": " + e);
              LOG.log(
                  Level.WARNING,
                  "simulated kubelet failed on pod " + pod.getMetadata().getName(),
                  e);
            }
          });
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  private void reconcile(Pod pod, boolean deleted) {
    if (closed) {
      return;
    }
    String name = pod.getMetadata().getName();
    String uid = pod.getMetadata().getUid();
    boolean terminating = deleted || pod.getMetadata().getDeletionTimestamp() != null;
    PodRuntime cur = current.get(name);
    if (cur != null && !cur.uid.equals(uid)) {
      if (terminating) {
        return; // news about an older pod of that name
      }
      current.remove(name);
      cur.terminate("replaced by pod uid " + uid);
      cur = null;
    }
    if (terminating) {
      if (cur != null) {
        current.remove(name);
        cur.terminate(deleted ? "pod deleted" : "pod terminating");
      }
      if (deleted) {
        adopted.remove(uid);
      }
      return;
    }
    if (cur != null) {
      cur.update(pod);
      return;
    }
    if (pod.getStatus() == null
        || !("Running".equals(pod.getStatus().getPhase())
            || "Pending".equals(pod.getStatus().getPhase()))
        || pod.getStatus().getPodIP() == null
        || pod.getStatus().getPodIP().isBlank()) {
      return;
    }
    String component = labels(pod).get(COMPONENT_LABEL);
    if (SimulatedModelCache.DOWNLOAD_COMPONENT.equals(component)) {
      startDownload(pod);
      return;
    }
    WorkerRole role = WorkerRole.fromComponent(component);
    boolean router = ROUTER_COMPONENT.equals(component);
    if (role == null && !router) {
      return;
    }
    Container c = container(pod, router ? ROUTER_CONTAINER : CONTAINER);
    if (c == null) {
      event("IGNORED " + name + ": no container");
      return;
    }
    PodRuntime rt = new PodRuntime(pod, role, c);
    current.put(name, rt);
    adopted.put(uid, name);
    event(
        (rt.preflight == null ? "CONTAINER STARTED " : "POD STARTED, INIT FIRST ")
            + name
            + " "
            + c.getName()
            + " ("
            + component
            + ")");
    rt.sync();
  }

  /**
   * A model download pod (the operator's download Job, {@code restartPolicy: Never}): runs once for
   * {@link Builder#downloadDuration}, then ends as {@link Builder#downloadOutcome} says; the pod's
   * phase becomes {@code Succeeded} or {@code Failed} with the container's terminated state ({@code
   * kuberuntime_container.go}: the termination message from the termination log), which is what the
   * Job controller counts.
   */
  private void startDownload(Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase())
        || downloads.putIfAbsent(uid, Boolean.TRUE) != null) {
      return;
    }
    String name = pod.getMetadata().getName();
    Container c = pod.getSpec().getContainers().get(0);
    try {
      RunAsNonRoot.verify(pod, c);
    } catch (IllegalStateException e) {
      downloads.remove(uid); // CreateContainerConfigError: not created, tried again
      event("WAITING " + name + ": " + e.getMessage());
      return;
    }
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    event("DOWNLOAD STARTED " + name);
    try {
      sync.schedule(
          () -> {
            SimulatedModelCache.Outcome o;
            try {
              o = modelCache.download(pod, c, downloadOutcome.apply(pod));
            } catch (IOException | RuntimeException e) {
              o = new SimulatedModelCache.Outcome(1, "simulated download failed: " + e);
            }
            ObjectNode t = SimHttp.JSON.createObjectNode();
            t.put("exitCode", o.exitCode());
            t.put("reason", o.exitCode() == 0 ? "Completed" : "Error");
            if (!o.message().isEmpty()) {
              String m = o.message();
              t.put(
                  "message",
                  m.length() > MAX_TERMINATION_MESSAGE
                      ? m.substring(0, MAX_TERMINATION_MESSAGE)
                      : m);
            }
            t.put("startedAt", started.toString());
            t.put("finishedAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            ObjectNode status = SimHttp.JSON.createObjectNode();
            status.put("phase", o.exitCode() == 0 ? "Succeeded" : "Failed");
            ObjectNode cs = status.putArray("containerStatuses").addObject();
            cs.put("name", c.getName());
            cs.put("image", c.getImage());
            cs.put("imageID", "");
            cs.put("ready", false);
            cs.put("started", false);
            cs.put("restartCount", 0);
            cs.putObject("state").set("terminated", t);
            ArrayNode conditions = status.putArray("conditions");
            for (String type : List.of("Ready", "ContainersReady")) {
              conditions
                  .addObject()
                  .put("type", type)
                  .put("status", "False")
                  .put("reason", "PodCompleted");
            }
            ObjectNode root = SimHttp.JSON.createObjectNode();
            root.set("status", status);
            try {
              client
                  .pods()
                  .inNamespace(namespace)
                  .withName(name)
                  .subresource("status")
                  .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), root.toString());
              event(
                  (o.exitCode() == 0 ? "DOWNLOAD COMPLETED " : "DOWNLOAD FAILED ")
                      + name
                      + (o.message().isEmpty()
                          ? ""
                          : ": " + o.message().lines().findFirst().orElse("")));
            } catch (KubernetesClientException e) {
              downloads.remove(uid);
              event("DOWNLOAD STATUS NOT WRITTEN " + name + ": " + e.getMessage());
            }
          },
          downloadDuration.apply(pod).toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  private void syncAll() {
    if (closed) {
      return;
    }
    for (PodRuntime rt : current.values()) {
      try {
        rt.sync();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "simulated kubelet sync of " + rt.name + " failed", e);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // one pod: its container, the process in it, its probes

  /** A process run in a pod's container: a worker or a router. */
  private sealed interface Proc permits WorkerProc, RouterProc {
    /** Whether the process died by itself (a crash). */
    boolean crashed();
  }

  private record WorkerProc(SimulatedWorker worker) implements Proc {
    @Override
    public boolean crashed() {
      return worker.state() == SimulatedWorker.State.KILLED;
    }
  }

  private record RouterProc(SimulatedRouter router) implements Proc {
    @Override
    public boolean crashed() {
      return false;
    }
  }

  private final class PodRuntime {
    final String name;
    final String uid;
    final WorkerRole role;
    final Container container;
    final ProbeWorker startup;
    final ProbeWorker readiness;
    final ProbeWorker liveness;
    final Map<ProbeWorker, Long> nextProbe = new ConcurrentHashMap<>();
    final Map<ProbeWorker, Boolean> probing = new ConcurrentHashMap<>();
    volatile Pod pod;
    int restartCount;
    Instant containerStartedAt;
    long containerStartedNanos;
    Proc proc;
    boolean starting;
    long nextStartAttemptNanos;
    String lastStartFailure;
    boolean running = true;
    long restartAtNanos;
    Duration backoff = Duration.ZERO;
    ObjectNode lastTerminated;
    boolean started;
    boolean ready;
    String patched = "";
    long patchedAtNanos;
    boolean gone;
    final Container preflight;
    final Container cacheWait;
    boolean preflightDone;
    Instant cacheWaitStartedAt;
    Instant cacheWaitDoneAt;
    boolean initDone;
    boolean initRunning;
    int initFailures;
    long initRetryAtNanos;
    Duration initBackoff = INITIAL_BACKOFF;
    Instant initStartedAt;
    ObjectNode initTerminated;

    PodRuntime(Pod pod, WorkerRole role, Container container) {
      this.pod = pod;
      this.name = pod.getMetadata().getName();
      this.uid = pod.getMetadata().getUid();
      this.role = role;
      this.container = container;
      this.startup = probeWorker(ProbeWorker.Kind.STARTUP, container.getStartupProbe());
      this.readiness = probeWorker(ProbeWorker.Kind.READINESS, container.getReadinessProbe());
      this.liveness = probeWorker(ProbeWorker.Kind.LIVENESS, container.getLivenessProbe());
      this.preflight =
          pod.getSpec().getInitContainers() == null
              ? null
              : pod.getSpec().getInitContainers().stream()
                  .filter(c -> PREFLIGHT_CONTAINER.equals(c.getName()))
                  .findFirst()
                  .orElse(null);
      this.cacheWait =
          pod.getSpec().getInitContainers() == null
              ? null
              : pod.getSpec().getInitContainers().stream()
                  .filter(c -> SimulatedModelCache.WAIT_CONTAINER.equals(c.getName()))
                  .findFirst()
                  .orElse(null);
      this.preflightDone = preflight == null;
      this.initDone = preflight == null && cacheWait == null;
      newContainer();
    }

    private ProbeWorker probeWorker(ProbeWorker.Kind kind, Probe p) {
      if (p == null) {
        return null;
      }
      ProbeWorker w = new ProbeWorker(kind, p);
      long now = System.nanoTime();
      long period = TimeUnit.SECONDS.toNanos(w.periodSeconds());
      // worker.run: a kubelet that started less than a period ago waits a random part of it
      long jitter =
          now - startedNanos < period
              ? (long) (ThreadLocalRandom.current().nextDouble() * period)
              : 0;
      nextProbe.put(w, now + jitter);
      return w;
    }

    private List<ProbeWorker> probeWorkers() {
      List<ProbeWorker> l = new ArrayList<>(3);
      for (ProbeWorker w : new ProbeWorker[] {startup, readiness, liveness}) {
        if (w != null) {
          l.add(w);
        }
      }
      return l;
    }

    synchronized SimulatedWorker worker() {
      return proc instanceof WorkerProc wp ? wp.worker() : null;
    }

    synchronized SimulatedRouter router() {
      return proc instanceof RouterProc rp ? rp.router() : null;
    }

    synchronized int restartCount() {
      return restartCount;
    }

    /** A new container: running, not started, no process yet (it starts after startupDelay). */
    private void newContainer() {
      containerStartedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      containerStartedNanos = System.nanoTime();
      running = true;
      started = startup == null;
      ready = false;
      for (ProbeWorker w : probeWorkers()) {
        w.newContainer();
      }
      if (started && readiness != null) {
        nextProbe.put(readiness, System.nanoTime());
      }
    }

    synchronized void update(Pod p) {
      this.pod = p;
    }

    /** One step: start a process that is due, restart a dead container, run due probes, patch. */
    void sync() {
      if (closed) {
        return;
      }
      synchronized (this) {
        if (gone) {
          return;
        }
        long now = System.nanoTime();
        if (!initDone && preflightDone) {
          // model-cache-wait: `until [ -f "$DISAGG_MODEL_CACHE_MARKER" ]; do sleep 5; done`
          if (cacheWaitStartedAt == null) {
            cacheWaitStartedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
          }
          if (modelCache.markerPresent(pod, cacheWait)) {
            initDone = true;
            cacheWaitDoneAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            newContainer();
            event("INIT COMPLETED " + name + " " + SimulatedModelCache.WAIT_CONTAINER);
          }
        } else if (!initDone) {
          if (!initRunning && now >= initRetryAtNanos) {
            initRunning = true;
            initStartedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            Pod p = pod;
            try {
              starts.execute(() -> runPreflight(p));
            } catch (RejectedExecutionException e) {
              initRunning = false;
            }
          }
        } else if (!running) {
          if (now >= restartAtNanos) {
            restartCount++;
            newContainer();
            event("RESTARTED " + name + " (restartCount " + restartCount + ")");
          }
        } else if (proc == null) {
          long delay = role != null ? startupDelay.toNanos() : 0;
          if (!starting && now - containerStartedNanos >= delay && now >= nextStartAttemptNanos) {
            starting = true;
            long containerAt = containerStartedNanos;
            Pod p = pod;
            try {
              starts.execute(() -> startProcess(p, containerAt));
            } catch (RejectedExecutionException e) {
              starting = false;
            }
          }
        } else if (proc.crashed()) {
          containerDied("Error", 1, "process crashed");
        }
        if (readiness == null) {
          ready = started && running; // no readiness probe: ready once started
        }
        if (running && initDone) {
          for (ProbeWorker w : probeWorkers()) {
            maybeProbe(w, now);
          }
        }
      }
      patchStatus();
    }

    /**
     * Runs the pre-flight once (off the sync thread) and records its end: success starts the
     * worker's container; a failure is retried after the back-off.
     */
    private void runPreflight(Pod p) {
      Preflight.Result r;
      try {
        RunAsNonRoot.verify(p, preflight);
        r =
            Preflight.run(
                p, preflight, nodeFabric.apply(p.getSpec().getNodeName()), this::configMapData);
      } catch (IllegalStateException e) {
        // a ConfigMap or key the container needs is missing: the kubelet does not create the
        // container (CreateContainerConfigError) and tries again at its next sync
        synchronized (this) {
          initRunning = false;
          initRetryAtNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          if (!Objects.equals(e.getMessage(), lastStartFailure)) {
            lastStartFailure = e.getMessage();
            event("WAITING " + name + " " + PREFLIGHT_CONTAINER + ": " + e.getMessage());
          }
        }
        return;
      } catch (IOException | RuntimeException e) {
        r = new Preflight.Result(128, "simulated kubelet could not run the pre-flight: " + e);
      }
      synchronized (this) {
        initRunning = false;
        if (gone || closed) {
          return;
        }
        if (r.exitCode() == 0) {
          preflightDone = true;
          initDone = cacheWait == null;
          initTerminated = terminatedNode(0, "Completed", "", initStartedAt);
          if (initDone) {
            newContainer();
          }
          event("INIT COMPLETED " + name + " " + PREFLIGHT_CONTAINER);
        } else {
          initFailures++;
          initTerminated = terminatedNode(r.exitCode(), "Error", r.message(), initStartedAt);
          initRetryAtNanos = System.nanoTime() + initBackoff.toNanos();
          event(
              "INIT FAILED "
                  + name
                  + " "
                  + PREFLIGHT_CONTAINER
                  + " exit "
                  + r.exitCode()
                  + ": "
                  + r.message().strip()
                  + " (retry in "
                  + initBackoff.toSeconds()
                  + " s)");
          initBackoff =
              initBackoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                  ? MAX_BACKOFF
                  : initBackoff.multipliedBy(2);
        }
      }
      patchStatus();
    }

    private Map<String, String> configMapData(String configMapName) {
      ConfigMap cm = client.configMaps().inNamespace(namespace).withName(configMapName).get();
      return cm == null ? null : cm.getData();
    }

    private ObjectNode terminatedNode(int exitCode, String reason, String message, Instant from) {
      ObjectNode t = SimHttp.JSON.createObjectNode();
      t.put("exitCode", exitCode);
      t.put("reason", reason);
      if (message != null && !message.isEmpty()) {
        t.put("message", message);
      }
      t.put("startedAt", String.valueOf(from));
      t.put("finishedAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
      t.put("containerID", "sim://" + uid + "/" + PREFLIGHT_CONTAINER + "/" + initFailures);
      return t;
    }

    /** Caller holds the lock: the model-cache-wait init container's status. */
    private ObjectNode cacheWaitStatus() {
      ObjectNode s = SimHttp.JSON.createObjectNode();
      s.put("name", SimulatedModelCache.WAIT_CONTAINER);
      s.put("image", cacheWait.getImage());
      s.put("imageID", "");
      s.put("restartCount", 0);
      s.put("ready", initDone);
      s.put("started", preflightDone && !initDone);
      ObjectNode state = s.putObject("state");
      if (initDone) {
        ObjectNode t = state.putObject("terminated");
        t.put("exitCode", 0);
        t.put("reason", "Completed");
        t.put("startedAt", String.valueOf(cacheWaitStartedAt));
        t.put("finishedAt", String.valueOf(cacheWaitDoneAt));
      } else if (preflightDone && cacheWaitStartedAt != null) {
        state.putObject("running").put("startedAt", String.valueOf(cacheWaitStartedAt));
      } else {
        state.putObject("waiting").put("reason", "PodInitializing");
      }
      return s;
    }

    /** Caller holds the lock: the pre-flight's status as the kubelet reports it. */
    private ObjectNode preflightStatus() {
      ObjectNode s = SimHttp.JSON.createObjectNode();
      s.put("name", PREFLIGHT_CONTAINER);
      s.put("image", preflight.getImage());
      s.put("imageID", "");
      s.put("restartCount", Math.max(0, initFailures - (initRunning || preflightDone ? 0 : 1)));
      s.put("ready", preflightDone);
      s.put("started", initRunning);
      ObjectNode state = s.putObject("state");
      ObjectNode last = null;
      if (initRunning) {
        state.putObject("running").put("startedAt", String.valueOf(initStartedAt));
        last = initTerminated;
      } else if (preflightDone) {
        state.set("terminated", initTerminated);
      } else if (initTerminated != null && initFailures == 1) {
        state.set("terminated", initTerminated); // Init:Error until the first retry
      } else if (initTerminated != null) {
        ObjectNode w = state.putObject("waiting");
        w.put("reason", "CrashLoopBackOff");
        w.put(
            "message",
            "back-off restarting failed container=" + PREFLIGHT_CONTAINER + " pod=" + name);
        last = initTerminated;
      } else {
        state.putObject("waiting").put("reason", "PodInitializing");
      }
      if (last != null) {
        s.putObject("lastState").set("terminated", last);
      }
      return s;
    }

    /** Caller holds the lock. */
    private void maybeProbe(ProbeWorker w, long now) {
      if (w.onHold() || Boolean.TRUE.equals(probing.get(w)) || now < nextProbe.get(w)) {
        return;
      }
      nextProbe.put(w, now + TimeUnit.SECONDS.toNanos(w.periodSeconds()));
      // doProbe: initial delay, then startup probes until started, the others after
      if (now - containerStartedNanos < TimeUnit.SECONDS.toNanos(w.initialDelaySeconds())) {
        return;
      }
      if (w.kind() == ProbeWorker.Kind.STARTUP ? started : !started) {
        return;
      }
      Probe spec = probeSpec(w.kind());
      String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      probing.put(w, true);
      long containerAt = containerStartedNanos;
      try {
        probes.execute(
            () -> {
              boolean ok = runProbe(spec, container, ip, w.timeoutSeconds());
              probing.put(w, false);
              onProbeResult(w, ok, containerAt);
            });
      } catch (RejectedExecutionException e) {
        probing.put(w, false);
      }
    }

    private Probe probeSpec(ProbeWorker.Kind kind) {
      return switch (kind) {
        case STARTUP -> container.getStartupProbe();
        case READINESS -> container.getReadinessProbe();
        case LIVENESS -> container.getLivenessProbe();
      };
    }

    private void onProbeResult(ProbeWorker w, boolean ok, long containerAt) {
      synchronized (this) {
        if (gone || !running || containerAt != containerStartedNanos) {
          return; // a result about a container that is gone
        }
        boolean changed = w.record(ok);
        if (!changed) {
          return;
        }
        ProbeWorker.Result r = w.result();
        event("PROBE " + name + " " + w.kind() + " " + r);
        switch (w.kind()) {
          case STARTUP -> {
            if (r == ProbeWorker.Result.SUCCESS) {
              started = true;
              // UpdatePodStatus triggers a readiness probe of a started container at once
              if (readiness != null) {
                nextProbe.put(readiness, System.nanoTime());
              }
            } else {
              killContainer("startup probe failed");
            }
          }
          case READINESS -> ready = r == ProbeWorker.Result.SUCCESS;
          case LIVENESS -> {
            if (r == ProbeWorker.Result.FAILURE) {
              killContainer("liveness probe failed");
            }
          }
        }
      }
      patchStatus();
    }

    /**
     * Starts the pod's process (off the sync thread: it talks to etcd); on failure (address still
     * taken, ConfigMap missing, etcd unreachable for a router) the next sync tries again.
     */
    private void startProcess(Pod p, long containerAt) {
      Proc started = null;
      String what;
      try {
        started = newProcess(p);
        what =
            started instanceof WorkerProc wp
                ? role + " " + wp.worker().endpoint() + " " + wp.worker().registrationKey()
                : "router " + ((RouterProc) started).router().baseUri();
      } catch (IOException | RuntimeException e) {
        what = null;
        String failure = e.getMessage();
        synchronized (this) {
          // once a second, and one event per distinct reason
          nextStartAttemptNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          if (!Objects.equals(failure, lastStartFailure)) {
            lastStartFailure = failure;
            event("WAITING " + name + ": " + failure);
          }
        }
      }
      synchronized (this) {
        starting = false;
        if (started == null) {
          return;
        }
        lastStartFailure = null;
        if (gone || closed || !running || containerAt != containerStartedNanos) {
          stopQuietly(started);
          return;
        }
        proc = started;
        synchronized (SimulatedKubelet.this) {
          if (started instanceof WorkerProc wp) {
            history.computeIfAbsent(name, k -> new ArrayList<>()).add(wp.worker());
          } else {
            routerHistory
                .computeIfAbsent(name, k -> new ArrayList<>())
                .add(((RouterProc) started).router());
          }
        }
        event((restartCount == 0 ? "STARTED " : "STARTED AGAIN ") + name + " " + what);
      }
    }

    private void stopQuietly(Proc p) {
      if (p instanceof WorkerProc wp) {
        wp.worker().close();
      } else if (p instanceof RouterProc rp) {
        rp.router().close();
      }
    }

    private Proc newProcess(Pod p) throws IOException {
      RunAsNonRoot.verify(p, container); // CreateContainerConfigError: not created, tried again
      String ip = p.getStatus().getPodIP();
      int port = httpPort(container);
      if (role != null) {
        // The pool's YAML as mounted (--extra_llm_api_options): disagg_cluster and the options the
        // simulator honours (SimulatedWorker.Builder#llmApiOptions).
        String workerYaml =
            fixedSettings != null ? null : configMapKey(p, role.component() + ".yaml");
        DisaggClusterSettings settings =
            fixedSettings != null ? fixedSettings : DisaggClusterSettings.fromYaml(workerYaml);
        SimulatedWorker.Builder b =
            SimulatedWorker.builder(role, ip, port)
                .release(release)
                .settings(settings)
                .etcd(etcd)
                .serviceTimeMillis(serviceTimeMillis)
                .drainTimeout(drainTimeout)
                .registrationRetryInterval(registrationRetryInterval)
                // The image decides the cache layout and the transfer protocol: workers of two
                // images refuse each other's KV caches (SimulatedWorker.Builder#cacheFormat).
                .cacheFormat(String.valueOf(container.getImage()));
        b.logFile(containerLog(p));
        if (workerYaml != null) {
          b.llmApiOptions(workerYaml);
        }
        workerCustomizer.accept(p, b);
        return new WorkerProc(b.start());
      }
      JsonNode routerYaml = YAML.readTree(configMapKey(p, "router.yaml"));
      SimulatedRouter.Builder b =
          SimulatedRouter.builder(DisaggClusterSettings.fromYaml(routerYaml.toString()))
              .release(release)
              .etcd(etcd)
              .listen(ip, port)
              .maxRetries(routerYaml.path("max_retries").asInt(1))
              .requestTimeout(Duration.ofSeconds(requestTimeoutSeconds(container)));
      routerCustomizer.accept(p, b);
      return new RouterProc(b.start());
    }

    /**
     * A new log file for the worker container of {@code p}, served to {@code kubectl logs} by kwok
     * (a {@code Logs} resource of kwok.x-k8s.io/v1alpha1 named after the pod, pointing at the file;
     * e2e/cluster/kwokctl.yaml enables that resource). Each process gets its own file, as each
     * container start gets its own log. When the resource cannot be written (a cluster without it),
     * the log is still written, only not served.
     */
    private java.nio.file.Path containerLog(Pod p) throws IOException {
      java.nio.file.Path file =
          java.nio.file.Files.createTempFile(
              logDir, p.getMetadata().getName() + "-" + p.getMetadata().getUid() + "-", ".log");
      io.fabric8.kubernetes.api.model.GenericKubernetesResource logs =
          new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
              .withApiVersion("kwok.x-k8s.io/v1alpha1")
              .withKind("Logs")
              .withNewMetadata()
              .withName(p.getMetadata().getName())
              .withNamespace(namespace)
              .endMetadata()
              .build();
      logs.setAdditionalProperty(
          "spec",
          Map.of(
              "logs",
              List.of(Map.of("containers", List.of(CONTAINER), "logsFile", file.toString()))));
      try {
        client.resource(logs).forceConflicts().serverSideApply();
      } catch (RuntimeException e) {
        LOG.log(
            Level.WARNING, "Logs resource for " + p.getMetadata().getName() + " not written", e);
      }
      return file;
    }

    /** Caller holds the lock: the container exited by itself; restart after the back-off. */
    private void containerDied(String reason, int exitCode, String why) {
      event("CRASHED " + name + ": " + why);
      stopProcess(false);
      terminated(reason, exitCode);
    }

    /**
     * Caller holds the lock: the kubelet kills the container (preStop, SIGTERM, bounded by the
     * grace period), then restarts it after the back-off.
     */
    private void killContainer(String why) {
      event("KILLING " + name + ": " + why + ", will be restarted");
      stopProcess(true);
      terminated("Error", 137);
    }

    private void terminated(String reason, int exitCode) {
      ObjectNode t = SimHttp.JSON.createObjectNode();
      t.put("exitCode", exitCode);
      t.put("reason", reason);
      t.put("startedAt", containerStartedAt.toString());
      t.put("finishedAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
      t.put("containerID", containerId());
      lastTerminated = t;
      running = false;
      started = false;
      ready = false;
      proc = null;
      // doBackOff: the first restart at once, then 10 s doubling to 300 s; a container that ran
      // 10 minutes starts over
      long ranNanos = System.nanoTime() - containerStartedNanos;
      if (ranNanos > TimeUnit.MINUTES.toNanos(10)) {
        backoff = Duration.ZERO;
      }
      restartAtNanos = System.nanoTime() + backoff.toNanos();
      backoff =
          backoff.isZero()
              ? INITIAL_BACKOFF
              : backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                  ? MAX_BACKOFF
                  : backoff.multipliedBy(2);
    }

    /** Stops the process: a worker with preStop and a bounded drain when graceful. */
    private void stopProcess(boolean graceful) {
      Proc p = proc;
      if (p instanceof WorkerProc wp) {
        SimulatedWorker w = wp.worker();
        if (graceful && w.state() == SimulatedWorker.State.SERVING) {
          preStop(w);
          long grace = gracePeriodSeconds();
          try {
            terminations.execute(
                () -> {
                  try {
                    w.shutdownAsync().get(grace, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    event("SIGKILL " + name + " after " + grace + " s");
                    w.kill();
                  }
                });
          } catch (RejectedExecutionException e) {
            w.close();
          }
        } else {
          w.kill();
        }
      } else if (p instanceof RouterProc rp) {
        rp.router().close();
      }
    }

    /**
     * Seconds of the container's preStop when it is {@code exec: [sleep, <n>]} (the only preStop a
     * router pod has), else 0.
     */
    private long routerPreStopSleepSeconds() {
      if (container.getLifecycle() == null
          || container.getLifecycle().getPreStop() == null
          || container.getLifecycle().getPreStop().getExec() == null) {
        return 0;
      }
      List<String> cmd = container.getLifecycle().getPreStop().getExec().getCommand();
      if (cmd == null || cmd.size() != 2 || !"sleep".equals(cmd.get(0))) {
        return 0;
      }
      try {
        return Math.max(0, Long.parseLong(cmd.get(1)));
      } catch (NumberFormatException e) {
        return 0;
      }
    }

    private long gracePeriodSeconds() {
      Long g = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
      return g == null ? 30 : Math.max(1, g);
    }

    /** The pod went away: preStop and SIGTERM for a worker, close for a router; no restart. */
    void terminate(String why) {
      Proc p;
      synchronized (this) {
        gone = true;
        p = proc;
        proc = null;
      }
      if (p instanceof RouterProc rp) {
        // preStop (the container's, from the pod spec), then SIGTERM: a graceful stop bounded by
        // the rest of the grace period; off the pod event thread.
        long sleep = Math.min(routerPreStopSleepSeconds(), gracePeriodSeconds());
        event("TERMINATING " + name + " router (" + why + "), preStop sleep " + sleep + " s");
        try {
          terminations.execute(
              () -> {
                try {
                  Thread.sleep(TimeUnit.SECONDS.toMillis(sleep));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                rp.router().shutdown(Duration.ofSeconds(Math.max(1, gracePeriodSeconds() - sleep)));
                event("STOPPED " + name + " router (" + why + ")");
                deleteStopped(name, uid);
              });
        } catch (RejectedExecutionException e) {
          rp.router().close();
        }
        return;
      }
      if (!(p instanceof WorkerProc wp)) {
        event("GONE " + name + " (" + why + "), no process");
        afterStop(null);
        return;
      }
      SimulatedWorker w = wp.worker();
      if (w.state() != SimulatedWorker.State.SERVING) {
        event("GONE " + name + " (" + why + "), worker already " + w.state());
        afterStop(w);
        return;
      }
      event("TERMINATING " + name + " (" + why + ")");
      // preStop right away (on the pod event thread, so it is never queued behind drains), then
      // SIGTERM
      preStop(w);
      try {
        terminations.execute(
            () -> {
              try {
                w.shutdown();
                event(
                    "STOPPED "
                        + name
                        + " "
                        + w.endpoint()
                        + " after serving "
                        + w.requestsServed()
                        + " requests");
              } catch (RuntimeException e) {
                event("STOP " + name + " failed: " + e);
              }
              deleteStopped(name, uid);
            });
      } catch (RejectedExecutionException e) {
        w.close();
      }
    }

    /**
     * Deletes the pod once {@code w} (a worker already draining, stopped or killed; or none) has
     * stopped, bounded by the pod's grace period; off the pod event thread.
     */
    private void afterStop(SimulatedWorker w) {
      try {
        terminations.execute(
            () -> {
              if (w != null) {
                try {
                  w.shutdownAsync().get(gracePeriodSeconds(), TimeUnit.SECONDS);
                } catch (Exception e) {
                  w.kill();
                }
              }
              deleteStopped(name, uid);
            });
      } catch (RejectedExecutionException e) {
        // closed: releaseAdopted deletes it
      }
    }

    private void preStop(SimulatedWorker w) {
      try {
        boolean deleted = w.deregister();
        event(
            "PRESTOP "
                + name
                + ": deleted key "
                + w.registrationKey()
                + (deleted ? "" : " (was already gone)"));
      } catch (RuntimeException e) {
        event("PRESTOP " + name + " failed: " + e.getMessage());
      }
    }

    private String containerId() {
      return "sim://" + uid + "/" + container.getName() + "/" + restartCount;
    }

    /** Patches the pod status when what the kubelet reports changed. */
    void patchStatus() {
      String json;
      synchronized (this) {
        if (gone || closed) {
          return;
        }
        json = statusPatch();
        long now = System.nanoTime();
        if (json.equals(patched)
            && (now - patchedAtNanos < STATUS_RECONCILE_PERIOD.toNanos() || !apiDisagrees())) {
          return;
        }
        patched = json;
        patchedAtNanos = now;
      }
      String body = json;
      try {
        statusPatches.execute(
            () -> {
              try {
                client
                    .pods()
                    .inNamespace(namespace)
                    .withName(name)
                    .subresource("status")
                    .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), body);
              } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                  synchronized (this) {
                    patched = ""; // try again at the next sync
                  }
                  LOG.log(Level.FINE, "status patch of " + name + " failed", e);
                }
              }
            });
      } catch (RejectedExecutionException e) {
        // closed
      }
    }

    /**
     * Caller holds the lock. Whether the pod as the API server last showed it (the informer's copy)
     * says another readiness than this kubelet's: someone else wrote the status (kwok re-applying a
     * stage from a stale cache) or a patch was lost. The real kubelet's status manager re-sends its
     * status then ({@code pkg/kubelet/status/status_manager.go}: {@code syncBatch} every {@code
     * syncPeriod} 10 s, {@code needsReconcile}).
     */
    private boolean apiDisagrees() {
      Pod p = pod;
      if (p.getStatus() == null || p.getStatus().getConditions() == null) {
        return true;
      }
      boolean podReady =
          p.getStatus().getConditions().stream()
              .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
      return podReady != ready;
    }

    /** Caller holds the lock. The status the kubelet would report now. */
    private String statusPatch() {
      ObjectNode status = SimHttp.JSON.createObjectNode();
      ArrayNode conditions = status.putArray("conditions");
      String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      for (String type : List.of("ContainersReady", "Ready")) {
        ObjectNode c = conditions.addObject();
        c.put("type", type);
        c.put("status", ready ? "True" : "False");
        c.put("lastTransitionTime", transitionTime(type, ready, now));
        if (!ready) {
          c.put("reason", "ContainersNotReady");
          c.put("message", "containers with unready status: [" + container.getName() + "]");
        } else {
          // a strategic merge keeps fields it is not given: remove the not-ready ones
          c.putNull("reason");
          c.putNull("message");
        }
      }
      ObjectNode k = conditions.addObject();
      k.put("type", KUBELET_CONDITION);
      k.put("status", "True");
      k.put("lastTransitionTime", transitionTime(KUBELET_CONDITION, true, now));
      k.put("reason", "ContainersRunHere");
      if (preflight != null || cacheWait != null) {
        status.put("phase", initDone ? "Running" : "Pending");
        ObjectNode c = conditions.addObject();
        c.put("type", "Initialized");
        c.put("status", initDone ? "True" : "False");
        c.put("lastTransitionTime", transitionTime("Initialized", initDone, now));
        if (initDone) {
          c.putNull("reason");
          c.putNull("message");
        } else {
          c.put("reason", "ContainersNotInitialized");
          c.put(
              "message",
              "containers with incomplete status: ["
                  + (preflightDone ? SimulatedModelCache.WAIT_CONTAINER : PREFLIGHT_CONTAINER)
                  + "]");
        }
        ArrayNode inits = status.putArray("initContainerStatuses");
        List<ContainerStatus> existingInits =
            pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null
                ? List.of()
                : pod.getStatus().getInitContainerStatuses();
        for (Container c0 : pod.getSpec().getInitContainers()) {
          if (c0.getName().equals(PREFLIGHT_CONTAINER) && preflight != null) {
            inits.add(preflightStatus());
          } else if (c0.getName().equals(SimulatedModelCache.WAIT_CONTAINER) && cacheWait != null) {
            inits.add(cacheWaitStatus());
          } else {
            existingInits.stream()
                .filter(s0 -> c0.getName().equals(s0.getName()))
                .findFirst()
                .ifPresent(s0 -> inits.add(SimHttp.JSON.valueToTree(s0)));
          }
        }
      }
      ArrayNode statuses = status.putArray("containerStatuses");
      List<ContainerStatus> existing =
          pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
              ? List.of()
              : pod.getStatus().getContainerStatuses();
      boolean added = false;
      for (Container c : pod.getSpec().getContainers()) {
        if (c.getName().equals(container.getName())) {
          statuses.add(ourStatus());
          added = true;
        } else {
          existing.stream()
              .filter(s -> c.getName().equals(s.getName()))
              .findFirst()
              .ifPresent(s -> statuses.add(SimHttp.JSON.valueToTree(s)));
        }
      }
      if (!added) {
        statuses.add(ourStatus());
      }
      ObjectNode root = SimHttp.JSON.createObjectNode();
      root.set("status", status);
      // lastTransitionTime only changes with the status, so equal JSON means nothing changed
      return root.toString();
    }

    /** Caller holds the lock: the time the condition last changed, kept across patches. */
    private String transitionTime(String type, boolean status, String now) {
      String[] last = lastTransitions.get(type);
      if (last == null || !last[0].equals(String.valueOf(status))) {
        last = new String[] {String.valueOf(status), now};
        lastTransitions.put(type, last);
      }
      return last[1];
    }

    private final Map<String, String[]> lastTransitions = new LinkedHashMap<>();

    private ObjectNode ourStatus() {
      ObjectNode s = SimHttp.JSON.createObjectNode();
      s.put("name", container.getName());
      s.put("image", container.getImage());
      s.put("imageID", "");
      s.put("restartCount", restartCount);
      s.put("ready", ready);
      s.put("started", started && running);
      ObjectNode state = s.putObject("state");
      if (!initDone) {
        state.putObject("waiting").put("reason", "PodInitializing");
      } else if (running) {
        s.put("containerID", containerId());
        state.putObject("running").put("startedAt", containerStartedAt.toString());
      } else {
        ObjectNode waiting = state.putObject("waiting");
        waiting.put("reason", "CrashLoopBackOff");
        waiting.put(
            "message",
            "back-off restarting failed container="
                + container.getName()
                + " pod="
                + name
                + "_"
                + namespace
                + "("
                + uid
                + ")");
      }
      if (lastTerminated != null) {
        s.putObject("lastState").set("terminated", lastTerminated);
      }
      return s;
    }
  }

  // ------------------------------------------------------------------------------------------
  // probes

  /**
   * One probe ({@code prober.runProbe}): {@code httpGet} as {@code pkg/probe/http} does it (a GET
   * with {@code User-Agent: kube-probe/1.33}, no keep-alive, success on 200-399) or {@code
   * tcpSocket} (a connection), within {@code timeoutSeconds}. {@code exec} probes are not simulated
   * and fail. Loopback pod IPs only.
   */
  static boolean runProbe(Probe p, Container c, String podIp, int timeoutSeconds) {
    if (podIp == null) {
      return false;
    }
    InetAddress addr;
    try {
      addr = Loopback.address(podIp);
    } catch (IllegalArgumentException e) {
      return false;
    }
    int timeoutMillis = timeoutSeconds * 1000;
    if (p.getHttpGet() != null) {
      int port = resolvePort(p.getHttpGet().getPort(), c);
      String path = p.getHttpGet().getPath() == null ? "/" : p.getHttpGet().getPath();
      return httpGet(addr, port, path, timeoutMillis);
    }
    if (p.getTcpSocket() != null) {
      int port = resolvePort(p.getTcpSocket().getPort(), c);
      if (port <= 0) {
        return false;
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(addr, port), timeoutMillis);
        return true;
      } catch (IOException e) {
        return false;
      }
    }
    return false;
  }

  /** A named port is looked up among the container's ports (pkg/probe/http and tcp). */
  private static int resolvePort(IntOrString port, Container c) {
    if (port == null) {
      return DEFAULT_PORT;
    }
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    String name = port.getStrVal();
    if (c != null && c.getPorts() != null) {
      for (ContainerPort cp : c.getPorts()) {
        if (name.equals(cp.getName()) && cp.getContainerPort() != null) {
          return cp.getContainerPort();
        }
      }
    }
    return -1;
  }

  private static boolean httpGet(InetAddress addr, int port, String path, int timeoutMillis) {
    if (port <= 0) {
      return false;
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(addr, port), timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: "
                  + addr.getHostAddress()
                  + ":"
                  + port
                  + "\r\nUser-Agent: kube-probe/1.33\r\nAccept: */*\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      int ch;
      while ((ch = in.read()) != -1 && ch != '\n' && line.length() < 200) {
        line.append((char) ch);
      }
      String[] parts = line.toString().trim().split(" ");
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        return false;
      }
      int status = Integer.parseInt(parts[1]);
      return status >= 200 && status < 400;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------
  // pod spec helpers

  private static Map<String, String> labels(Pod pod) {
    Map<String, String> l = pod.getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }

  /** The container of that name, else the first one. */
  static Container container(Pod pod, String name) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    List<Container> cs = pod.getSpec().getContainers();
    return cs.stream()
        .filter(c -> name.equals(c.getName()))
        .findFirst()
        .orElse(cs.isEmpty() ? null : cs.get(0));
  }

  /** The container port named {@code http}, else 8000. */
  static int httpPort(Container c) {
    if (c != null && c.getPorts() != null) {
      for (ContainerPort p : c.getPorts()) {
        if (PORT_NAME.equals(p.getName()) && p.getContainerPort() != null) {
          return p.getContainerPort();
        }
      }
    }
    return DEFAULT_PORT;
  }

  /** {@code -r <seconds>} of the router command ({@code --request_timeout}), else 180. */
  static long requestTimeoutSeconds(Container c) {
    List<String> cmd = new ArrayList<>();
    if (c.getCommand() != null) {
      cmd.addAll(c.getCommand());
    }
    if (c.getArgs() != null) {
      cmd.addAll(c.getArgs());
    }
    for (int i = 0; i + 1 < cmd.size(); i++) {
      if (cmd.get(i).equals("-r") || cmd.get(i).equals("--request_timeout")) {
        try {
          return Long.parseLong(cmd.get(i + 1));
        } catch (NumberFormatException e) {
          return 180;
        }
      }
    }
    return 180;
  }

  /**
   * {@code key} of the ConfigMap the pod mounts (its volumes' ConfigMaps, in order, the first that
   * has the key): what the container would read from its mounted file. Each pairing revision mounts
   * its own ConfigMap.
   */
  private String configMapKey(Pod pod, String key) {
    List<String> names =
        pod.getSpec() == null || pod.getSpec().getVolumes() == null
            ? List.of()
            : pod.getSpec().getVolumes().stream()
                .filter(v -> v.getConfigMap() != null && v.getConfigMap().getName() != null)
                .map(v -> v.getConfigMap().getName())
                .toList();
    if (names.isEmpty()) {
      throw new IllegalStateException("pod mounts no ConfigMap to read " + key + " from");
    }
    for (String cmName : names) {
      ConfigMap cm = client.configMaps().inNamespace(namespace).withName(cmName).get();
      String yaml = cm == null || cm.getData() == null ? null : cm.getData().get(key);
      if (yaml != null) {
        return yaml;
      }
    }
    throw new IllegalStateException("no mounted ConfigMap " + names + " has the key " + key);
  }

  private synchronized void event(String e) {
    events.addLast(Instant.now() + " " + e);
    while (events.size() > MAX_EVENTS) {
      events.removeFirst();
    }
    LOG.fine(e);
  }

  @Override
  public String toString() {
    return "SimulatedKubelet[" + namespace + ", " + current.size() + " pods]";
  }
}
