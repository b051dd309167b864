package io.disagg.e2e.trtllm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A simulated TensorRT-LLM worker ({@code trtllm-serve <model> --server_role CONTEXT|GENERATION
 * --host <ip> --port <port>} with {@code disagg_cluster} etcd discovery). No model runs; what the
 * operator and the router can observe behaves like the real process:
 *
 * <ul>
 *   <li><b>Registration</b> ({@code DisaggClusterWorker.register_worker} in {@code
 *       tensorrt_llm/serve/disagg_auto_scaling.py}, storage {@code Etcd3ClusterStorage.set} in
 *       {@code serve/cluster_storage.py}): key {@code
 *       /trtllm-disagg/<cluster_name>/workers/<worker_id>} with {@code worker_id =
 *       "<ROLE>-<host>:<port>-<epoch ms>-<pid>-<000..1000>"} and the value {@code {"worker_id":
 *       ..., "host": ..., "port": ..., "role": 0|1}} written as Python's {@code json.dumps} writes
 *       it, put only if absent ({@code put_if_not_exists}), on a lease of TTL {@code
 *       inactive_timeout_sec} that is granted once and then cached for the worker's whole life
 *       ({@code _get_lease}). A failed attempt is retried every {@link
 *       Builder#registrationRetryInterval} (upstream {@code retry_interval}, 5 s).
 *   <li><b>Heartbeat and lease loss</b> ({@code DisaggClusterWorker._heartbeat}, {@code
 *       Etcd3ClusterStorage.expire}), per {@link SimulatedRelease#leaseLoss()}: every {@code
 *       heartbeat_interval_sec} the cached lease is refreshed (off unless {@code 0 < heartbeat <
 *       timeout}, as upstream). Refreshing an expired lease counts as success ({@link
 *       #deadLeaseRefreshes}): the worker never registers again and keeps answering {@code /health}
 *       200. A refresh that cannot reach etcd starts a re-registration on the cached lease (put if
 *       absent in 1.2, overwrite in 1.3), retried every 5 s without refreshing; once that lease has
 *       expired the put fails with NOT_FOUND and the heartbeat ends for good ({@link
 *       #heartbeatTaskDied}).
 *   <li><b>HTTP</b> on {@code host:port} (JDK {@code HttpServer}, bounded handler threads), as
 *       {@code OpenAIServer.register_routes} in {@code tensorrt_llm/serve/openai_server.py}: {@code
 *       GET /health} (200 while serving; in 1.3, 503 "LLM is unavailable..." after {@link
 *       #setEngineHealthy setEngineHealthy(false)}, {@code OpenAIServer.health}), {@code GET
 *       /server_info} (1.3 only, {@code get_server_info}: {@code {"disaggregated_params": {}}}; 1.2
 *       answers 404), {@code GET /prometheus/metrics} (gauges {@code trtllm_num_requests_running} =
 *       in-flight requests + {@link #setExtraRunningRequests}, {@code trtllm_num_requests_waiting}
 *       = {@link #setWaitingRequests}, {@code trtllm_kv_cache_utilization} = {@link
 *       #setKvCacheUtilization}; counter {@code trtllm_request_success_total}), {@code POST
 *       /v1/completions} taking {@link #setServiceTimeMillis} per request. A context worker answers
 *       a completion whose {@code choices[0].disaggregated_params} (upstream's "ctx params")
 *       carries {@code request_type: "context_only"}, {@code ctx_request_id}, {@code
 *       first_gen_tokens}, plus {@code prompt_token_ids}; a generation worker answers an
 *       OpenAI-style completion. {@link #setStalled setStalled(true)} blocks every handler (a
 *       wedged event loop): connections are accepted, nothing is answered.
 *   <li><b>Per-request performance metrics</b> ({@code GET /perf_metrics}, {@code
 *       OpenAIServer.get_perf_metrics} and {@code _extract_metrics} in {@code
 *       tensorrt_llm/serve/openai_server.py}): kept only when the worker's YAML has {@code
 *       return_perf_metrics: true} and {@code perf_metrics_max_requests > 0} ({@link
 *       Builder#llmApiOptions}; else the answer is always {@code []}), one entry per request
 *       answered successfully, at most {@code perf_metrics_max_requests} (the oldest dropped, a
 *       {@code deque(maxlen=...)}), and each GET takes them all (the buffer is swapped for an empty
 *       one). A generation worker serving a request with a context worker's {@code
 *       disaggregated_params} first "receives" its KV cache: prompt tokens x {@link
 *       Builder#kvBytesPerToken} bytes at {@link #setKvTransferBytesPerSecond} (the request takes
 *       that long), and its entry has {@code timing_metrics.kv_cache_size} (bytes), {@code
 *       kv_cache_transfer_start} and {@code kv_cache_transfer_end} (seconds of a steady clock), as
 *       only the receiving side records a size ({@code RequestPerfMetrics::TimingMetrics}, {@code
 *       cpp/include/tensorrt_llm/executor/types.h}; the keys are written {@code if
 *       timing_metrics.kv_cache_size > 0}). Context entries have no {@code kv_cache_*} keys.
 *   <li><b>{@link #shutdown()}</b> is trtllm-serve on SIGTERM (uvicorn graceful shutdown, then the
 *       FastAPI lifespan deregisters): new connections are refused at once, requests already in a
 *       handler finish (bounded by {@link Builder#drainTimeout}), and only then is the worker's own
 *       key deleted. A request arriving meanwhile on an already open keep-alive connection gets its
 *       connection closed without an answer (uvicorn closes idle connections).
 *   <li><b>{@link #kill()}</b> is a crash: serving stops at once (in-flight requests fail),
 *       heartbeats stop, the key stays until its lease expires.
 *   <li><b>{@link #deregister()}</b> is what a preStop hook does: delete the worker's own key while
 *       it keeps serving (heartbeats go on refreshing the lease, which does not bring the key
 *       back).
 * </ul>
 *
 * <p>Addresses must be IPv4 literals in 127.0.0.0/8 (pod IPs of the kwok cluster are 127.1.x.y);
 * the etcd endpoint too. Start one with {@link #builder}.
 */
public final class SimulatedWorker implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(SimulatedWorker.class.getName());

  /** Timeout of each etcd call, in seconds. */
  static final long ETCD_TIMEOUT_SECONDS = 5;

  private static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  /** Default {@link Builder#kvBytesPerToken}: 128 KiB. */
  public static final long DEFAULT_KV_BYTES_PER_TOKEN = 131072;

  /** Default {@link #setKvTransferBytesPerSecond}: 20 GiB/s, an EFA-like transfer. */
  public static final double DEFAULT_KV_TRANSFER_BYTES_PER_SECOND = 20.0 * (1L << 30);

  /** Longest simulated KV-cache transfer of one request. */
  private static final long MAX_TRANSFER_NANOS = TimeUnit.SECONDS.toNanos(30);

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final int MAX_TOKENS_CAP = 4096;

  /** Lifecycle of a simulated worker. */
  public enum State {
    /** HTTP serving (registered, or registering in the background). */
    SERVING,
    /** {@link #shutdown()} in progress: listener closed, in-flight requests finishing. */
    DRAINING,
    /** Shut down or closed: nothing serves, the key was deleted (or deleting it failed). */
    STOPPED,
    /** {@link #kill()}ed: nothing serves, the key is left to expire. */
    KILLED
  }

  private final WorkerRole role;
  private final SimulatedRelease release;
  private final String host;
  private final InetAddress address;
  private final DisaggClusterSettings settings;
  private final Client etcd;
  private final boolean ownsEtcd;
  private final boolean register;
  private final String model;
  private final String cacheFormat;
  private final Duration drainTimeout;
  private final Duration registrationRetryInterval;
  private final Map<String, String> metricLabels;
  private final int perfMetricsMaxRequests;
  private final long kvBytesPerToken;
  private final Object perfMetricsLock = new Object();
  private ArrayDeque<ObjectNode> perfMetrics;
  private final AtomicLong iterations = new AtomicLong();
  private volatile double kvTransferBytesPerSecond;
  private final HttpServer server;
  private final ThreadPoolExecutor handlers;
  private final int port;
  private final String workerId;
  private final String key;
  private final String registrationJson;

  private final AtomicReference<State> state = new AtomicReference<>(State.SERVING);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong badRequests = new AtomicLong();
  private final AtomicLong foreignCaches = new AtomicLong();
  private final AtomicLong refusedWhileStopping = new AtomicLong();
  private final AtomicLong registrations = new AtomicLong();
  private final AtomicLong heartbeats = new AtomicLong();
  private final AtomicLong heartbeatFailures = new AtomicLong();
  private final AtomicLong deadLeaseRefreshes = new AtomicLong();
  private final AtomicLong localRequestIds = new AtomicLong(1000);
  private final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
  private final Object drainLock = new Object();
  private volatile long serviceTimeMillis;
  private volatile int extraRunning;
  private volatile int waiting;
  private volatile double kvCacheUtilization;
  private volatile long leaseId;
  private volatile boolean heartbeatTaskDied;
  private volatile boolean engineHealthy = true;

  /** The fatal error the executor failed with ({@link #poisonTransferBuffer}), or null. */
  private volatile String fatalError;

  /** {@link System#nanoTime} of the fatal error. */
  private volatile long fatalAtNanos;

  private final Path logFile;
  private final Object stallLock = new Object();
  private boolean stalled;
  private volatile boolean stopHeartbeats;
  private volatile Thread lifecycleThread;
  private volatile CompletableFuture<Void> shutdownDone;
  private boolean released;

  private SimulatedWorker(Builder b) throws IOException {
    this.role = b.role;
    this.release = b.release;
    this.host = b.host;
    this.address = Loopback.address(b.host);
    this.settings = b.settings;
    this.register = b.register;
    this.model = b.model;
    this.cacheFormat = b.cacheFormat;
    this.drainTimeout = b.drainTimeout;
    this.registrationRetryInterval = b.registrationRetryInterval;
    this.serviceTimeMillis = b.serviceTimeMillis;
    this.logFile = b.logFile;
    // OpenAIServer.__init__: the deque exists only with return_perf_metrics and a positive max.
    this.perfMetricsMaxRequests = b.returnPerfMetrics ? Math.max(0, b.perfMetricsMaxRequests) : 0;
    this.perfMetrics = perfMetricsMaxRequests > 0 ? new ArrayDeque<>() : null;
    this.kvBytesPerToken = b.kvBytesPerToken;
    this.kvTransferBytesPerSecond = b.kvTransferBytesPerSecond;
    this.handlers = SimHttp.executor("sim-" + role.component() + "-" + b.host, b.maxHandlerThreads);
    this.server = HttpServer.create(new InetSocketAddress(address, b.port), 256);
    this.port = server.getAddress().getPort();
    String endpoint = host + ":" + port;
    this.metricLabels = new LinkedHashMap<>();
    if (b.metricLabels != null) {
      metricLabels.putAll(b.metricLabels);
    } else {
      metricLabels.put("model_name", model);
      metricLabels.put("engine_type", "trtllm");
    }
    // ROLE-host:port-<ms>-<pid>-<random 0..1000, at least 3 digits>, as DisaggClusterWorker builds
    // it.
    this.workerId =
        role.name()
            + "-"
            + endpoint
            + "-"
            + System.currentTimeMillis()
            + "-"
            + ProcessHandle.current().pid()
            + "-"
            + String.format("%03d", ThreadLocalRandom.current().nextInt(1001));
    this.key =
        (settings != null ? settings.workerKeyPrefix() : "/trtllm-disagg/-/workers")
            + "/"
            + workerId;
    this.registrationJson =
        "{\"worker_id\": "
            + quote(workerId)
            + ", \"host\": "
            + quote(host)
            + ", \"port\": "
            + port
            + ", \"role\": "
            + role.number()
            + "}";
    if (register) {
      this.etcd = b.etcdClient != null ? b.etcdClient : Loopback.etcdClient(b.etcdEndpoint);
      this.ownsEtcd = b.etcdClient == null;
    } else {
      this.etcd = null;
      this.ownsEtcd = false;
    }
    server.setExecutor(handlers);
    server.createContext("/", this::route);
  }

  /**
   * A builder of a worker bound to {@code host:port}.
   *
   * @param host an IPv4 literal in 127.0.0.0/8, e.g. a kwok pod IP {@code 127.1.0.7}
   * @param port TCP port; 0 picks a free one (the registration carries the real one)
   */
  public static Builder builder(WorkerRole role, String host, int port) {
    return new Builder(role, host, port);
  }

  /** Settings of a {@link SimulatedWorker}; {@link #start()} binds, serves and registers. */
  public static final class Builder {
    private final WorkerRole role;
    private final String host;
    private final int port;
    private SimulatedRelease release = SimulatedRelease.DEFAULT;
    private DisaggClusterSettings settings;
    private String etcdEndpoint;
    private Client etcdClient;
    private boolean register = true;
    private String model = "simulated-model";
    private String cacheFormat = "";
    private long serviceTimeMillis = 0;
    private Path logFile;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration registrationRetryInterval = Duration.ofSeconds(5);
    private int maxHandlerThreads = 32;
    private Map<String, String> metricLabels;
    private boolean returnPerfMetrics;
    private int perfMetricsMaxRequests;
    private long kvBytesPerToken = DEFAULT_KV_BYTES_PER_TOKEN;
    private double kvTransferBytesPerSecond = DEFAULT_KV_TRANSFER_BYTES_PER_SECOND;

    private Builder(WorkerRole role, String host, int port) {
      this.role = role;
      this.host = host;
      this.port = port;
    }

    /** The TensorRT-LLM release to imitate (default {@link SimulatedRelease#DEFAULT}). */
    public Builder release(SimulatedRelease r) {
      this.release = java.util.Objects.requireNonNull(r, "release");
      return this;
    }

    /**
     * The {@code disagg_cluster} settings (cluster name, heartbeat, lease TTL). Required when
     * registering.
     */
    public Builder settings(DisaggClusterSettings s) {
      this.settings = s;
      return this;
    }

    /**
     * etcd endpoint ({@code 127.0.0.1:port}, {@code http://...} or {@code etcd://...}); the worker
     * owns its client.
     */
    public Builder etcd(String endpoint) {
      this.etcdEndpoint = endpoint;
      return this;
    }

    /** A shared etcd client; the worker does not close it (a kill then only stops heartbeats). */
    public Builder etcd(Client client) {
      this.etcdClient = client;
      return this;
    }

    /** Whether to register in etcd (default true); false gives a plain HTTP worker. */
    public Builder register(boolean register) {
      this.register = register;
      return this;
    }

    /** {@code model} in responses and the {@code model_name} metric label. */
    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /**
     * What decides whether this worker's KV cache can be handed to another worker, reduced to one
     * string (default empty): the simulated kubelet passes the pod's container image, since the
     * release decides the cache layout and the transfer protocol. A generation worker refuses a
     * context worker's cache of another format, as {@code CacheFormatter::inquireSupport} ({@code
     * cpp/tensorrt_llm/batch_manager/cacheFormatter.cpp}) fails the request when data type, tokens
     * per block, head size, layers or KV heads differ.
     */
    public Builder cacheFormat(String format) {
      this.cacheFormat = java.util.Objects.requireNonNull(format, "format");
      return this;
    }

    /** Time each {@code /v1/completions} request takes, in milliseconds (default 0). */
    /**
     * The container log: lines the worker logs are appended in the CRI format the kubelet writes
     * ({@code <RFC 3339 time> stderr F <line>}), which kwok's {@code Logs} resource serves to
     * {@code kubectl logs}. Unset: nothing is written.
     */
    public Builder logFile(Path file) {
      this.logFile = file;
      return this;
    }

    public Builder serviceTimeMillis(long ms) {
      this.serviceTimeMillis = ms;
      return this;
    }

    /** Upper bound of the wait for in-flight requests in {@link #shutdown()} (default 30 s). */
    public Builder drainTimeout(Duration d) {
      this.drainTimeout = d;
      return this;
    }

    /**
     * Pause between failed registration attempts (default 5 s, as upstream's {@code
     * retry_interval}).
     */
    public Builder registrationRetryInterval(Duration d) {
      this.registrationRetryInterval = d;
      return this;
    }

    /** Maximum number of HTTP handler threads (default 32); more concurrent requests queue. */
    public Builder maxHandlerThreads(int n) {
      this.maxHandlerThreads = n;
      return this;
    }

    /**
     * Labels of every metric, in iteration order (default {@code model_name=<model>}, {@code
     * engine_type="trtllm"}).
     */
    public Builder metricLabels(Map<String, String> labels) {
      this.metricLabels = labels;
      return this;
    }

    /**
     * The worker's LLM-API options ({@code --extra_llm_api_options}, the pool's YAML) as far as the
     * simulator honours them: {@code return_perf_metrics} (default false, as {@code BaseLlmArgs})
     * and {@code perf_metrics_max_requests} (default 0, {@code TorchLlmArgs} in {@code
     * tensorrt_llm/llmapi/llm_args.py}).
     *
     * @throws IllegalArgumentException when the text is not YAML
     */
    public Builder llmApiOptions(String yaml) {
      JsonNode root;
      try {
        root = YAML.readTree(yaml == null ? "" : yaml);
      } catch (IOException e) {
        throw new IllegalArgumentException("not YAML: " + e.getMessage(), e);
      }
      JsonNode r = root == null ? null : root.get("return_perf_metrics");
      JsonNode n = root == null ? null : root.get("perf_metrics_max_requests");
      return perfMetrics(r != null && r.asBoolean(false), n == null ? 0 : n.asInt(0));
    }

    /**
     * {@code return_perf_metrics} and {@code perf_metrics_max_requests} directly (default false, 0:
     * {@code /perf_metrics} answers {@code []}).
     */
    public Builder perfMetrics(boolean returnPerfMetrics, int maxRequests) {
      this.returnPerfMetrics = returnPerfMetrics;
      this.perfMetricsMaxRequests = maxRequests;
      return this;
    }

    /**
     * KV-cache bytes per prompt token a generation worker receives (default {@value
     * #DEFAULT_KV_BYTES_PER_TOKEN}: 2 x 32 layers x 8 KV heads x 128 x 2 bytes, a Llama-3-8B in
     * FP16).
     */
    public Builder kvBytesPerToken(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("negative KV bytes per token");
      }
      this.kvBytesPerToken = bytes;
      return this;
    }

    /** Initial {@link SimulatedWorker#setKvTransferBytesPerSecond}. */
    public Builder kvTransferBytesPerSecond(double bytesPerSecond) {
      this.kvTransferBytesPerSecond = checkedRate(bytesPerSecond);
      return this;
    }

    /**
     * Binds the HTTP server, starts serving, then registers in etcd (one attempt here; if it fails,
     * retries continue in the background like upstream's {@code register_worker}).
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public SimulatedWorker start() {
      if (register) {
        if (settings == null) {
          throw new IllegalArgumentException("settings are required to register");
        }
        if (etcdEndpoint == null && etcdClient == null) {
          throw new IllegalArgumentException("an etcd endpoint or client is required to register");
        }
      }
      if (maxHandlerThreads < 1 || drainTimeout.isNegative() || serviceTimeMillis < 0) {
        throw new IllegalArgumentException("bad worker settings");
      }
      SimulatedWorker w;
      try {
        w = new SimulatedWorker(this);
      } catch (IOException e) {
        throw new IllegalStateException(
            "cannot bind simulated worker to " + host + ":" + port + ": " + e, e);
      }
      w.begin();
      return w;
    }
  }

  private void begin() {
    server.start();
    if (!register) {
      return;
    }
    Attempt first = tryRegister(false);
    Thread t = new Thread(() -> lifecycle(first), "sim-heartbeat-" + endpoint());
    t.setDaemon(true);
    lifecycleThread = t;
    t.start();
  }

  // ------------------------------------------------------------------------------------------
  // identity and state

  public WorkerRole role() {
    return role;
  }

  /** The TensorRT-LLM release this worker imitates. */
  public SimulatedRelease release() {
    return release;
  }

  /** The host it is bound to and registered with (the pod IP). */
  public String host() {
    return host;
  }

  /** The bound TCP port. */
  public int port() {
    return port;
  }

  /** {@code host:port}, as the router dials it. */
  public String endpoint() {
    return host + ":" + port;
  }

  /** {@code worker_id} of the registration. */
  public String workerId() {
    return workerId;
  }

  /** The etcd key {@code /trtllm-disagg/<cluster_name>/workers/<worker_id>}. */
  public String registrationKey() {
    return key;
  }

  /** The registration value, exactly as written to etcd. */
  public String registrationJson() {
    return registrationJson;
  }

  /**
   * The lease granted at the first registration attempt and reused by every later one (upstream
   * caches it per key), 0 before it was granted.
   */
  public long leaseId() {
    return leaseId;
  }

  public State state() {
    return state.get();
  }

  public DisaggClusterSettings settings() {
    return settings;
  }

  // ------------------------------------------------------------------------------------------
  // load knobs

  /** Time each completion request takes from now on, in milliseconds. */
  public void setServiceTimeMillis(long ms) {
    if (ms < 0) {
      throw new IllegalArgumentException("negative service time");
    }
    this.serviceTimeMillis = ms;
  }

  /** Current service time per request, in milliseconds. */
  public long serviceTimeMillis() {
    return serviceTimeMillis;
  }

  /** Requests added to the real in-flight count in {@code trtllm_num_requests_running}. */
  public void setExtraRunningRequests(int n) {
    this.extraRunning = Math.max(0, n);
  }

  /** Value of {@code trtllm_num_requests_waiting} (requests queued). */
  public void setWaitingRequests(int n) {
    this.waiting = Math.max(0, n);
  }

  /** Value of {@code trtllm_kv_cache_utilization}, a fraction in [0, 1]. */
  public void setKvCacheUtilization(double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException(
          "KV-cache utilization is a fraction in [0, 1]: " + fraction);
    }
    this.kvCacheUtilization = fraction;
  }

  /**
   * Speed at which this generation worker receives KV caches from now on, bytes per second
   * (positive): e.g. 20 GiB/s for EFA, 100 MiB/s for a fallback to TCP.
   */
  public void setKvTransferBytesPerSecond(double bytesPerSecond) {
    this.kvTransferBytesPerSecond = checkedRate(bytesPerSecond);
  }

  private static double checkedRate(double bytesPerSecond) {
    if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
      throw new IllegalArgumentException("KV transfer speed must be positive: " + bytesPerSecond);
    }
    return bytesPerSecond;
  }

  // ------------------------------------------------------------------------------------------
  // counters

  /** Completion requests answered successfully. */
  public long requestsServed() {
    return served.get();
  }

  /**
   * Requests this generation worker refused because their KV cache came from a context worker of
   * another {@link Builder#cacheFormat} (a mixed pair).
   */
  public long foreignCachesRefused() {
    return foreignCaches.get();
  }

  /** Completion requests inside a handler right now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Requests dropped (connection closed unanswered) because the worker was draining or stopped. */
  public long requestsRefusedWhileStopping() {
    return refusedWhileStopping.get();
  }

  /** Successful registrations (the first one plus re-registrations after failed refreshes). */
  public long registrations() {
    return registrations.get();
  }

  /** Successful lease refreshes. */
  public long heartbeats() {
    return heartbeats.get();
  }

  /**
   * Lease refreshes that could not reach etcd (each one followed by a re-registration attempt on
   * the cached lease).
   */
  public long heartbeatFailures() {
    return heartbeatFailures.get();
  }

  /**
   * Refreshes of the lease after it had expired: etcd answers them with TTL 0 and no error, which
   * upstream counts as a successful heartbeat (also counted in {@link #heartbeats}).
   */
  public long deadLeaseRefreshes() {
    return deadLeaseRefreshes.get();
  }

  /**
   * Whether the heartbeat ended with an exception: a registration on the cached lease after it
   * expired failed with NOT_FOUND, which upstream does not catch. The worker goes on serving,
   * unregistered, until it is restarted.
   */
  public boolean heartbeatTaskDied() {
    return heartbeatTaskDied;
  }

  /**
   * Health of the inference engine. In 1.3 {@code /health} then answers 503 ({@code
   * OpenAIServer.health} when {@code _check_health()} fails); 1.2's {@code /health} answers 200
   * whatever the engine does.
   */
  public void setEngineHealthy(boolean healthy) {
    this.engineHealthy = healthy;
  }

  /**
   * A poisoned KV-cache transfer buffer, as the newest TensorRT-LLM handles one (only releases with
   * {@link SimulatedRelease#workerPoisonsTransferBuffers}): {@code
   * DisaggTransferCoordinator.handle_errors_synced} ({@code
   * tensorrt_llm/_torch/disaggregation/orchestration/coordinator.py}) calls {@code fail_fatal(
   * "Disagg KV cache transfer buffer is poisoned; process restart is required")}; {@code
   * PyExecutorEffects.fail_fatal} ({@code tensorrt_llm/_torch/pyexecutor/disagg_adapter.py}) sets
   * the executor's fatal error, shuts it down and fails every active request. Here: the line is
   * logged, requests in a handler now are answered 400 with that error ({@code openai_completion}
   * answers an exception with {@code create_error_response(str(e))}), later ones 400 "PyExecutor
   * has already been shutdown.", and {@code /health} answers 503 ({@code OpenAIServer.health}). The
   * process keeps running and stays registered: whether the serve process's {@code /health} handler
   * sees the executor's error and raises SIGINT is not established, and without that only the
   * orchestrator ends it.
   *
   * @throws IllegalStateException for a release without buffer poisoning
   */
  public void poisonTransferBuffer() {
    if (!release.workerPoisonsTransferBuffers()) {
      throw new IllegalStateException(
          "TensorRT-LLM " + release.version() + " has no transfer-buffer poisoning");
    }
    fatalAtNanos = System.nanoTime();
    fatalError =
        "Fatal error: Disagg KV cache transfer buffer is poisoned; process restart is required";
    engineHealthy = false;
    log("E", fatalError);
  }

  /**
   * Appends one line to the container log ({@link Builder#logFile}), as {@code
   * tensorrt_llm.logger}.
   */
  private void log(String severity, String message) {
    if (logFile == null) {
      return;
    }
    String now = java.time.Instant.now().toString();
    String stamp =
        java.time.format.DateTimeFormatter.ofPattern("MM/dd/yyyy-HH:mm:ss")
            .withZone(java.time.ZoneOffset.UTC)
            .format(java.time.Instant.now());
    String line = now + " stderr F [" + stamp + "] [TRT-LLM] [" + severity + "] " + message + "\n";
    try {
      java.nio.file.Files.writeString(
          logFile,
          line,
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.log(Level.FINE, "worker " + endpoint() + ": log not written", e);
    }
  }

  /**
   * A wedged server (e.g. a blocked event loop): while stalled, connections are accepted and every
   * request, {@code /health} included, waits without an answer; unstalling answers them. Stopping
   * the worker unstalls it.
   */
  public void setStalled(boolean stall) {
    synchronized (stallLock) {
      stalled = stall;
      stallLock.notifyAll();
    }
  }

  /** Body of the last completion request received (parsed), or null. */
  public JsonNode lastRequest() {
    return lastRequest.get();
  }

  /** Value {@code trtllm_num_requests_running} has now. */
  public int runningRequestsMetric() {
    return inFlight.get() + extraRunning;
  }

  // ------------------------------------------------------------------------------------------
  // lifecycle

  /**
   * The preStop hook: deletes this worker's own registration key; the worker keeps serving.
   *
   * @return whether a key was deleted (false when it was already gone)
   * @throws IllegalStateException when etcd cannot be reached within 5 s
   */
  public boolean deregister() {
    if (!register) {
      return false;
    }
    try {
      return etcd.getKVClient()
              .delete(bytes(key))
              .get(ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS)
              .getDeleted()
          > 0;
    } catch (Exception e) {
      throw new IllegalStateException("cannot delete " + key + ": " + e, e);
    }
  }

  /** Graceful stop (SIGTERM), blocking until done: see {@link #shutdownAsync()}. */
  public void shutdown() {
    shutdownAsync().join();
  }

  /**
   * Starts a graceful stop and returns once new connections are refused. The future completes when
   * in-flight requests have finished (or {@link Builder#drainTimeout} passed), the server is
   * stopped and the worker's own key deleted. Calling it again returns the same future.
   */
  public synchronized CompletableFuture<Void> shutdownAsync() {
    if (shutdownDone != null) {
      return shutdownDone;
    }
    if (!state.compareAndSet(State.SERVING, State.DRAINING)) {
      shutdownDone = CompletableFuture.completedFuture(null);
      return shutdownDone;
    }
    long drainSeconds = Math.max(1, (drainTimeout.toMillis() + 999) / 1000);
    // HttpServer.stop closes the listening socket first, then waits for exchanges in flight.
    Thread stopper =
        new Thread(
            () -> server.stop((int) Math.min(Integer.MAX_VALUE, drainSeconds)),
            "sim-stop-" + endpoint());
    stopper.setDaemon(true);
    stopper.start();
    awaitListenerClosed();
    CompletableFuture<Void> done = new CompletableFuture<>();
    shutdownDone = done;
    Thread drainer =
        new Thread(
            () -> {
              try {
                awaitDrained();
                if (state.get() == State.KILLED) {
                  done.complete(null);
                  return;
                }
                server.stop(0);
                stopper.join(5_000);
                stopLifecycle();
                if (register) {
                  try {
                    etcd.getKVClient()
                        .delete(bytes(key))
                        .get(ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    LOG.log(Level.WARNING, "worker " + workerId + " deregistration failed", e);
                  }
                }
                state.compareAndSet(State.DRAINING, State.STOPPED);
                releaseResources();
                done.complete(null);
              } catch (Throwable t) {
                state.compareAndSet(State.DRAINING, State.STOPPED);
                releaseResources();
                done.completeExceptionally(t);
              }
            },
            "sim-drain-" + endpoint());
    drainer.setDaemon(true);
    drainer.start();
    return done;
  }

  /**
   * Crash: stops serving at once (connections closed, in-flight requests fail, new connections
   * refused) and stops heartbeats; the registration stays until its lease expires after {@code
   * inactive_timeout_sec}. Also ends a shutdown in progress (its key is then not deleted). No-op
   * once stopped.
   */
  public synchronized void kill() {
    State s = state.get();
    if ((s != State.SERVING && s != State.DRAINING) || !state.compareAndSet(s, State.KILLED)) {
      return;
    }
    setStalled(false);
    server.stop(0);
    handlers.shutdownNow();
    stopLifecycle();
    releaseResources();
  }

  /**
   * Fast teardown for test clean-up: a serving worker stops serving at once and deletes its key
   * (best effort); a draining one finishes its shutdown (bounded); resources are released.
   */
  @Override
  public void close() {
    CompletableFuture<Void> pending;
    synchronized (this) {
      pending = shutdownDone;
      if (pending == null && state.compareAndSet(State.SERVING, State.STOPPED)) {
        setStalled(false);
        stopLifecycle();
        handlers.shutdownNow();
        server.stop(0);
        if (register) {
          try {
            etcd.getKVClient().delete(bytes(key)).get(ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
          } catch (Exception e) {
            LOG.log(Level.FINE, "close: cannot delete " + key, e);
          }
        }
      }
    }
    if (pending != null) {
      try {
        pending.get(drainTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.log(Level.FINE, "close: shutdown of " + workerId + " did not end cleanly", e);
      }
    }
    releaseResources();
  }

  private synchronized void releaseResources() {
    if (released) {
      return;
    }
    released = true;
    handlers.shutdownNow();
    if (ownsEtcd) {
      etcd.close();
    }
  }

  private void awaitListenerClosed() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(address, port), 200);
      } catch (ConnectException e) {
        return;
      } catch (IOException e) {
        // timeout or other: try again
      }
      sleepQuietly(5);
    }
    LOG.warning(
        "listener of " + endpoint() + " still accepts connections 5 s after shutdown started");
  }

  private void awaitDrained() {
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    synchronized (drainLock) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warning(
              "worker "
                  + workerId
                  + ": "
                  + inFlight.get()
                  + " requests still in flight after drain timeout");
          return;
        }
        try {
          drainLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // etcd registration and heartbeats

  /** Outcome of one {@code Etcd3ClusterStorage.set} call. */
  private enum Attempt {
    /** The put was done. */
    REGISTERED,
    /** {@code put_if_not_exists} returned False: the key exists. */
    KEY_EXISTS,
    /** etcd could not be reached ({@code Etcd3Exception}, caught: {@code set} returns False). */
    UNREACHABLE,
    /** The cached lease has expired: gRPC NOT_FOUND, not caught upstream. */
    LEASE_NOT_FOUND
  }

  /**
   * One {@code Etcd3ClusterStorage.set(key, value, overwrite_if_exists, ttl)}: the lease is granted
   * on the first call and cached ({@code _get_lease}); {@code put_if_not_exists} is a transaction
   * "create revision == 0 then put", the overwrite a plain put, both on the cached lease.
   */
  private Attempt tryRegister(boolean overwrite) {
    try {
      if (leaseId == 0) {
        leaseId =
            etcd.getLeaseClient()
                .grant(settings.inactiveTimeoutSec())
                .get(ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .getID();
      }
      ByteSequence k = bytes(key);
      PutOption withLease = PutOption.builder().withLeaseId(leaseId).build();
      if (overwrite) {
        etcd.getKVClient()
            .put(k, bytes(registrationJson), withLease)
            .get(ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } else {
        TxnResponse r =
            etcd.getKVClient()
                .txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(k, bytes(registrationJson), withLease))
                .commit()
                .get(ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!r.isSucceeded()) {
          return Attempt.KEY_EXISTS;
        }
      }
      registrations.incrementAndGet();
      return Attempt.REGISTERED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Attempt.UNREACHABLE;
    } catch (Exception e) {
      if (leaseNotFound(e)) {
        return Attempt.LEASE_NOT_FOUND;
      }
      LOG.log(Level.FINE, "worker " + workerId + " registration failed: " + e);
      return Attempt.UNREACHABLE;
    }
  }

  /** Whether etcd answered "requested lease not found" (gRPC NOT_FOUND). */
  static boolean leaseNotFound(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND) {
        return true;
      }
      if (t.getMessage() != null && t.getMessage().contains("lease not found")) {
        return true;
      }
    }
    return false;
  }

  private void lifecycle(Attempt first) {
    try {
      if (first != Attempt.REGISTERED && !registerUntilDone(first, false)) {
        return;
      }
      if (!settings.heartbeatEnabled()) {
        LOG.warning(
            "worker "
                + workerId
                + ": heartbeat interval "
                + settings.heartbeatIntervalSec()
                + " s is not in (0, inactive timeout "
                + settings.inactiveTimeoutSec()
                + " s): heartbeat disabled");
        return;
      }
      long interval = TimeUnit.SECONDS.toNanos(settings.heartbeatIntervalSec());
      long next = System.nanoTime() + interval;
      while (!stopHeartbeats) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        if (stopHeartbeats) {
          return;
        }
        next = System.nanoTime() + interval;
        // Etcd3ClusterStorage.expire: next(client.refresh_lease(lease.id)); True unless an
        // Etcd3Exception (etcd unreachable) is raised.
        try {
          etcd.getLeaseClient().keepAliveOnce(leaseId).get(ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
          heartbeats.incrementAndGet();
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          if (stopHeartbeats) {
            return;
          }
          if (leaseNotFound(e)) {
            // jetcd reports the TTL-0 answer as an error; python-etcd3 returns it: "successful".
            heartbeats.incrementAndGet();
            deadLeaseRefreshes.incrementAndGet();
            continue;
          }
          heartbeatFailures.incrementAndGet();
          LOG.info("worker " + workerId + " heartbeat failed (" + e + "), re-registering");
          boolean overwrite =
              release.leaseLoss() == SimulatedRelease.LeaseLoss.OVERWRITE_ON_CACHED_LEASE;
          if (!registerUntilDone(null, overwrite)) {
            return;
          }
          next = System.nanoTime() + interval;
        }
      }
    } catch (InterruptedException e) {
      // stopped
    }
  }

  /**
   * {@code register_worker(validator, retry_interval=5)}: attempts until the put is done, sleeping
   * {@link Builder#registrationRetryInterval} after each failed one; no heartbeat meanwhile.
   *
   * @param first outcome of an attempt already made, or null
   * @return false when the heartbeat ended (stopped, or the cached lease expired: NOT_FOUND, which
   *     upstream does not catch, so its task dies)
   */
  private boolean registerUntilDone(Attempt first, boolean overwrite) throws InterruptedException {
    Attempt a = first;
    while (!stopHeartbeats) {
      if (a == null) {
        a = tryRegister(overwrite);
      }
      switch (a) {
        case REGISTERED -> {
          return true;
        }
        case LEASE_NOT_FOUND -> {
          heartbeatTaskDied = true;
          LOG.warning(
              "worker "
                  + workerId
                  + ": registration on expired lease "
                  + leaseId
                  + " failed (NOT_FOUND): heartbeat task ended, the worker stays out of discovery");
          return false;
        }
        default -> {
          // KEY_EXISTS or UNREACHABLE: set() returned False, retry after retry_interval
        }
      }
      a = null;
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedException();
      }
      TimeUnit.MILLISECONDS.sleep(registrationRetryInterval.toMillis());
    }
    return false;
  }

  private void stopLifecycle() {
    stopHeartbeats = true;
    Thread t = lifecycleThread;
    if (t != null && t != Thread.currentThread()) {
      t.interrupt();
      try {
        t.join(TimeUnit.SECONDS.toMillis(ETCD_TIMEOUT_SECONDS * 2 + 1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // HTTP

  private void route(HttpExchange ex) throws IOException {
    try {
      if (state.get() != State.SERVING) {
        // Listener already closed: this came on an open keep-alive connection. uvicorn would have
        // closed that connection; close it without an answer.
        refusedWhileStopping.incrementAndGet();
        ex.close();
        return;
      }
      if (!awaitUnstalled()) {
        ex.close();
        return;
      }
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      switch (path) {
        case "/health" -> {
          if (!"GET".equals(method) && !"HEAD".equals(method)) {
            SimHttp.sendText(ex, 405, "method not allowed");
          } else if (release.workerHealthChecksEngine() && !engineHealthy) {
            // OpenAIServer.health (1.3): 503 with a plain body when _check_health() fails
            SimHttp.send(
                ex,
                503,
                null,
                "LLM is unavailable. Please check the server logs for more details."
                    .getBytes(StandardCharsets.UTF_8),
                null);
          } else {
            SimHttp.send(ex, 200, null, null, null);
          }
        }
        case "/server_info" -> {
          if (!release.workerServesServerInfo()) {
            // 1.2's register_routes has no /server_info: FastAPI's 404
            SimHttp.sendJson(ex, 404, Map.of("detail", "Not Found"));
          } else if (!"GET".equals(method)) {
            SimHttp.sendJson(ex, 405, Map.of("detail", "Method Not Allowed"));
          } else {
            // OpenAIServer.get_server_info: the LLM's disaggregated_params ({} without extras)
            SimHttp.sendJson(ex, 200, Map.of("disaggregated_params", Map.of()));
          }
        }
        case "/prometheus/metrics", "/prometheus/metrics/" ->
            SimHttp.send(
                ex,
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                metricsText().getBytes(StandardCharsets.UTF_8),
                null);
        case "/perf_metrics" -> {
          if (!"GET".equals(method)) {
            SimHttp.sendJson(ex, 405, Map.of("detail", "Method Not Allowed"));
          } else {
            SimHttp.send(
                ex,
                200,
                SimHttp.JSON_TYPE,
                SimHttp.JSON.writeValueAsBytes(takePerfMetrics()),
                null);
          }
        }
        case "/v1/completions" -> {
          if (!"POST".equals(method)) {
            SimHttp.sendText(ex, 405, "method not allowed");
          } else {
            completion(ex);
          }
        }
        default -> SimHttp.sendJson(ex, 404, Map.of("detail", "Not Found"));
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, "worker " + endpoint() + " request failed", e);
      ex.close();
    }
  }

  /**
   * HTTP 400 with an OpenAI-style error body, as {@code OpenAIServer.create_error_response} answers
   * an exception ({@code tensorrt_llm/serve/openai_server.py}).
   */
  private static void badRequest(HttpExchange ex, String message) throws IOException {
    SimHttp.sendJson(
        ex,
        400,
        Map.of("object", "error", "message", message, "type", "BadRequestError", "code", 400));
  }

  /** Waits while {@link #setStalled stalled}; false when interrupted or no longer serving. */
  private boolean awaitUnstalled() {
    synchronized (stallLock) {
      while (stalled) {
        if (state.get() != State.SERVING) {
          return false;
        }
        try {
          stallLock.wait(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return true;
  }

  private void completion(HttpExchange ex) throws IOException {
    inFlight.incrementAndGet();
    long arrived = System.nanoTime();
    try {
      JsonNode req;
      try {
        req = SimHttp.JSON.readTree(SimHttp.readBody(ex, MAX_BODY_BYTES));
      } catch (IOException e) {
        req = null;
      }
      if (req == null || !req.isObject()) {
        badRequests.incrementAndGet();
        badRequest(ex, "request body must be a JSON object");
        return;
      }
      lastRequest.set(req);
      double arrival = steadySeconds();
      long ms = serviceTimeMillis;
      if (ms > 0) {
        try {
          Thread.sleep(ms);
        } catch (InterruptedException e) {
          // killed: the connection is closed by the server stop; answer nothing
          ex.close();
          return;
        }
      }
      if (state.get() == State.KILLED) {
        ex.close();
        return;
      }
      String fatal = fatalError;
      if (fatal != null) {
        // Active requests fail with the fatal error; later ones find the executor shut down.
        badRequest(
            ex, arrived - fatalAtNanos < 0 ? fatal : "PyExecutor has already been shutdown.");
        return;
      }
      String foreign = role == WorkerRole.GENERATION ? foreignCache(req) : null;
      if (foreign != null) {
        // The transfer fails inside the executor; OpenAIServer.openai_completion answers any such
        // exception with create_error_response(str(e)): 400 BadRequestError
        // (tensorrt_llm/serve/openai_server.py).
        foreignCaches.incrementAndGet();
        badRequest(
            ex,
            "KV cache of an unsupported format from "
                + foreign
                + " (CacheFormatter::inquireSupport)");
        return;
      }
      double[] transfer = receiveKvCache(req);
      if (transfer != null && state.get() == State.KILLED) {
        ex.close();
        return;
      }
      ObjectNode resp = role == WorkerRole.CONTEXT ? contextResponse(req) : generationResponse(req);
      recordPerfMetrics(req, resp, arrival, transfer);
      SimHttp.send(
          ex,
          200,
          SimHttp.JSON_TYPE,
          SimHttp.JSON.writeValueAsBytes(resp),
          Map.of("x-simulated-worker", endpoint()));
      served.incrementAndGet();
    } finally {
      inFlight.decrementAndGet();
      synchronized (drainLock) {
        drainLock.notifyAll();
      }
    }
  }

  /** Seconds of a steady clock, as {@code get_steady_clock_now_in_seconds}. */
  private static double steadySeconds() {
    return System.nanoTime() / 1e9;
  }

  /**
   * A generation worker's receipt of the request's KV cache from its context worker ({@code
   * CacheTransceiver::requestAndReceiveAsync} sets the start, the receive's end the end, the
   * formatters add every received buffer's size): {prompt tokens x {@link #kvBytesPerToken} bytes,
   * start, start + bytes / {@link #setKvTransferBytesPerSecond}} (at most 30 s), and the request
   * waits that long. Null for a context worker or a request without a context worker's {@code
   * ctx_request_id}.
   */
  private double[] receiveKvCache(JsonNode req) {
    if (role != WorkerRole.GENERATION
        || !req.path("disaggregated_params").path("ctx_request_id").isIntegralNumber()) {
      return null;
    }
    long bytes = promptTokens(req).length * kvBytesPerToken;
    double start = steadySeconds();
    long nanos = (long) Math.min(MAX_TRANSFER_NANOS, bytes / kvTransferBytesPerSecond * 1e9);
    if (nanos > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // The simulated wire time, not the sleep's: a sleep overshoots by the scheduler's latency,
    // which would make fast transfers look slow on a busy machine.
    return new double[] {bytes, start, start + nanos / 1e9};
  }

  /**
   * {@code OpenAIServer._extract_metrics} for a request answered successfully, in the shape {@code
   * get_perf_metrics} returns: {@code request_id}, {@code perf_metrics} ({@code first_iter}, {@code
   * last_iter}, {@code timing_metrics}, {@code kv_cache_metrics}) and {@code ctx_request_id} when
   * the output has disaggregated parameters. Nothing when perf metrics are off.
   */
  private void recordPerfMetrics(JsonNode req, ObjectNode resp, double arrival, double[] kv) {
    if (perfMetricsMaxRequests <= 0) {
      return;
    }
    double end = steadySeconds();
    ObjectNode e = SimHttp.JSON.createObjectNode();
    e.put("request_id", localRequestIds.incrementAndGet());
    ObjectNode pm = e.putObject("perf_metrics");
    long iter = iterations.incrementAndGet();
    pm.put("first_iter", iter);
    pm.put("last_iter", iter);
    ObjectNode tm = pm.putObject("timing_metrics");
    tm.put("server_arrival_time", arrival);
    tm.put("arrival_time", arrival);
    tm.put("first_scheduled_time", kv == null ? arrival : kv[2]);
    tm.put("first_token_time", end);
    tm.put("server_first_token_time", end);
    tm.put("last_token_time", end);
    if (kv != null && kv[0] > 0) {
      tm.put("kv_cache_size", (long) kv[0]);
      tm.put("kv_cache_transfer_start", kv[1]);
      tm.put("kv_cache_transfer_end", kv[2]);
    }
    ObjectNode kvm = pm.putObject("kv_cache_metrics");
    int blocks = Math.max(1, (promptTokens(req).length + 31) / 32);
    kvm.put("num_total_allocated_blocks", blocks);
    kvm.put("num_new_allocated_blocks", blocks);
    kvm.put("num_reused_blocks", 0);
    kvm.put("num_missed_blocks", 0);
    JsonNode ctxId =
        role == WorkerRole.CONTEXT
            ? resp.path("choices").path(0).path("disaggregated_params").path("ctx_request_id")
            : req.path("disaggregated_params").path("ctx_request_id");
    if (ctxId.isIntegralNumber()) {
      e.put("ctx_request_id", ctxId.asLong());
    }
    synchronized (perfMetricsLock) {
      if (perfMetrics.size() == perfMetricsMaxRequests) {
        perfMetrics.removeFirst(); // deque(maxlen=...) drops the oldest
      }
      perfMetrics.addLast(e);
    }
  }

  /** {@code get_perf_metrics}: every entry kept, the buffer replaced by an empty one. */
  private ArrayNode takePerfMetrics() {
    ArrayNode out = SimHttp.JSON.createArrayNode();
    if (perfMetricsMaxRequests <= 0) {
      return out;
    }
    ArrayDeque<ObjectNode> taken;
    synchronized (perfMetricsLock) {
      taken = perfMetrics;
      perfMetrics = new ArrayDeque<>();
    }
    taken.forEach(out::add);
    return out;
  }

  private ObjectNode contextResponse(JsonNode req) {
    long[] prompt = promptTokens(req);
    JsonNode dp = req.path("disaggregated_params");
    long disaggId =
        dp.path("disagg_request_id").isIntegralNumber()
            ? dp.path("disagg_request_id").asLong()
            : localRequestIds.incrementAndGet();
    long firstToken = 1000 + Math.floorMod(disaggId * 31 + prompt.length, 30000);
    ObjectNode r = completionEnvelope("cmpl-ctx-" + disaggId);
    ObjectNode choice = ((ArrayNode) r.get("choices")).addObject();
    choice.put("index", 0);
    choice.put("text", "tok" + firstToken);
    choice.putNull("logprobs");
    choice.put("finish_reason", "length");
    choice.putNull("stop_reason");
    ObjectNode params = choice.putObject("disaggregated_params");
    params.put("request_type", "context_only");
    params.putArray("first_gen_tokens").add(firstToken);
    params.put("ctx_request_id", disaggId);
    params.put("disagg_request_id", disaggId);
    params.put(
        "encoded_opaque_state",
        java.util.Base64.getEncoder()
            .encodeToString(
                (OPAQUE_CTX + endpoint() + OPAQUE_FORMAT + cacheFormat)
                    .getBytes(StandardCharsets.UTF_8)));
    params.putNull("draft_tokens");
    ArrayNode ids = r.putArray("prompt_token_ids");
    for (long t : prompt) {
      ids.add(t);
    }
    usage(r, prompt.length, 1);
    return r;
  }

  private static final String OPAQUE_CTX = "ctx=";
  private static final String OPAQUE_FORMAT = ";format=";

  /**
   * The context worker whose KV cache this generation request carries, when its cache format is not
   * this worker's; null when it is, or when the request carries no context worker's state (a plain
   * request, or one from an older simulated context worker).
   */
  private String foreignCache(JsonNode req) {
    JsonNode opaque = req.path("disaggregated_params").path("encoded_opaque_state");
    if (!opaque.isTextual()) {
      return null;
    }
    String state;
    try {
      state =
          new String(java.util.Base64.getDecoder().decode(opaque.asText()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int f = state.indexOf(OPAQUE_FORMAT);
    if (!state.startsWith(OPAQUE_CTX) || f < 0) {
      return null;
    }
    String format = state.substring(f + OPAQUE_FORMAT.length());
    return format.equals(cacheFormat) ? null : state.substring(OPAQUE_CTX.length(), f);
  }

  private ObjectNode generationResponse(JsonNode req) {
    long[] prompt = promptTokens(req);
    int maxTokens = Math.max(1, Math.min(MAX_TOKENS_CAP, req.path("max_tokens").asInt(16)));
    ObjectNode r = completionEnvelope("cmpl-" + localRequestIds.incrementAndGet());
    ObjectNode choice = ((ArrayNode) r.get("choices")).addObject();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < maxTokens; i++) {
      text.append(" sim");
    }
    choice.put("index", 0);
    choice.put("text", text.toString());
    choice.putNull("logprobs");
    choice.put("finish_reason", "length");
    choice.putNull("stop_reason");
    usage(r, prompt.length, maxTokens);
    return r;
  }

  private ObjectNode completionEnvelope(String id) {
    ObjectNode r = SimHttp.JSON.createObjectNode();
    r.put("id", id);
    r.put("object", "text_completion");
    r.put("created", System.currentTimeMillis() / 1000);
    r.put("model", model);
    r.putArray("choices");
    return r;
  }

  private static void usage(ObjectNode r, int prompt, int completion) {
    ObjectNode u = r.putObject("usage");
    u.put("prompt_tokens", prompt);
    u.put("completion_tokens", completion);
    u.put("total_tokens", prompt + completion);
  }

  /** Token ids of the prompt: given ids as they are, a string as one fake id per word. */
  private static long[] promptTokens(JsonNode req) {
    JsonNode p = req.path("prompt");
    if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
      p = p.get(0);
    }
    if (p.isArray()) {
      long[] ids = new long[p.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = p.get(i).asLong();
      }
      return ids;
    }
    String s = p.asText("").strip();
    if (s.isEmpty()) {
      return new long[0];
    }
    String[] words = s.split("\\s+");
    long[] ids = new long[words.length];
    for (int i = 0; i < words.length; i++) {
      ids[i] = Math.floorMod(words[i].hashCode(), 32000);
    }
    return ids;
  }

  private String metricsText() {
    StringBuilder labels = new StringBuilder();
    metricLabels.forEach(
        (k, v) ->
            labels
                .append(labels.length() == 0 ? "" : ",")
                .append(k)
                .append("=\"")
                .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                .append('"'));
    String l = "{" + labels + "}";
    String lf = "{" + labels + (labels.length() == 0 ? "" : ",") + "finished_reason=\"length\"}";
    return "# HELP trtllm_num_requests_running Number of active requests\n"
        + "# TYPE trtllm_num_requests_running gauge\n"
        + "trtllm_num_requests_running"
        + l
        + " "
        + (double) runningRequestsMetric()
        + "\n"
        + "# HELP trtllm_num_requests_waiting Number of queued requests\n"
        + "# TYPE trtllm_num_requests_waiting gauge\n"
        + "trtllm_num_requests_waiting"
        + l
        + " "
        + (double) waiting
        + "\n"
        + "# HELP trtllm_kv_cache_utilization KV cache utilization\n"
        + "# TYPE trtllm_kv_cache_utilization gauge\n"
        + "trtllm_kv_cache_utilization"
        + l
        + " "
        + kvCacheUtilization
        + "\n"
        + "# HELP trtllm_request_success_total Count of successfully processed requests.\n"
        + "# TYPE trtllm_request_success_total counter\n"
        + "trtllm_request_success_total"
        + lf
        + " "
        + (double) served.get()
        + "\n";
  }

  // ------------------------------------------------------------------------------------------

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    try {
      return SimHttp.JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "SimulatedWorker[" + role + " " + endpoint() + " " + state.get() + "]";
  }
}
