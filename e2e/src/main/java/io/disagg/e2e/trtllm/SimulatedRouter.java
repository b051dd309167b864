package io.disagg.e2e.trtllm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A simulated disaggregated router ({@code trtllm-serve disaggregated} with {@code disagg_cluster}
 * etcd discovery: {@code openai_disagg_server.py}, {@code openai_disagg_service.py}, {@code
 * disagg_coordinator.py}, {@code router.py}), listening on 127.0.0.1 on a free port.
 *
 * <p>Per {@link SimulatedRelease} (see there for the upstream files and versions read):
 *
 * <ul>
 *   <li><b>Discovery</b> ({@code DisaggClusterManager.watch_workers}/{@code get_worker_events} in
 *       {@code tensorrt_llm/serve/disagg_auto_scaling.py}): lists the prefix {@code
 *       /trtllm-disagg/<cluster_name>/workers}, then watches it from the next revision (no gap,
 *       unlike upstream's list-then-watch). Every registration, listed or watched, is in {@code
 *       /cluster_info}'s {@code current_workers}. The routing lists ({@code Router.add_server} /
 *       {@code remove_server} in {@code serve/router.py}) hold {@code host:port} endpoints, added
 *       once per endpoint and removed by endpoint when any key of that endpoint is deleted ({@link
 *       Builder#removeServerByEndpoint}, default true, as upstream): a worker restarted on the same
 *       address before its old lease expired drops out of routing when the old key expires. In 1.2
 *       only registrations watched after the start reach the routing lists ({@link
 *       SimulatedRelease#routerAddsExistingRegistrations()}): a router started after the workers
 *       registered routes to none of them. Unparsable values are ignored. Changes are applied one
 *       at a time, in order, as upstream's event loop awaits each {@code add_server}.
 *   <li><b>Membership</b> (1.3, {@code Router._prepare_server}): a server added to a routing list
 *       is "prepared" once {@code GET /server_info} on it answered JSON (any status); a failed
 *       fetch is not retried until the server is removed and added again. Requests are routed to
 *       every server in the list, prepared or not; readiness counts only prepared ones ({@code
 *       num_prepared_servers}). 1.2 counts the routing list ({@code len(router.servers)}).
 *   <li><b>{@code POST /v1/completions}</b>: picks a context server round-robin, posts the request
 *       with {@code disaggregated_params.request_type = "context_only"}, checks the answer's {@code
 *       choices[0].disaggregated_params}, then picks a generation server round-robin and posts the
 *       request with the context's parameters ({@code request_type = "generation_only"}) and {@code
 *       prompt = prompt_token_ids}; answers the generation server's body. A failed call is retried
 *       on the same server {@link Builder#maxRetries} times, {@link Builder#retryInterval} apart
 *       (upstream {@code max_retries}, default 1; here 0 so failures stay visible). Any failure
 *       answers HTTP 500 {@code {"detail": "Internal server error ..."}}, as upstream. No
 *       streaming. Before the router is ready: 400 {@code {"detail": "Cluster is not ready"}} in
 *       1.2, 500 {@code {"detail": "Internal server error Cluster is not ready"}} in 1.3 ({@link
 *       SimulatedRelease#routerNotReadyRequestStatus()}).
 *   <li><b>{@code GET /health}</b> ({@code OpenAIDisaggServer.health}): 200 when at least {@code
 *       minimal_instances} servers of each role count (see Membership), else 500 in 1.2 and 503 in
 *       1.3.
 *   <li><b>{@code GET /cluster_info}</b> ({@code OpenAIDisaggServer.cluster_info}, {@code
 *       DisaggClusterManager.cluster_info}): {@code {"current_workers": {"context_servers":
 *       [{"worker_id", "host", "port", "role"}...], "generation_servers": [...]},
 *       "minimal_instances": {...}, "is_ready": ...}} (1.3 puts {@code is_ready} first).
 *   <li><b>{@code GET /prometheus/metrics/}</b>: the router's per-role client counters as upstream
 *       ({@code tensorrt_llm/serve/perf_metrics.py} {@code ClientMetricsCollector}, counted in
 *       {@code openai_client.py}): {@code ctx_total_requests_total} / {@code
 *       gen_total_requests_total} when a request is sent to a server of the role (once per request,
 *       retries not counted again), {@code ..._completed_requests_total} when that call ends,
 *       successful or not, {@code ..._error_requests_total} when it failed. Total minus completed
 *       is thus the role's requests in flight ({@link #inFlight}). Like upstream's plain Starlette
 *       mount, {@code /prometheus/metrics} without the slash answers 307 to it.
 * </ul>
 *
 * <p>Kinder than upstream in one respect: jetcd resumes the watch after etcd restarts, while
 * python-etcd3's {@code Watcher._run} drops every callback when the gRPC stream fails, so upstream
 * routers stop seeing registration changes after an etcd outage.
 *
 * <p>It only dials registered hosts that are IPv4 literals in 127.0.0.0/8; any other host makes the
 * request fail (and, in 1.3, the {@code /server_info} fetch too). It listens on 127.0.0.1 on a free
 * port, or where {@link Builder#listen} says (loopback only). Start one with {@link #builder}.
 */
public final class SimulatedRouter implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(SimulatedRouter.class.getName());
  private static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
  private static final int MAX_EVENTS = 1000;

  private final DisaggClusterSettings settings;
  private final Client etcd;
  private final boolean ownsEtcd;
  private final int maxRetries;
  private final Duration retryInterval;
  private final Duration requestTimeout;
  private final SimulatedRelease release;
  private final boolean removeByEndpoint;
  private final HttpServer server;
  private final ThreadPoolExecutor handlers;
  private final ExecutorService clientExecutor;
  private final HttpClient http;
  private final ScheduledExecutorService resyncer;
  private final ExecutorService membership;

  private final Object lock = new Object();
  private final Map<String, WorkerInfo> workersByKey = new LinkedHashMap<>();
  private final Map<WorkerRole, List<String>> servers = new EnumMap<>(WorkerRole.class);
  private final Map<WorkerRole, java.util.Set<String>> prepared = new EnumMap<>(WorkerRole.class);
  private final Map<WorkerRole, Long> roundRobin = new EnumMap<>(WorkerRole.class);
  private final Deque<String> events = new ArrayDeque<>();
  private final Map<WorkerRole, Map<String, AtomicLong>> routed = new EnumMap<>(WorkerRole.class);
  private final Map<WorkerRole, AtomicLong> roleTotal = new EnumMap<>(WorkerRole.class);
  private final Map<WorkerRole, AtomicLong> roleCompleted = new EnumMap<>(WorkerRole.class);
  private final Map<WorkerRole, AtomicLong> roleErrors = new EnumMap<>(WorkerRole.class);
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  /** Disagg request ids start at a random value, so ids of several routers rarely collide. */
  private final AtomicLong disaggRequestIds =
      new AtomicLong(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 40) << 8);

  private Watch.Watcher watcher;
  private long watchGeneration;
  private volatile boolean closed;

  /** Requests being answered, which a graceful {@link #shutdown} lets finish. */
  private final AtomicInteger exchanges = new AtomicInteger();

  private final Object exchangesDone = new Object();

  private SimulatedRouter(Builder b) throws IOException {
    this.settings = b.settings;
    this.maxRetries = b.maxRetries;
    this.retryInterval = b.retryInterval;
    this.requestTimeout = b.requestTimeout;
    this.release = b.release;
    this.removeByEndpoint = b.removeServerByEndpoint;
    for (WorkerRole r : WorkerRole.values()) {
      servers.put(r, new ArrayList<>());
      prepared.put(r, new java.util.LinkedHashSet<>());
      roundRobin.put(r, 0L);
      routed.put(r, new ConcurrentHashMap<>());
      roleTotal.put(r, new AtomicLong());
      roleCompleted.put(r, new AtomicLong());
      roleErrors.put(r, new AtomicLong());
    }
    this.etcd = b.etcdClient != null ? b.etcdClient : Loopback.etcdClient(b.etcdEndpoint);
    this.ownsEtcd = b.etcdClient == null;
    this.handlers = SimHttp.executor("sim-router", b.maxHandlerThreads);
    this.clientExecutor =
        Executors.newFixedThreadPool(4, SimHttp.daemonThreads("sim-router-client"));
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .executor(clientExecutor)
            .build();
    this.resyncer =
        Executors.newSingleThreadScheduledExecutor(SimHttp.daemonThreads("sim-router-watch"));
    this.membership =
        Executors.newSingleThreadExecutor(SimHttp.daemonThreads("sim-router-members"));
    this.server =
        HttpServer.create(new InetSocketAddress(Loopback.address(b.listenHost), b.listenPort), 256);
    server.setExecutor(handlers);
    server.createContext("/", this::route);
  }

  /**
   * A builder of a router for the given {@code disagg_cluster} settings (cluster name, minimal
   * instances).
   */
  public static Builder builder(DisaggClusterSettings settings) {
    return new Builder(settings);
  }

  /** Settings of a {@link SimulatedRouter}. */
  public static final class Builder {
    private final DisaggClusterSettings settings;
    private String etcdEndpoint;
    private Client etcdClient;
    private int maxRetries = 0;
    private Duration retryInterval = Duration.ofSeconds(1);
    private Duration requestTimeout = Duration.ofSeconds(180);
    private SimulatedRelease release = SimulatedRelease.DEFAULT;
    private int maxHandlerThreads = 64;
    private boolean removeServerByEndpoint = true;
    private String listenHost = "127.0.0.1";
    private int listenPort = 0;

    private Builder(DisaggClusterSettings settings) {
      this.settings = settings;
    }

    /**
     * Where to listen (default 127.0.0.1, a free port), e.g. a router pod's loopback IP and the
     * router port, so the operator finds it where the pod says. Loopback addresses only.
     */
    public Builder listen(String host, int port) {
      this.listenHost = host;
      this.listenPort = port;
      return this;
    }

    /**
     * etcd endpoint ({@code 127.0.0.1:port}, {@code http://...} or {@code etcd://...}); the router
     * owns its client.
     */
    public Builder etcd(String endpoint) {
      this.etcdEndpoint = endpoint;
      return this;
    }

    /** A shared etcd client, not closed by the router. */
    public Builder etcd(Client client) {
      this.etcdClient = client;
      return this;
    }

    /** Retries of a failed worker call, on the same worker (default 0; upstream default 1). */
    public Builder maxRetries(int n) {
      this.maxRetries = n;
      return this;
    }

    /** Pause before each retry (default 1 s, upstream {@code retry_interval_sec}). */
    public Builder retryInterval(Duration d) {
      this.retryInterval = d;
      return this;
    }

    /** Timeout of each worker call (default 180 s, upstream {@code --request_timeout}). */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = d;
      return this;
    }

    /** The TensorRT-LLM release to imitate (default {@link SimulatedRelease#DEFAULT}). */
    public Builder release(SimulatedRelease r) {
      this.release = java.util.Objects.requireNonNull(r, "release");
      return this;
    }

    /** Maximum number of HTTP handler threads (default 64). */
    public Builder maxHandlerThreads(int n) {
      this.maxHandlerThreads = n;
      return this;
    }

    /**
     * Whether deleting any key removes its {@code host:port} from routing even when another live
     * key has the same endpoint (default true, upstream behaviour); false keeps the endpoint while
     * any key of it remains.
     */
    public Builder removeServerByEndpoint(boolean b) {
      this.removeServerByEndpoint = b;
      return this;
    }

    /**
     * Lists the registered workers, starts watching, hands the listed workers to the routing lists
     * (1.3; their {@code /server_info} fetched) and starts serving; returns once all are done.
     */
    public SimulatedRouter start() {
      if (settings == null || (etcdEndpoint == null && etcdClient == null)) {
        throw new IllegalArgumentException("settings and an etcd endpoint or client are required");
      }
      if (maxRetries < 0 || maxHandlerThreads < 1) {
        throw new IllegalArgumentException("bad router settings");
      }
      SimulatedRouter r;
      try {
        r = new SimulatedRouter(this);
      } catch (IOException e) {
        throw new IllegalStateException("cannot start simulated router: " + e, e);
      }
      try {
        r.resync();
        // the lifespan awaits watch_workers before the server accepts requests
        r.membership.submit(() -> {}).get();
      } catch (Exception e) {
        r.close();
        throw new IllegalStateException("cannot list workers in etcd: " + e, e);
      }
      r.server.start();
      return r;
    }
  }

  // ------------------------------------------------------------------------------------------
  // public view

  /** {@code http://<listen host>:<port>}. */
  public URI baseUri() {
    return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public DisaggClusterSettings settings() {
    return settings;
  }

  /** The TensorRT-LLM release this router imitates. */
  public SimulatedRelease release() {
    return release;
  }

  /** The routing list of a role ({@code host:port}, in the order added). */
  public List<String> servers(WorkerRole role) {
    synchronized (lock) {
      return List.copyOf(servers.get(role));
    }
  }

  /**
   * Servers of a role whose {@code /server_info} was fetched (1.3; readiness counts these), in the
   * order prepared; empty in 1.2.
   */
  public List<String> preparedServers(WorkerRole role) {
    synchronized (lock) {
      return List.copyOf(prepared.get(role));
    }
  }

  /** Registrations of a role currently known from etcd. */
  public List<WorkerInfo> registeredWorkers(WorkerRole role) {
    synchronized (lock) {
      return workersByKey.values().stream().filter(w -> w.role() == role).toList();
    }
  }

  /**
   * Whether {@code /health} answers 200: {@code is_ready_with_router(ctx, gen)} with the routing
   * list sizes (1.2) or the prepared server counts (1.3) against {@code minimal_instances}.
   */
  public boolean isReady() {
    synchronized (lock) {
      Map<WorkerRole, ? extends java.util.Collection<String>> counted =
          release.routerCountsPreparedServers() ? prepared : servers;
      return counted.get(WorkerRole.CONTEXT).size() >= settings.minimalContextServers()
          && counted.get(WorkerRole.GENERATION).size() >= settings.minimalGenerationServers();
    }
  }

  /** Completion requests received. */
  public long requests() {
    return requests.get();
  }

  /**
   * Requests of a role in flight: sent to a server of the role and not finished, as the router's
   * {@code <ctx|gen>_total_requests_total - <ctx|gen>_completed_requests_total} show it.
   */
  public long inFlight(WorkerRole role) {
    return roleTotal.get(role).get() - roleCompleted.get(role).get();
  }

  /** Completion requests answered 200. */
  public long requestsSucceeded() {
    return succeeded.get();
  }

  /** Completion requests answered with an error. */
  public long requestsFailed() {
    return failed.get();
  }

  /** How many calls (attempts included) went to each server of a role, by {@code host:port}. */
  public Map<String, Long> routedCounts(WorkerRole role) {
    Map<String, Long> m = new HashMap<>();
    routed.get(role).forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  /**
   * Membership changes seen (newest last, at most 1000): {@code "<time> SET|DELETE <key>
   * <endpoint>"}.
   */
  public List<String> events() {
    synchronized (lock) {
      return List.copyOf(events);
    }
  }

  /**
   * SIGTERM: uvicorn's graceful shutdown of {@code trtllm-serve disaggregated} (the server stops
   * listening, requests in a handler finish, then the process exits; {@code
   * uvicorn.Server.shutdown} waits for the connections' tasks without a limit of its own, the
   * kubelet's grace period is the bound). Returns once stopped: at most {@code grace} later, then
   * whatever still runs is cut.
   */
  public void shutdown(Duration grace) {
    closed = true;
    // HttpServer.stop closes the listener at once, then waits for exchanges in progress up to its
    // delay; but on Java 17 it waits the whole delay when none is in progress (JDK-8304065, fixed
    // in 21). So it runs on a thread of its own, the wait for exchanges is done here, and close()
    // (stop(0)) ends both.
    Thread stopper =
        new Thread(
            () -> server.stop((int) Math.max(1, Math.min(Integer.MAX_VALUE, grace.toSeconds()))),
            "sim-router-stop-" + port());
    stopper.setDaemon(true);
    stopper.start();
    long deadline = System.nanoTime() + grace.toNanos();
    synchronized (exchangesDone) {
      while (exchanges.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          exchangesDone.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    close();
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
    handlers.shutdownNow();
    resyncer.shutdownNow();
    membership.shutdownNow();
    synchronized (lock) {
      if (watcher != null) {
        watcher.close();
        watcher = null;
      }
    }
    clientExecutor.shutdownNow();
    if (ownsEtcd) {
      etcd.close();
    }
  }

  // ------------------------------------------------------------------------------------------
  // discovery

  /** Lists the prefix, reconciles the membership with it, then watches from the next revision. */
  private void resync() throws Exception {
    ByteSequence prefix = SimulatedWorker.bytes(settings.workerKeyPrefix());
    GetResponse resp =
        etcd.getKVClient()
            .get(prefix, GetOption.builder().isPrefix(true).build())
            .get(SimulatedWorker.ETCD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    long generation;
    synchronized (lock) {
      if (closed) {
        return;
      }
      // a new generation first: whatever the old watcher still reports is ignored from now on
      generation = ++watchGeneration;
      if (watcher != null) {
        watcher.close();
        watcher = null;
      }
      Map<String, String> now = new LinkedHashMap<>();
      for (KeyValue kv : resp.getKvs()) {
        now.put(
            kv.getKey().toString(StandardCharsets.UTF_8),
            kv.getValue().toString(StandardCharsets.UTF_8));
      }
      for (String k : List.copyOf(workersByKey.keySet())) {
        if (!now.containsKey(k)) {
          applyDelete(k);
        }
      }
      now.forEach(
          (k, v) -> {
            if (!workersByKey.containsKey(k)) {
              applyPut(k, v, true);
            }
          });
    }
    long from = resp.getHeader().getRevision() + 1;
    Watch.Watcher w =
        etcd.getWatchClient()
            .watch(
                prefix,
                WatchOption.builder().isPrefix(true).withRevision(from).build(),
                Watch.listener(
                    r -> onWatch(generation, r),
                    e -> onWatchEnd(generation, e),
                    () -> onWatchEnd(generation, null)));
    synchronized (lock) {
      if (closed || generation != watchGeneration) {
        w.close();
      } else {
        watcher = w;
      }
    }
  }

  private void onWatch(long generation, WatchResponse r) {
    synchronized (lock) {
      if (closed || generation != watchGeneration) {
        return;
      }
      for (WatchEvent e : r.getEvents()) {
        String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
        if (e.getEventType() == WatchEvent.EventType.PUT) {
          applyPut(key, e.getKeyValue().getValue().toString(StandardCharsets.UTF_8), false);
        } else if (e.getEventType() == WatchEvent.EventType.DELETE) {
          applyDelete(key);
        }
      }
    }
  }

  private void onWatchEnd(long generation, Throwable error) {
    if (closed || generation != watchGeneration) {
      return;
    }
    LOG.info("router watch of " + settings.workerKeyPrefix() + " ended (" + error + "), resyncing");
    scheduleResync();
  }

  private void scheduleResync() {
    if (closed) {
      return;
    }
    try {
      resyncer.schedule(
          () -> {
            try {
              resync();
            } catch (Exception e) {
              LOG.log(Level.INFO, "router resync failed, retrying in 1 s: " + e);
              scheduleResync();
            }
          },
          500,
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed
    }
  }

  /**
   * A registration seen in a listing or a watch event ({@code
   * DisaggClusterManager._parse_worker_info}), called with the lock held: recorded for {@code
   * /cluster_info}, then handed to the routing list unless it was listed and this is 1.2.
   */
  private void applyPut(String key, String value, boolean listed) {
    WorkerInfo info;
    try {
      JsonNode n = SimHttp.JSON.readTree(value);
      info =
          new WorkerInfo(
              key,
              n.get("worker_id").asText(),
              n.get("host").asText(),
              n.get("port").asInt(),
              WorkerRole.fromNumber(n.get("role").asInt()));
    } catch (Exception e) {
      event("IGNORED " + key + " unparsable value " + SimHttp.abbreviate(value, 200));
      return;
    }
    workersByKey.put(key, info);
    if (listed && !release.routerAddsExistingRegistrations()) {
      // 1.2: the lifespan drops the list watch_workers() returns
      event("LISTED " + key + " " + info.endpoint() + " (not routed: 1.2 drops listed workers)");
      return;
    }
    event("SET " + key + " " + info.endpoint());
    submitMembership(() -> addServer(info.role(), info.endpoint()));
  }

  /**
   * A deleted key, called with the lock held: its endpoint leaves the routing list at once, with no
   * check of who deleted it or why, as upstream: {@code
   * OpenAIDisaggServer._update_router_by_watch_events} ({@code
   * tensorrt_llm/serve/openai_disagg_server.py}) calls {@code remove_server} for every DELETE that
   * {@code DisaggClusterManager._parse_worker_info} ({@code disagg_auto_scaling.py}) resolves, the
   * newer {@code _on_worker_event} ({@code disagg_coordinator.py}) likewise; a key it never parsed
   * is unknown there and skipped (logged). So deleting a foreign registration stops routing to it
   * immediately, and the operator never deletes a key whose host is one of its pods' (removal is by
   * endpoint).
   */
  private void applyDelete(String key) {
    WorkerInfo info = workersByKey.remove(key);
    if (info == null) {
      event("DELETE " + key + " (unknown)");
      return;
    }
    boolean stillRegistered =
        workersByKey.values().stream()
            .anyMatch(w -> w.role() == info.role() && w.endpoint().equals(info.endpoint()));
    if (removeByEndpoint || !stillRegistered) {
      submitMembership(() -> removeServer(info.role(), info.endpoint()));
    }
    event("DELETE " + key + " " + info.endpoint());
  }

  private void submitMembership(Runnable r) {
    try {
      membership.execute(r);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed
    }
  }

  /**
   * {@code Router.add_server}: an endpoint already in the list is left as it is (upstream logs
   * "already exists" and does not prepare it again); a new one is appended and, in 1.3, prepared.
   */
  private void addServer(WorkerRole role, String endpoint) {
    synchronized (lock) {
      List<String> list = servers.get(role);
      if (list.contains(endpoint)) {
        return;
      }
      list.add(endpoint);
    }
    if (release.routerCountsPreparedServers() && fetchServerInfo(endpoint)) {
      synchronized (lock) {
        if (servers.get(role).contains(endpoint)) {
          prepared.get(role).add(endpoint);
          event("PREPARED " + endpoint);
        }
      }
    }
  }

  /** {@code Router.remove_server}: out of the list and of the prepared servers. */
  private void removeServer(WorkerRole role, String endpoint) {
    synchronized (lock) {
      servers.get(role).remove(endpoint);
      prepared.get(role).remove(endpoint);
    }
  }

  /**
   * {@code Router._fetch_server_info}: {@code GET http://<endpoint>/server_info}, {@code await
   * response.json()} without a status check, so any answer with a JSON body counts (aiohttp's
   * {@code json()} refuses other content types); connection errors and non-JSON answers do not. No
   * timeout of its own ({@code health_check_timeout} is unset without a metadata server): aiohttp's
   * default of 300 s applies.
   */
  private boolean fetchServerInfo(String endpoint) {
    String host = endpoint.substring(0, endpoint.lastIndexOf(':'));
    if (!Loopback.isLoopback(host)) {
      event("NOT PREPARED " + endpoint + ": not a loopback address");
      return false;
    }
    try {
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://" + endpoint + "/server_info"))
                  .timeout(Duration.ofSeconds(300))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      String type = r.headers().firstValue("Content-Type").orElse("");
      if (!type.toLowerCase(java.util.Locale.ROOT).startsWith(SimHttp.JSON_TYPE)) {
        event("NOT PREPARED " + endpoint + ": /server_info answered " + type);
        return false;
      }
      SimHttp.JSON.readTree(r.body());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (IOException | RuntimeException e) {
      event("NOT PREPARED " + endpoint + ": " + SimHttp.describe(e));
      return false;
    }
  }

  private void event(String e) {
    events.addLast(Instant.now() + " " + e);
    while (events.size() > MAX_EVENTS) {
      events.removeFirst();
    }
  }

  private String nextServer(WorkerRole role) throws RouterException {
    synchronized (lock) {
      List<String> list = servers.get(role);
      if (list.isEmpty()) {
        throw new RouterException("No " + role + " servers available");
      }
      long i = roundRobin.get(role);
      roundRobin.put(role, i + 1);
      return list.get((int) Math.floorMod(i, (long) list.size()));
    }
  }

  // ------------------------------------------------------------------------------------------
  // HTTP

  private void route(HttpExchange ex) throws IOException {
    exchanges.incrementAndGet();
    try {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      switch (path) {
        case "/health" ->
            SimHttp.send(ex, isReady() ? 200 : release.routerNotReadyStatus(), null, null, null);
        case "/cluster_info" -> SimHttp.sendJson(ex, 200, clusterInfo());
        case "/prometheus/metrics" ->
            SimHttp.send(ex, 307, null, null, Map.of("Location", "/prometheus/metrics/"));
        case "/prometheus/metrics/" ->
            SimHttp.send(
                ex,
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                prometheusText().getBytes(StandardCharsets.UTF_8),
                null);
        case "/v1/completions" -> {
          if (!"POST".equals(method)) {
            SimHttp.sendJson(ex, 405, Map.of("detail", "Method Not Allowed"));
          } else {
            completion(ex);
          }
        }
        default -> SimHttp.sendJson(ex, 404, Map.of("detail", "Not Found"));
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, "router request failed", e);
      ex.close();
    } finally {
      if (exchanges.decrementAndGet() == 0) {
        synchronized (exchangesDone) {
          exchangesDone.notifyAll();
        }
      }
    }
  }

  /**
   * The counters as prometheus_client renders them (multiprocess mode: no {@code _created}
   * samples).
   */
  private String prometheusText() {
    StringBuilder b = new StringBuilder();
    for (WorkerRole role : WorkerRole.values()) {
      String p = role == WorkerRole.CONTEXT ? "ctx" : "gen";
      counter(b, p + "_total_requests", "Total number of requests", roleTotal.get(role).get());
      counter(
          b, p + "_error_requests", "Total number of error requests", roleErrors.get(role).get());
      counter(b, p + "_retry_requests", "Total number of retry requests", 0);
      counter(
          b,
          p + "_completed_requests",
          "Total number of completed requests",
          roleCompleted.get(role).get());
    }
    counter(b, "total_requests", "Total number of requests", requests.get());
    return b.toString();
  }

  private static void counter(StringBuilder b, String name, String help, long value) {
    b.append("# HELP ").append(name).append("_total ").append(help).append('\n');
    b.append("# TYPE ").append(name).append("_total counter\n");
    b.append(name).append("_total ").append((double) value).append('\n');
  }

  private ObjectNode clusterInfo() {
    ObjectNode info = SimHttp.JSON.createObjectNode();
    synchronized (lock) {
      boolean ready = isReady();
      if (release == SimulatedRelease.V1_3) {
        // DisaggCoordinatorService.cluster_info: {"is_ready": ...} then the manager's info
        info.put("is_ready", ready);
      }
      ObjectNode current = info.putObject("current_workers");
      ObjectNode minimal = info.putObject("minimal_instances");
      if (release == SimulatedRelease.V1_2) {
        // OpenAIDisaggServer.cluster_info: the manager's info, then cluster_info["is_ready"]
        info.put("is_ready", ready);
      }
      for (WorkerRole role : WorkerRole.values()) {
        ArrayNode c = current.putArray(role.section());
        for (WorkerInfo w : workersByKey.values()) {
          if (w.role() == role) {
            ObjectNode o = c.addObject();
            o.put("worker_id", w.workerId());
            o.put("host", w.host());
            o.put("port", w.port());
            o.put("role", w.role().number());
          }
        }
        minimal.put(role.section(), settings.minimalInstances(role));
      }
    }
    return info;
  }

  private void completion(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    JsonNode req;
    try {
      req = SimHttp.JSON.readTree(SimHttp.readBody(ex, MAX_BODY_BYTES));
    } catch (IOException e) {
      req = null;
    }
    if (req == null || !req.isObject()) {
      failed.incrementAndGet();
      SimHttp.sendJson(ex, 400, Map.of("error", "request body must be a JSON object"));
      return;
    }
    if (!isReady()) {
      // 1.2: HTTPException(400, "Cluster is not ready"); 1.3: RuntimeError("Cluster is not ready")
      // turned into HTTPException(500, "Internal server error ...") by _handle_exception
      failed.incrementAndGet();
      SimHttp.sendJson(
          ex,
          release.routerNotReadyRequestStatus(),
          Map.of("detail", release.routerNotReadyRequestDetail()));
      return;
    }
    try {
      long disaggId = disaggRequestIds.incrementAndGet();
      ObjectNode ctxReq = ((ObjectNode) req).deepCopy();
      ObjectNode ctxParams = ctxReq.putObject("disaggregated_params");
      ctxParams.put("request_type", "context_only");
      ctxParams.put("disagg_request_id", disaggId);
      ctxReq.put("stream", false);
      ctxReq.remove("stream_options");
      String ctxServer = nextServer(WorkerRole.CONTEXT);
      Call ctx = post(WorkerRole.CONTEXT, ctxServer, ctxReq);
      JsonNode choices = ctx.json.path("choices");
      if (choices.size() != 1) {
        throw new RouterException(
            "Context server returned " + choices.size() + " choices, expecting 1.");
      }
      JsonNode params = choices.get(0).get("disaggregated_params");
      if (params == null
          || !params.isObject()
          || params.path("ctx_request_id").isNull()
          || params.path("ctx_request_id").isMissingNode()) {
        throw new RouterException("Context server did not return valid disaggregated params");
      }
      String finish = choices.get(0).path("finish_reason").asText("");
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("x-disagg-ctx-server", ctxServer);
      if (!finish.equals("length") && !finish.equals("not_finished")) {
        // the context phase finished the request: no generation needed
        ((ObjectNode) choices.get(0)).remove("disaggregated_params");
        succeeded.incrementAndGet();
        SimHttp.send(ex, 200, SimHttp.JSON_TYPE, SimHttp.JSON.writeValueAsBytes(ctx.json), headers);
        return;
      }
      ObjectNode genReq = ((ObjectNode) req).deepCopy();
      ObjectNode genParams = ((ObjectNode) params).deepCopy();
      genParams.put("request_type", "generation_only");
      genParams.put("disagg_request_id", disaggId);
      genParams.set("ctx_usage", ctx.json.path("usage").deepCopy());
      genReq.set("disaggregated_params", genParams);
      if (ctx.json.has("prompt_token_ids")) {
        genReq.set("prompt", ctx.json.get("prompt_token_ids").deepCopy());
      }
      String genServer = nextServer(WorkerRole.GENERATION);
      Call gen = post(WorkerRole.GENERATION, genServer, genReq);
      headers.put("x-disagg-gen-server", genServer);
      succeeded.incrementAndGet();
      SimHttp.send(ex, 200, SimHttp.JSON_TYPE, gen.body, headers);
    } catch (RouterException e) {
      failed.incrementAndGet();
      SimHttp.sendJson(ex, 500, Map.of("detail", "Internal server error " + e.getMessage()));
    } catch (InterruptedException e) {
      failed.incrementAndGet();
      Thread.currentThread().interrupt();
      ex.close();
    }
  }

  private record Call(JsonNode json, byte[] body) {}

  private Call post(WorkerRole role, String endpoint, ObjectNode body)
      throws RouterException, InterruptedException {
    String host = endpoint.substring(0, endpoint.lastIndexOf(':'));
    if (!Loopback.isLoopback(host)) {
      throw new RouterException(
          "refusing to call " + role + " server " + endpoint + ": not a loopback address");
    }
    byte[] payload;
    try {
      payload = SimHttp.JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new RouterException(e.toString());
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + endpoint + "/v1/completions"))
            .timeout(requestTimeout)
            .header("Content-Type", SimHttp.JSON_TYPE)
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
            .build();
    String last = null;
    roleTotal.get(role).incrementAndGet();
    try {
      for (int attempt = 0; attempt <= maxRetries; attempt++) {
        if (attempt > 0) {
          Thread.sleep(retryInterval.toMillis());
        }
        routed.get(role).computeIfAbsent(endpoint, k -> new AtomicLong()).incrementAndGet();
        try {
          HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() == 200) {
            try {
              return new Call(SimHttp.JSON.readTree(r.body()), r.body());
            } catch (IOException e) {
              last = role + " server " + endpoint + " answered invalid JSON";
            }
          } else {
            last =
                role
                    + " server "
                    + endpoint
                    + " answered HTTP "
                    + r.statusCode()
                    + ": "
                    + SimHttp.abbreviate(new String(r.body(), StandardCharsets.UTF_8), 200);
          }
        } catch (IOException e) {
          last = "cannot call " + role + " server " + endpoint + ": " + SimHttp.describe(e);
        }
      }
      roleErrors.get(role).incrementAndGet();
      throw new RouterException(last);
    } catch (InterruptedException | RuntimeException e) {
      roleErrors.get(role).incrementAndGet();
      throw e;
    } finally {
      roleCompleted.get(role).incrementAndGet();
    }
  }

  private static final class RouterException extends Exception {
    RouterException(String message) {
      super(message);
    }
  }

  @Override
  public String toString() {
    return "SimulatedRouter[" + baseUri() + " cluster " + settings.clusterName() + "]";
  }
}
