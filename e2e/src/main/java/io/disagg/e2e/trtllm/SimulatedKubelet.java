package io.disagg.e2e.trtllm;

import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Plays the kubelet + container runtime for TensorRT-LLM worker pods on the kwok cluster, where no
 * container runs: for each pod labelled {@code app.kubernetes.io/name=trtllm-disagg} with {@code
 * app.kubernetes.io/component} {@code context} or {@code generation} that is Running and has a pod
 * IP, it starts a {@link SimulatedWorker} bound to {@code <podIP>:<port>} (the container port named
 * {@code http} of container {@code worker}, default 8000) with the role of its component label.
 * kwok hands out pod IPs from 127.1.0.0/16, so the worker is reachable at the pod IP on this
 * machine.
 *
 * <p>The {@code disagg_cluster} settings (cluster name, heartbeat, lease TTL) are the given ones,
 * or else read from the pod's DisaggCluster ConfigMap {@code <instance label>-config}, key {@code
 * <component>.yaml}. The etcd endpoint is always the given (loopback) one, whatever {@code
 * cluster_uri} says.
 *
 * <p>When a pod gets a deletion timestamp or disappears, it does what the pod's preStop hook does,
 * deleting the worker's own registration key, then {@link SimulatedWorker#shutdown()} (SIGTERM:
 * refuse new connections, drain, delete the key). kwok removes deleted pods at once, so the drain
 * continues after the pod object is gone (a real pod would stay Terminating). A {@link
 * SimulatedWorker#kill() killed} worker (crash) gets no preStop; with {@link
 * Builder#restartKilledWorkersAfter} it is started again in the same pod, on the same address, like
 * a container restart.
 *
 * <p>{@link Builder#startupDelay} postpones each worker's start after its pod is Running (a model
 * load). Pods are re-examined every {@link Builder#resyncPeriod}, so a pod whose ConfigMap was
 * missing or whose address was still taken gets its worker later. {@link #close()} stops
 * everything.
 */
public final class SimulatedKubelet implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(SimulatedKubelet.class.getName());
  public static final String NAME_LABEL = "app.kubernetes.io/name";
  public static final String APP_NAME = "trtllm-disagg";
  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
  public static final String CONTAINER = "worker";
  public static final String PORT_NAME = "http";
  public static final int DEFAULT_PORT = 8000;
  private static final int MAX_EVENTS = 1000;

  private final KubernetesClient client;
  private final String namespace;
  private final DisaggClusterSettings fixedSettings;
  private final long serviceTimeMillis;
  private final Duration drainTimeout;
  private final Duration registrationRetryInterval;
  private final Duration restartDelay;
  private final Duration startupDelay;
  private final Map<String, Long> runningSinceByUid = new ConcurrentHashMap<>();
  private final BiConsumer<Pod, SimulatedWorker.Builder> customizer;
  private final Client etcd;
  private final ExecutorService podEvents;
  private final ThreadPoolExecutor terminations;
  private final Map<String, PodWorker> current = new ConcurrentHashMap<>();
  private final Map<String, List<SimulatedWorker>> history = new LinkedHashMap<>();
  private final Deque<String> events = new ArrayDeque<>();
  private SharedIndexInformer<Pod> informer;
  private volatile boolean closed;

  private static final class PodWorker {
    final String uid;
    final SimulatedWorker worker;
    volatile long killedSeenNanos;

    PodWorker(String uid, SimulatedWorker worker) {
      this.uid = uid;
      this.worker = worker;
    }
  }

  private SimulatedKubelet(Builder b) {
    this.client = b.client;
    this.namespace = b.namespace;
    this.fixedSettings = b.settings;
    this.serviceTimeMillis = b.serviceTimeMillis;
    this.drainTimeout = b.drainTimeout;
    this.registrationRetryInterval = b.registrationRetryInterval;
    this.restartDelay = b.restartDelay;
    this.startupDelay = b.startupDelay;
    this.customizer = b.customizer;
    this.etcd = Loopback.etcdClient(b.etcdEndpoint);
    this.podEvents = Executors.newSingleThreadExecutor(SimHttp.daemonThreads("sim-kubelet-pods"));
    this.terminations = SimHttp.executor("sim-kubelet-stop", 64);
  }

  /**
   * A builder of a kubelet for the worker pods of {@code namespace}.
   *
   * @param etcdEndpoint the etcd the workers register in, e.g. {@code EtcdServer#endpoint()}
   *     (loopback only)
   */
  public static Builder builder(KubernetesClient client, String namespace, String etcdEndpoint) {
    return new Builder(client, namespace, etcdEndpoint);
  }

  /** Settings of a {@link SimulatedKubelet}. */
  public static final class Builder {
    private final KubernetesClient client;
    private final String namespace;
    private final String etcdEndpoint;
    private DisaggClusterSettings settings;
    private long serviceTimeMillis;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration registrationRetryInterval = Duration.ofSeconds(5);
    private Duration restartDelay;
    private Duration startupDelay = Duration.ZERO;
    private Duration resyncPeriod = Duration.ofSeconds(1);
    private BiConsumer<Pod, SimulatedWorker.Builder> customizer = (p, b) -> {};

    private Builder(KubernetesClient client, String namespace, String etcdEndpoint) {
      this.client = client;
      this.namespace = namespace;
      this.etcdEndpoint = etcdEndpoint;
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

    /** Drain bound of each worker's shutdown (default 30 s). */
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
     * Restart a killed worker in its pod (same address, new worker id) after this delay; default
     * never.
     */
    public Builder restartKilledWorkersAfter(Duration d) {
      this.restartDelay = d;
      return this;
    }

    /**
     * Time between seeing a pod Running with an IP and starting its worker, like a model load
     * (default none). Precision is the resync period.
     */
    public Builder startupDelay(Duration d) {
      this.startupDelay = d;
      return this;
    }

    /** How often all pods are re-examined (default 1 s). */
    public Builder resyncPeriod(Duration d) {
      this.resyncPeriod = d;
      return this;
    }

    /** Called for each worker about to start, e.g. to set another service time per pod. */
    public Builder workerCustomizer(BiConsumer<Pod, SimulatedWorker.Builder> c) {
      this.customizer = c;
      return this;
    }

    /** Starts informing on the worker pods. */
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
                  WorkerRole.GENERATION.component())
              .inform(k.handler(), resyncPeriod.toMillis());
      return k;
    }
  }

  // ------------------------------------------------------------------------------------------
  // public view

  /** The worker of a pod now (serving, or killed while the pod still exists), if any. */
  public Optional<SimulatedWorker> worker(String podName) {
    PodWorker pw = current.get(podName);
    return Optional.ofNullable(pw == null ? null : pw.worker);
  }

  /** Current workers by pod name. */
  public Map<String, SimulatedWorker> workers() {
    Map<String, SimulatedWorker> m = new LinkedHashMap<>();
    current.forEach((k, v) -> m.put(k, v.worker));
    return m;
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
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      PodWorker pw = current.get(podName);
      if (pw != null && pw.worker.state() == SimulatedWorker.State.SERVING) {
        return pw.worker;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "no serving worker for pod "
                + podName
                + " after "
                + timeout
                + "; kubelet events: "
                + events());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** What the kubelet did (newest last, at most 1000): started, preStop, stopped, errors. */
  public synchronized List<String> events() {
    return List.copyOf(events);
  }

  /**
   * Stops informing, then stops every worker (serving ones at once, draining ones bounded by their
   * drain timeout).
   */
  @Override
  public void close() {
    closed = true;
    if (informer != null) {
      informer.close();
    }
    podEvents.shutdownNow();
    try {
      podEvents.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SimulatedWorker w : allWorkers()) {
      w.close();
    }
    terminations.shutdownNow();
    etcd.close();
  }

  // ------------------------------------------------------------------------------------------

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
    PodWorker cur = current.get(name);
    if (cur != null && !cur.uid.equals(uid)) {
      if (terminating) {
        return; // news about an older pod of that name
      }
      current.remove(name);
      terminate(name, cur, "replaced by pod uid " + uid);
      cur = null;
    }
    if (terminating) {
      runningSinceByUid.remove(uid);
      if (cur != null) {
        current.remove(name);
        terminate(name, cur, deleted ? "pod deleted" : "pod terminating");
      }
      return;
    }
    if (cur != null) {
      if (restartDelay != null && cur.worker.state() == SimulatedWorker.State.KILLED) {
        long now = System.nanoTime();
        if (cur.killedSeenNanos == 0) {
          cur.killedSeenNanos = now;
          event("CRASHED " + name + " " + cur.worker.endpoint() + ", restart in " + restartDelay);
        } else if (now - cur.killedSeenNanos >= restartDelay.toNanos()) {
          current.remove(name);
          startWorker(pod, "restarted");
        }
      }
      return;
    }
    if (pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase())
        || pod.getStatus().getPodIP() == null
        || pod.getStatus().getPodIP().isBlank()) {
      return;
    }
    long since = runningSinceByUid.computeIfAbsent(uid, k -> System.nanoTime());
    if (System.nanoTime() - since < startupDelay.toNanos()) {
      return; // "loading the model"; the next resync looks again
    }
    startWorker(pod, "started");
  }

  private void startWorker(Pod pod, String verb) {
    String name = pod.getMetadata().getName();
    Map<String, String> labels = pod.getMetadata().getLabels();
    WorkerRole role = WorkerRole.fromComponent(labels == null ? null : labels.get(COMPONENT_LABEL));
    if (role == null) {
      return;
    }
    DisaggClusterSettings settings;
    try {
      settings = fixedSettings != null ? fixedSettings : settingsFromConfigMap(pod, role);
    } catch (RuntimeException e) {
      event("WAITING " + name + ": " + e.getMessage());
      return;
    }
    String ip = pod.getStatus().getPodIP();
    int port = httpPort(pod);
    SimulatedWorker.Builder b =
        SimulatedWorker.builder(role, ip, port)
            .settings(settings)
            .etcd(etcd)
            .serviceTimeMillis(serviceTimeMillis)
            .drainTimeout(drainTimeout)
            .registrationRetryInterval(registrationRetryInterval);
    customizer.accept(pod, b);
    SimulatedWorker w;
    try {
      w = b.start();
    } catch (IllegalStateException e) {
      event("WAITING " + name + ": " + e.getMessage());
      return;
    }
    current.put(name, new PodWorker(pod.getMetadata().getUid(), w));
    synchronized (this) {
      history.computeIfAbsent(name, k -> new ArrayList<>()).add(w);
    }
    event(
        verb.toUpperCase()
            + " "
            + name
            + " "
            + role
            + " "
            + w.endpoint()
            + " "
            + w.registrationKey());
  }

  private void terminate(String name, PodWorker pw, String why) {
    SimulatedWorker w = pw.worker;
    if (w.state() != SimulatedWorker.State.SERVING) {
      event("GONE " + name + " (" + why + "), worker already " + w.state());
      return;
    }
    event("TERMINATING " + name + " (" + why + ")");
    // preStop right away (on the pod event thread, so it is never queued behind drains), then
    // SIGTERM
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
          });
    } catch (RejectedExecutionException e) {
      w.close();
    }
  }

  private DisaggClusterSettings settingsFromConfigMap(Pod pod, WorkerRole role) {
    String instance = pod.getMetadata().getLabels().get(INSTANCE_LABEL);
    if (instance == null) {
      throw new IllegalStateException(
          "pod has no " + INSTANCE_LABEL + " label to find its ConfigMap");
    }
    String cmName = instance + "-config";
    ConfigMap cm = client.configMaps().inNamespace(namespace).withName(cmName).get();
    if (cm == null) {
      throw new IllegalStateException("ConfigMap " + cmName + " not found");
    }
    String key = role.component() + ".yaml";
    String yaml = cm.getData() == null ? null : cm.getData().get(key);
    if (yaml == null) {
      throw new IllegalStateException("ConfigMap " + cmName + " has no key " + key);
    }
    return DisaggClusterSettings.fromYaml(yaml);
  }

  /** The container port named {@code http} of container {@code worker}, else 8000. */
  static int httpPort(Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return DEFAULT_PORT;
    }
    for (Container c : pod.getSpec().getContainers()) {
      if (CONTAINER.equals(c.getName()) && c.getPorts() != null) {
        for (ContainerPort p : c.getPorts()) {
          if (PORT_NAME.equals(p.getName()) && p.getContainerPort() != null) {
            return p.getContainerPort();
          }
        }
      }
    }
    return DEFAULT_PORT;
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
    return "SimulatedKubelet[" + namespace + ", " + current.size() + " workers]";
  }
}
