package io.disagg.e2e.trtllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link SimulatedWorker} against a real etcd: registration format, heartbeats, kill, drain, HTTP.
 */
class SimulatedWorkerTest {

  private static EtcdServer etcdServer;
  private static Client etcd;
  private static HttpClient http;
  private final List<SimulatedWorker> workers = new ArrayList<>();

  @BeforeAll
  static void startEtcd() {
    etcdServer = EtcdServer.start();
    etcd = etcdServer.newClient();
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
    etcdServer.close();
  }

  @AfterEach
  void closeWorkers() {
    workers.forEach(SimulatedWorker::close);
  }

  private SimulatedWorker start(
      WorkerRole role, DisaggClusterSettings s, int port, long serviceMillis) {
    return start(SimulatedRelease.DEFAULT, role, s, port, serviceMillis);
  }

  private SimulatedWorker start(
      SimulatedRelease release,
      WorkerRole role,
      DisaggClusterSettings s,
      int port,
      long serviceMillis) {
    SimulatedWorker w =
        SimAddresses.start(
            host ->
                SimulatedWorker.builder(role, host, port)
                    .release(release)
                    .settings(s)
                    .etcd(etcdServer.endpoint())
                    .serviceTimeMillis(serviceMillis)
                    .registrationRetryInterval(Duration.ofMillis(200)));
    workers.add(w);
    return w;
  }

  private static List<KeyValue> keys(String prefix) throws Exception {
    return etcd.getKVClient()
        .get(bytes(prefix), GetOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS)
        .getKvs();
  }

  private static KeyValue key(String key) throws Exception {
    List<KeyValue> kvs = etcd.getKVClient().get(bytes(key)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> get(SimulatedWorker w, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + w.endpoint() + path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static CompletableFuture<HttpResponse<String>> postAsync(SimulatedWorker w, String json) {
    return http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://" + w.endpoint() + "/v1/completions"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static boolean refusesConnections(SimulatedWorker w) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(w.host(), w.port()), 1000);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void registersUnderTheUpstreamKeyWithTheUpstreamJsonAndALeaseOfTheInactiveTimeout()
      throws Exception {
    DisaggClusterSettings s = DisaggClusterSettings.of(SimAddresses.uniqueClusterName("reg"), 1, 7);
    SimulatedWorker ctx = start(WorkerRole.CONTEXT, s, 8000, 0);
    SimulatedWorker gen = start(WorkerRole.GENERATION, s, 8000, 0);

    List<KeyValue> kvs = keys(s.workerKeyPrefix() + "/");
    assertThat(kvs).hasSize(2);
    Pattern keyFormat =
        Pattern.compile(
            "/trtllm-disagg/"
                + Pattern.quote(s.clusterName())
                + "/workers/(CONTEXT|GENERATION)-(127\\.1\\.\\d{1,3}\\.\\d{1,3}):8000-\\d{13}-\\d+-\\d{3,4}");
    for (SimulatedWorker w : List.of(ctx, gen)) {
      KeyValue kv = key(w.registrationKey());
      assertThat(kv).as("key of %s", w).isNotNull();
      String key = kv.getKey().toString(StandardCharsets.UTF_8);
      assertThat(key)
          .matches(keyFormat)
          .startsWith(
              "/trtllm-disagg/"
                  + s.clusterName()
                  + "/workers/"
                  + w.role().name()
                  + "-"
                  + w.host()
                  + ":8000-");
      String value = kv.getValue().toString(StandardCharsets.UTF_8);
      // exactly what Python's json.dumps(asdict(WorkerInfo)) writes
      assertThat(value)
          .isEqualTo(
              "{\"worker_id\": \""
                  + key.substring(key.lastIndexOf('/') + 1)
                  + "\", \"host\": \""
                  + w.host()
                  + "\", \"port\": 8000, \"role\": "
                  + (w.role() == WorkerRole.CONTEXT ? 0 : 1)
                  + "}");
      JsonNode json = SimHttp.JSON.readTree(value);
      List<String> fields = new ArrayList<>();
      json.fieldNames().forEachRemaining(fields::add);
      assertThat(fields).containsExactly("worker_id", "host", "port", "role");
      assertThat(json.get("port").isInt()).isTrue();
      assertThat(json.get("role").isInt()).isTrue();
      assertThat(kv.getLease()).isNotZero().isEqualTo(w.leaseId());
      long granted =
          etcd.getLeaseClient()
              .timeToLive(kv.getLease(), LeaseOption.DEFAULT)
              .get(5, TimeUnit.SECONDS)
              .getGrantedTTL();
      assertThat(granted).isEqualTo(7);
    }
  }

  @Test
  void heartbeatsKeepTheRegistrationBeyondTheTtl() throws Exception {
    DisaggClusterSettings s = DisaggClusterSettings.of(SimAddresses.uniqueClusterName("hb"), 1, 2);
    SimulatedWorker w = start(WorkerRole.GENERATION, s, 0, 0);
    await()
        .during(Duration.ofSeconds(4))
        .atMost(Duration.ofSeconds(6))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> key(w.registrationKey()) != null);
    assertThat(w.heartbeats()).isGreaterThanOrEqualTo(3);
    assertThat(w.registrations()).isEqualTo(1);
  }

  @Test
  void heartbeatIsOffWhenTheIntervalIsNotBelowTheTimeoutSoTheKeyExpires() throws Exception {
    // TRAP of upstream: heartbeat_interval_sec >= inactive_timeout_sec silently disables heartbeats
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("nohb"), 2, 2);
    SimulatedWorker w = start(WorkerRole.CONTEXT, s, 0, 0);
    assertThat(key(w.registrationKey())).isNotNull();
    await()
        .atMost(Duration.ofSeconds(8))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> key(w.registrationKey()) == null);
    assertThat(w.state()).isEqualTo(SimulatedWorker.State.SERVING);
    assertThat(get(w, "/health").statusCode()).isEqualTo(200);
    assertThat(w.heartbeats()).isZero();
  }

  @Test
  void killedWorkerRefusesConnectionsAtOnceAndItsKeyDisappearsWhenTheLeaseExpires()
      throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("kill"), 1, 3);
    SimulatedWorker w = start(WorkerRole.CONTEXT, s, 0, 0);
    await().atMost(Duration.ofSeconds(5)).until(() -> w.heartbeats() >= 1);

    long killedAt = System.nanoTime();
    w.kill();
    assertThat(w.state()).isEqualTo(SimulatedWorker.State.KILLED);
    assertThat(refusesConnections(w)).isTrue();
    assertThat(key(w.registrationKey())).as("a crash leaves the key").isNotNull();

    await()
        .atMost(Duration.ofSeconds(8))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> key(w.registrationKey()) == null);
    long goneAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
    // the lease was last refreshed at most one heartbeat interval before the kill
    assertThat(goneAfterMillis)
        .isGreaterThanOrEqualTo((s.inactiveTimeoutSec() - s.heartbeatIntervalSec()) * 1000 - 200);
  }

  @Test
  void shutdownRefusesNewConnectionsDrainsInFlightRequestsThenDeletesTheKey() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("drain"), 1, 10);
    SimulatedWorker w = start(WorkerRole.GENERATION, s, 0, 1500);
    AtomicLong servedWhenKeyDeleted = new AtomicLong(-1);
    Watch.Watcher watch =
        etcd.getWatchClient()
            .watch(
                bytes(w.registrationKey()),
                WatchOption.DEFAULT,
                r -> {
                  for (WatchEvent e : r.getEvents()) {
                    if (e.getEventType() == WatchEvent.EventType.DELETE) {
                      servedWhenKeyDeleted.compareAndSet(-1, w.requestsServed());
                    }
                  }
                });
    try {
      CompletableFuture<HttpResponse<String>> inFlight =
          postAsync(w, "{\"prompt\": \"hello\", \"max_tokens\": 4}");
      await().atMost(Duration.ofSeconds(5)).until(() -> w.inFlight() == 1);

      CompletableFuture<Void> done = w.shutdownAsync();
      assertThat(w.state()).isEqualTo(SimulatedWorker.State.DRAINING);
      assertThat(refusesConnections(w))
          .as("new connections are refused once shutdown started")
          .isTrue();
      assertThatThrownBy(() -> get(w, "/health")).isInstanceOf(ConnectException.class);
      assertThat(w.inFlight()).isEqualTo(1);
      assertThat(key(w.registrationKey())).as("the key stays while draining").isNotNull();

      HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(SimHttp.JSON.readTree(r.body()).at("/choices/0/text").asText())
          .isEqualTo(" sim sim sim sim");
      done.get(10, TimeUnit.SECONDS);
      assertThat(w.state()).isEqualTo(SimulatedWorker.State.STOPPED);
      assertThat(key(w.registrationKey())).isNull();
      await().atMost(Duration.ofSeconds(5)).until(() -> servedWhenKeyDeleted.get() != -1);
      assertThat(servedWhenKeyDeleted.get())
          .as("requests served when the key was deleted")
          .isEqualTo(1);
    } finally {
      watch.close();
    }
  }

  /**
   * {@code DisaggClusterWorker._heartbeat}: refreshing an expired lease is answered with TTL 0 and
   * no error, which {@code Etcd3ClusterStorage.expire} counts as success; no release registers
   * again, and {@code /health} stays 200 (the TRAP of section 9 of the reference notes).
   */
  @ParameterizedTest
  @EnumSource(SimulatedRelease.class)
  void aWorkerWhoseLeaseExpiredStaysOutOfDiscoveryWhileItsHealthIsOk(SimulatedRelease release)
      throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("lost"), 1, 5);
    SimulatedWorker w = start(release, WorkerRole.CONTEXT, s, 0, 0);
    long lease = w.leaseId();
    // revoking the lease is what an expiry does: the key goes with it
    etcd.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
    assertThat(key(w.registrationKey())).isNull();

    await().atMost(Duration.ofSeconds(10)).until(() -> w.deadLeaseRefreshes() >= 3);
    assertThat(key(w.registrationKey())).as("never registered again").isNull();
    assertThat(keys(s.workerKeyPrefix())).isEmpty();
    assertThat(w.registrations()).isEqualTo(1);
    assertThat(w.heartbeatFailures()).as("a dead-lease refresh is no failure upstream").isZero();
    assertThat(w.leaseId()).as("the cached lease is kept").isEqualTo(lease);
    assertThat(w.heartbeatTaskDied()).isFalse();
    assertThat(get(w, "/health").statusCode()).isEqualTo(200);
  }

  /**
   * An etcd outage: the refresh fails, the re-registration on the cached lease is retried. In 1.2
   * ({@code put_if_not_exists}) the key is still there when etcd is back (etcd restores leases on
   * restart), so it returns False and is retried without refreshing until the lease expires; then
   * the put on the expired lease fails with NOT_FOUND and the heartbeat ends: the worker is out of
   * discovery for good while {@code /health} answers 200.
   */
  @Test
  void release12AfterAnEtcdOutageLosesItsLeaseAndNeverComesBack() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("outage12"), 1, 3);
    SimulatedWorker w = start(SimulatedRelease.V1_2, WorkerRole.GENERATION, s, 0, 0);
    long lease = w.leaseId();
    etcdServer.stop();
    try {
      await().atMost(Duration.ofSeconds(15)).until(() -> w.heartbeatFailures() >= 1);
    } finally {
      etcdServer.restart();
    }
    await().atMost(Duration.ofSeconds(30)).until(w::heartbeatTaskDied);
    assertThat(key(w.registrationKey())).isNull();
    assertThat(w.registrations()).isEqualTo(1);
    assertThat(w.leaseId()).isEqualTo(lease);
    assertThat(w.state()).isEqualTo(SimulatedWorker.State.SERVING);
    assertThat(get(w, "/health").statusCode()).isEqualTo(200);
    long beats = w.heartbeats();
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(3))
        .until(() -> w.heartbeats() == beats && key(w.registrationKey()) == null);
  }

  /**
   * In 1.3 the re-registration overwrites the key (PR #17461) on the cached lease, which etcd
   * restored on restart: the worker recovers with the same lease.
   */
  @Test
  void release13AfterAnEtcdOutageOverwritesItsKeyOnTheSameLease() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("outage13"), 1, 5);
    SimulatedWorker w = start(SimulatedRelease.V1_3, WorkerRole.GENERATION, s, 0, 0);
    long lease = w.leaseId();
    etcdServer.stop();
    try {
      await().atMost(Duration.ofSeconds(15)).until(() -> w.heartbeatFailures() >= 1);
    } finally {
      etcdServer.restart();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> w.registrations() >= 2);
    long beats = w.heartbeats();
    await().atMost(Duration.ofSeconds(5)).until(() -> w.heartbeats() >= beats + 2);
    KeyValue kv = key(w.registrationKey());
    assertThat(kv).isNotNull();
    assertThat(kv.getLease()).isEqualTo(lease);
    assertThat(w.heartbeatTaskDied()).isFalse();
  }

  @Test
  void serverInfoExistsFrom13AndHealthReportsAFailedEngineOnlyThere() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("info"), 1, 5);
    SimulatedWorker old = start(SimulatedRelease.V1_2, WorkerRole.CONTEXT, s, 0, 0);
    SimulatedWorker now = start(SimulatedRelease.V1_3, WorkerRole.CONTEXT, s, 0, 0);

    assertThat(get(old, "/server_info").statusCode()).isEqualTo(404);
    HttpResponse<String> info = get(now, "/server_info");
    assertThat(info.statusCode()).isEqualTo(200);
    assertThat(info.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(info.body()).isEqualTo("{\"disaggregated_params\":{}}");

    old.setEngineHealthy(false);
    now.setEngineHealthy(false);
    assertThat(get(old, "/health").statusCode()).as("1.2 does not check the engine").isEqualTo(200);
    HttpResponse<String> sick = get(now, "/health");
    assertThat(sick.statusCode()).isEqualTo(503);
    assertThat(sick.body()).startsWith("LLM is unavailable");
    now.setEngineHealthy(true);
    assertThat(get(now, "/health").statusCode()).isEqualTo(200);
  }

  @Test
  void aStalledWorkerAcceptsConnectionsButAnswersNothingUntilUnstalled() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("stall"), 1, 5);
    SimulatedWorker w = start(WorkerRole.GENERATION, s, 0, 0);
    w.setStalled(true);
    assertThat(refusesConnections(w)).isFalse();
    CompletableFuture<HttpResponse<String>> health =
        http.sendAsync(
            HttpRequest.newBuilder(URI.create("http://" + w.endpoint() + "/health"))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await()
        .during(Duration.ofMillis(800))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !health.isDone());
    w.setStalled(false);
    assertThat(health.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @Test
  void deregisterAsInAPreStopHookDeletesTheKeyWhileTheWorkerKeepsServing() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("prestop"), 1, 3);
    SimulatedWorker w = start(WorkerRole.CONTEXT, s, 0, 0);
    assertThat(w.deregister()).isTrue();
    assertThat(key(w.registrationKey())).isNull();
    assertThat(w.deregister()).isFalse();
    long beats = w.heartbeats();
    // heartbeats go on refreshing the (now key-less) lease; the key does not come back
    await().atMost(Duration.ofSeconds(6)).until(() -> w.heartbeats() >= beats + 3);
    assertThat(key(w.registrationKey())).isNull();
    assertThat(w.registrations()).isEqualTo(1);
    assertThat(get(w, "/health").statusCode()).isEqualTo(200);
    assertThat(postAsync(w, "{\"prompt\": \"x\"}").get(10, TimeUnit.SECONDS).statusCode())
        .isEqualTo(200);
  }

  @Test
  void prometheusMetricsShowInFlightRequestsAndTheTestSetValues() throws Exception {
    SimulatedWorker w =
        SimAddresses.start(
            host ->
                SimulatedWorker.builder(WorkerRole.GENERATION, host, 0)
                    .register(false)
                    .serviceTimeMillis(2000));
    workers.add(w);
    w.setExtraRunningRequests(3);
    w.setWaitingRequests(5);
    w.setKvCacheUtilization(0.75);
    CompletableFuture<HttpResponse<String>> inFlight = postAsync(w, "{\"prompt\": \"a b c\"}");
    await().atMost(Duration.ofSeconds(5)).until(() -> w.inFlight() == 1);

    HttpResponse<String> r = get(w, "/prometheus/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    String labels = "{model_name=\"simulated-model\",engine_type=\"trtllm\"}";
    assertThat(r.body().lines().toList())
        .contains(
            "# TYPE trtllm_num_requests_running gauge",
            "trtllm_num_requests_running" + labels + " 4.0",
            "# TYPE trtllm_num_requests_waiting gauge",
            "trtllm_num_requests_waiting" + labels + " 5.0",
            "# TYPE trtllm_kv_cache_utilization gauge",
            "trtllm_kv_cache_utilization" + labels + " 0.75");
    assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(get(w, "/prometheus/metrics").body())
        .contains(
            "trtllm_num_requests_running" + labels + " 3.0",
            "trtllm_request_success_total{model_name=\"simulated-model\",engine_type=\"trtllm\",finished_reason=\"length\"} 1.0");
    assertThatThrownBy(() -> w.setKvCacheUtilization(1.5))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void contextWorkerAnswersContextParamsAndGenerationWorkerACompletion() throws Exception {
    SimulatedWorker ctx =
        SimAddresses.start(
            host -> SimulatedWorker.builder(WorkerRole.CONTEXT, host, 0).register(false));
    SimulatedWorker gen =
        SimAddresses.start(
            host -> SimulatedWorker.builder(WorkerRole.GENERATION, host, 0).register(false));
    workers.add(ctx);
    workers.add(gen);

    JsonNode c =
        SimHttp.JSON.readTree(
            postAsync(
                    ctx,
                    "{\"prompt\": \"one two three\", \"max_tokens\": 8, "
                        + "\"disaggregated_params\": {\"request_type\": \"context_only\", \"disagg_request_id\": 42}}")
                .get(10, TimeUnit.SECONDS)
                .body());
    assertThat(c.at("/choices/0/disaggregated_params/request_type").asText())
        .isEqualTo("context_only");
    assertThat(c.at("/choices/0/disaggregated_params/ctx_request_id").asLong()).isEqualTo(42);
    assertThat(c.at("/choices/0/disaggregated_params/first_gen_tokens").size()).isEqualTo(1);
    assertThat(c.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(c.get("prompt_token_ids").size()).isEqualTo(3);

    HttpResponse<String> g =
        postAsync(gen, "{\"prompt\": [1, 2, 3], \"max_tokens\": 5}").get(10, TimeUnit.SECONDS);
    assertThat(g.statusCode()).isEqualTo(200);
    JsonNode gj = SimHttp.JSON.readTree(g.body());
    assertThat(gj.get("object").asText()).isEqualTo("text_completion");
    assertThat(gj.at("/choices/0/text").asText()).isEqualTo(" sim sim sim sim sim");
    assertThat(gj.at("/usage/prompt_tokens").asInt()).isEqualTo(3);
    assertThat(gj.at("/usage/completion_tokens").asInt()).isEqualTo(5);
    assertThat(postAsync(gen, "not json").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(400);
    assertThat(get(gen, "/nope").statusCode()).isEqualTo(404);
    assertThat(ctx.requestsServed()).isEqualTo(1);
    assertThat(gen.requestsServed()).isEqualTo(1);
  }

  @Test
  void aGenerationWorkerRefusesAKvCacheOfAnotherFormat() throws Exception {
    SimulatedWorker ctx =
        SimAddresses.start(
            host ->
                SimulatedWorker.builder(WorkerRole.CONTEXT, host, 0)
                    .register(false)
                    .cacheFormat("release:1.2.0"));
    SimulatedWorker same =
        SimAddresses.start(
            host ->
                SimulatedWorker.builder(WorkerRole.GENERATION, host, 0)
                    .register(false)
                    .cacheFormat("release:1.2.0"));
    SimulatedWorker other =
        SimAddresses.start(
            host ->
                SimulatedWorker.builder(WorkerRole.GENERATION, host, 0)
                    .register(false)
                    .cacheFormat("release:1.3.0"));
    workers.addAll(List.of(ctx, same, other));
    JsonNode c =
        SimHttp.JSON.readTree(
            postAsync(
                    ctx,
                    "{\"prompt\": \"one two\", \"max_tokens\": 4, "
                        + "\"disaggregated_params\": {\"request_type\": \"context_only\", \"disagg_request_id\": 7}}")
                .get(10, TimeUnit.SECONDS)
                .body());
    ObjectNode genReq = SimHttp.JSON.createObjectNode();
    genReq.put("prompt", "one two");
    genReq.put("max_tokens", 4);
    ObjectNode params = (ObjectNode) c.at("/choices/0/disaggregated_params").deepCopy();
    params.put("request_type", "generation_only");
    genReq.set("disaggregated_params", params);
    String body = SimHttp.JSON.writeValueAsString(genReq);

    assertThat(postAsync(same, body).get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    HttpResponse<String> refused = postAsync(other, body).get(10, TimeUnit.SECONDS);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("BadRequestError").contains(ctx.endpoint());
    assertThat(other.foreignCachesRefused()).isEqualTo(1);
    assertThat(same.foreignCachesRefused()).isZero();
  }

  @Test
  void refusesAddressesOutsideLoopback() {
    assertThatThrownBy(
            () ->
                SimulatedWorker.builder(WorkerRole.CONTEXT, "10.1.2.3", 8000)
                    .register(false)
                    .start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loopback");
    assertThatThrownBy(
            () ->
                SimulatedWorker.builder(WorkerRole.CONTEXT, "localhost", 8000)
                    .register(false)
                    .start())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                SimulatedWorker.builder(WorkerRole.CONTEXT, SimAddresses.randomHost(), 0)
                    .settings(DisaggClusterSettings.of("x", 1, 3))
                    .etcd("etcd.example.com:2379")
                    .start())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void settingsAreReadFromTheDisaggClusterSectionOfAWorkerYaml() {
    DisaggClusterSettings s =
        DisaggClusterSettings.fromYaml(
            """
        cache_transceiver_config:
          backend: UCX
        disagg_cluster:
          cluster_uri: etcd://127.0.0.1:2379
          cluster_name: ns.demo
          minimal_instances:
            context_servers: 2
            generation_servers: 3
          heartbeat_interval_sec: 4
          inactive_timeout_sec: 9
        """);
    assertThat(s).isEqualTo(new DisaggClusterSettings("ns.demo", 4, 9, 2, 3));
    assertThat(s.workerKeyPrefix()).isEqualTo("/trtllm-disagg/ns.demo/workers");
    assertThat(DisaggClusterSettings.fromYaml("disagg_cluster:\n  cluster_name: x\n"))
        .isEqualTo(new DisaggClusterSettings("x", 5, 10, 1, 1));
    assertThatThrownBy(() -> DisaggClusterSettings.fromYaml("backend: pytorch\n"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- GET /perf_metrics (OpenAIServer.get_perf_metrics) ------------------------------------

  private static final String PERF_YAML =
      """
      return_perf_metrics: true
      perf_metrics_max_requests: 3
      disagg_cluster:
        cluster_name: x
      """;

  private SimulatedWorker plain(WorkerRole role, String yaml, double bytesPerSecond) {
    SimulatedWorker w =
        SimAddresses.start(
            host ->
                SimulatedWorker.builder(role, host, 0)
                    .register(false)
                    .llmApiOptions(yaml)
                    .kvTransferBytesPerSecond(bytesPerSecond));
    workers.add(w);
    return w;
  }

  /** A generation request as the router sends it: the context's parameters, the prompt's ids. */
  private static String generationRequest(long ctxRequestId, int promptTokens) {
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < promptTokens; i++) {
      ids.append(i == 0 ? "" : ",").append(100 + i);
    }
    return "{\"model\": \"m\", \"prompt\": ["
        + ids
        + "], \"max_tokens\": 2, \"disaggregated_params\": {\"request_type\": \"generation_only\","
        + " \"ctx_request_id\": "
        + ctxRequestId
        + ", \"disagg_request_id\": "
        + ctxRequestId
        + "}}";
  }

  private static JsonNode perfMetrics(SimulatedWorker w) throws Exception {
    HttpResponse<String> r = get(w, "/perf_metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    return SimHttp.JSON.readTree(r.body());
  }

  @Test
  void perfMetricsAreEmptyUnlessReturnPerfMetricsAndAPositiveMaximumAreSet() throws Exception {
    for (String yaml :
        List.of(
            "disagg_cluster: {cluster_name: x}\n",
            "return_perf_metrics: true\n",
            "return_perf_metrics: false\nperf_metrics_max_requests: 10\n")) {
      SimulatedWorker w = plain(WorkerRole.GENERATION, yaml, 1e9);
      assertThat(postAsync(w, generationRequest(1, 8)).get(30, TimeUnit.SECONDS).statusCode())
          .isEqualTo(200);
      assertThat(perfMetrics(w)).as(yaml).isEmpty();
    }
  }

  @Test
  void generationEntriesCarryTheKvTransferAtTheSimulatedSpeedAndAReadTakesThem() throws Exception {
    // 80 tokens x 128 KiB = 10 MiB at 100 MiB/s: 0.1 s per request.
    double speed = 100.0 * (1 << 20);
    SimulatedWorker w = plain(WorkerRole.GENERATION, PERF_YAML, speed);
    for (int i = 1; i <= 4; i++) {
      HttpResponse<String> r = postAsync(w, generationRequest(i, 80)).get(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
    }
    JsonNode entries = perfMetrics(w);
    // deque(maxlen=3): the first request's entry was dropped.
    assertThat(entries).hasSize(3);
    List<Long> ctxIds = new ArrayList<>();
    for (JsonNode e : entries) {
      ctxIds.add(e.path("ctx_request_id").asLong());
      JsonNode tm = e.at("/perf_metrics/timing_metrics");
      assertThat(tm.path("kv_cache_size").asLong()).isEqualTo(80L * 131072);
      double seconds =
          tm.path("kv_cache_transfer_end").asDouble()
              - tm.path("kv_cache_transfer_start").asDouble();
      assertThat(seconds).isCloseTo(0.1, within(1e-6));
      assertThat(e.at("/perf_metrics/kv_cache_metrics/num_reused_blocks").isNumber()).isTrue();
    }
    assertThat(ctxIds).containsExactly(2L, 3L, 4L);
    assertThat(perfMetrics(w)).as("each read empties the buffer").isEmpty();

    // A plain request (no context worker's parameters) has no transfer: no kv_cache_* keys.
    assertThat(
            postAsync(w, "{\"model\": \"m\", \"prompt\": \"a b c\", \"max_tokens\": 1}")
                .get(30, TimeUnit.SECONDS)
                .statusCode())
        .isEqualTo(200);
    JsonNode plain = perfMetrics(w);
    assertThat(plain).hasSize(1);
    assertThat(plain.get(0).has("ctx_request_id")).isFalse();
    assertThat(plain.get(0).at("/perf_metrics/timing_metrics").has("kv_cache_size")).isFalse();
  }

  @Test
  void aSlowerTransferTakesLongerAndContextEntriesHaveNoKvKeys() throws Exception {
    SimulatedWorker gen = plain(WorkerRole.GENERATION, PERF_YAML, 1e12);
    gen.setKvTransferBytesPerSecond(50.0 * (1 << 20)); // 10 MiB at 50 MiB/s: 0.2 s
    long t0 = System.nanoTime();
    postAsync(gen, generationRequest(9, 80)).get(30, TimeUnit.SECONDS);
    assertThat(System.nanoTime() - t0)
        .as("the request waits for its KV cache")
        .isGreaterThan(200_000_000L);
    JsonNode tm = perfMetrics(gen).get(0).at("/perf_metrics/timing_metrics");
    assertThat(
            tm.path("kv_cache_transfer_end").asDouble()
                - tm.path("kv_cache_transfer_start").asDouble())
        .isCloseTo(0.2, within(1e-6));
    assertThatThrownBy(() -> gen.setKvTransferBytesPerSecond(0))
        .isInstanceOf(IllegalArgumentException.class);

    SimulatedWorker ctx = plain(WorkerRole.CONTEXT, PERF_YAML, 1e9);
    postAsync(
            ctx,
            "{\"model\": \"m\", \"prompt\": \"a b c\", \"max_tokens\": 1,"
                + " \"disaggregated_params\": {\"request_type\": \"context_only\", \"disagg_request_id\": 42}}")
        .get(30, TimeUnit.SECONDS);
    JsonNode entry = perfMetrics(ctx).get(0);
    assertThat(entry.path("ctx_request_id").asLong()).isEqualTo(42);
    assertThat(entry.at("/perf_metrics/timing_metrics").has("kv_cache_size")).isFalse();
    assertThat(entry.at("/perf_metrics/timing_metrics").has("last_token_time")).isTrue();
  }
}
