package io.disagg.e2e.trtllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.disagg.operator.testing.EtcdServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link SimulatedRouter} with {@link SimulatedWorker}s on 127.1.x.y and a real etcd; {@link
 * LoadClient}.
 */
class SimulatedRouterTest {

  private static final Duration AT_ONCE = Duration.ofSeconds(2);
  private static EtcdServer etcd;
  private static HttpClient http;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private SimulatedWorker worker(WorkerRole role, DisaggClusterSettings s, long serviceMillis) {
    SimulatedWorker w =
        SimAddresses.start(
            host ->
                SimulatedWorker.builder(role, host, 8000)
                    .settings(s)
                    .etcd(etcd.endpoint())
                    .serviceTimeMillis(serviceMillis));
    closeables.add(w);
    return w;
  }

  private SimulatedRouter router(SimulatedRouter.Builder b) {
    SimulatedRouter r = b.etcd(etcd.endpoint()).start();
    closeables.add(0, r);
    return r;
  }

  /**
   * Started before the workers, as a router pod starts while workers still load their model: in 1.2
   * (the default) a router only routes to workers that register after it started.
   */
  private static void awaitReady(SimulatedRouter r) {
    await().atMost(AT_ONCE).until(r::isReady);
  }

  private static HttpResponse<String> get(SimulatedRouter r, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(r.baseUri().resolve(path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static CompletableFuture<HttpResponse<String>> complete(SimulatedRouter r) {
    return http.sendAsync(
        HttpRequest.newBuilder(r.baseUri().resolve("/v1/completions"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\": \"m\", \"prompt\": \"hello there\", \"max_tokens\": 3}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static LoadClient.Summary load(SimulatedRouter r, int concurrency, long requests)
      throws Exception {
    LoadClient c =
        LoadClient.builder(r.baseUri())
            .concurrency(concurrency)
            .maxRequests(requests)
            .maxDuration(Duration.ofSeconds(30))
            .start();
    assertThat(c.awaitCompletion(Duration.ofSeconds(40))).isTrue();
    return c.stop();
  }

  @Test
  void routesOnlyToRegisteredWorkersAndDropsADeletedRegistrationAtOnce() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("route"), 1, 5);
    SimulatedRouter router = router(SimulatedRouter.builder(s));
    SimulatedWorker ctxA = worker(WorkerRole.CONTEXT, s, 0);
    SimulatedWorker ctxB = worker(WorkerRole.CONTEXT, s, 0);
    SimulatedWorker genA = worker(WorkerRole.GENERATION, s, 0);
    SimulatedWorker genB = worker(WorkerRole.GENERATION, s, 0);
    SimulatedWorker unregistered =
        SimAddresses.start(
            h -> SimulatedWorker.builder(WorkerRole.CONTEXT, h, 8000).register(false));
    closeables.add(unregistered);
    SimulatedWorker otherCluster =
        worker(
            WorkerRole.GENERATION,
            DisaggClusterSettings.of(SimAddresses.uniqueClusterName("other"), 1, 5),
            0);
    await()
        .atMost(AT_ONCE)
        .until(
            () ->
                router.servers(WorkerRole.CONTEXT).size() == 2
                    && router.servers(WorkerRole.GENERATION).size() == 2);

    assertThat(router.servers(WorkerRole.CONTEXT))
        .containsExactlyInAnyOrder(ctxA.endpoint(), ctxB.endpoint());
    assertThat(router.servers(WorkerRole.GENERATION))
        .containsExactlyInAnyOrder(genA.endpoint(), genB.endpoint());
    LoadClient.Summary first = load(router, 2, 20);
    assertThat(first.succeeded()).as(first.toString()).isEqualTo(20);
    assertThat(
            List.of(
                ctxA.requestsServed(),
                ctxB.requestsServed(),
                genA.requestsServed(),
                genB.requestsServed()))
        .containsOnly(10L);
    assertThat(first.byContextServer()).containsOnlyKeys(ctxA.endpoint(), ctxB.endpoint());
    assertThat(unregistered.requestsServed()).isZero();
    assertThat(otherCluster.requestsServed()).isZero();
    JsonNode genRequest = genA.lastRequest();
    assertThat(genRequest.at("/disaggregated_params/request_type").asText())
        .isEqualTo("generation_only");
    assertThat(genRequest.at("/disaggregated_params/ctx_request_id").isIntegralNumber()).isTrue();
    assertThat(genRequest.get("prompt").isArray())
        .as("prompt replaced by the context's token ids")
        .isTrue();
    assertThat(ctxA.lastRequest().at("/disaggregated_params/request_type").asText())
        .isEqualTo("context_only");

    // a preStop-style deletion: the router stops routing to ctxB at once
    assertThat(ctxB.deregister()).isTrue();
    await()
        .atMost(AT_ONCE)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> router.servers(WorkerRole.CONTEXT).equals(List.of(ctxA.endpoint())));
    long servedByB = ctxB.requestsServed();
    LoadClient.Summary second = load(router, 2, 10);
    assertThat(second.succeeded()).as(second.toString()).isEqualTo(10);
    assertThat(ctxB.requestsServed()).isEqualTo(servedByB);
    assertThat(ctxA.requestsServed()).isEqualTo(20);
    assertThat(router.events())
        .anySatisfy(e -> assertThat(e).contains("DELETE " + ctxB.registrationKey()));
  }

  @Test
  void prometheusCountersShowTheRequestsInFlightPerRole() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("counters"), 1, 5);
    SimulatedRouter router = router(SimulatedRouter.builder(s));
    worker(WorkerRole.CONTEXT, s, 0);
    worker(WorkerRole.GENERATION, s, 1500);
    awaitReady(router);
    var client = new io.disagg.operator.metrics.RouterMetricsClient();
    var idle = new io.disagg.operator.metrics.RouterLoad(0.0, 0.0);
    assertThat(client.load(router.baseUri().getHost(), router.port())).contains(idle);
    HttpResponse<String> redirect = get(router, "/prometheus/metrics");
    assertThat(redirect.statusCode()).as("as upstream's Starlette mount").isEqualTo(307);
    assertThat(redirect.headers().firstValue("Location")).contains("/prometheus/metrics/");

    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      calls.add(complete(router));
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(
            () -> {
              assertThat(router.inFlight(WorkerRole.GENERATION)).isEqualTo(3);
              assertThat(client.load(router.baseUri().getHost(), router.port()))
                  .contains(new io.disagg.operator.metrics.RouterLoad(0.0, 3.0));
            });
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      assertThat(c.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(client.load(router.baseUri().getHost(), router.port())).contains(idle);
    String text = get(router, "/prometheus/metrics/").body();
    assertThat(text)
        .contains(
            "ctx_total_requests_total 3.0",
            "ctx_completed_requests_total 3.0",
            "gen_total_requests_total 3.0",
            "gen_completed_requests_total 3.0",
            "gen_error_requests_total 0.0");
  }

  private SimulatedWorker worker(
      SimulatedRelease release, WorkerRole role, DisaggClusterSettings s, String host, int port) {
    SimulatedWorker w =
        SimulatedWorker.builder(role, host, port)
            .release(release)
            .settings(s)
            .etcd(etcd.endpoint())
            .start();
    closeables.add(w);
    return w;
  }

  /**
   * 1.2's {@code lifespan} drops the workers {@code watch_workers()} listed: a router started after
   * the workers registered lists them in {@code /cluster_info} but routes to none of them and stays
   * not ready until workers register after its start.
   */
  @Test
  void release12RouterRoutesOnlyToWorkersThatRegisteredAfterItStarted() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("late12"), 1, 5);
    SimulatedWorker ctxBefore = worker(WorkerRole.CONTEXT, s, 0);
    SimulatedWorker genBefore = worker(WorkerRole.GENERATION, s, 0);
    SimulatedRouter router = router(SimulatedRouter.builder(s).release(SimulatedRelease.V1_2));

    assertThat(router.registeredWorkers(WorkerRole.CONTEXT))
        .extracting(WorkerInfo::workerId)
        .containsExactly(ctxBefore.workerId());
    assertThat(router.servers(WorkerRole.CONTEXT)).isEmpty();
    assertThat(router.servers(WorkerRole.GENERATION)).isEmpty();
    assertThat(router.isReady()).isFalse();
    assertThat(get(router, "/health").statusCode()).isEqualTo(500);
    JsonNode info = SimHttp.JSON.readTree(get(router, "/cluster_info").body());
    assertThat(info.get("is_ready").asBoolean()).isFalse();
    assertThat(info.at("/current_workers/generation_servers/0/worker_id").asText())
        .isEqualTo(genBefore.workerId());
    assertThat(complete(router).get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(400);

    SimulatedWorker ctxAfter = worker(WorkerRole.CONTEXT, s, 0);
    SimulatedWorker genAfter = worker(WorkerRole.GENERATION, s, 0);
    awaitReady(router);
    LoadClient.Summary sum = load(router, 1, 6);
    assertThat(sum.succeeded()).as(sum.toString()).isEqualTo(6);
    assertThat(ctxAfter.requestsServed()).isEqualTo(6);
    assertThat(genAfter.requestsServed()).isEqualTo(6);
    assertThat(ctxBefore.requestsServed() + genBefore.requestsServed()).isZero();
  }

  /**
   * 1.3 ({@code Router._prepare_server}): a server counts for readiness only once its {@code
   * /server_info} answered JSON; a fetch that failed is not retried while the endpoint stays in the
   * list, even when a worker registers again on that address. Requests before readiness: 500.
   */
  @Test
  void release13RouterCountsOnlyServersWhoseServerInfoItFetched() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("prep13"), 1, 5)
            .withMinimalInstances(1, 2);
    SimulatedWorker ctx =
        worker(SimulatedRelease.V1_3, WorkerRole.CONTEXT, s, SimAddresses.randomHost(), 8000);
    SimulatedWorker gen1 =
        worker(SimulatedRelease.V1_3, WorkerRole.GENERATION, s, SimAddresses.randomHost(), 8000);
    SimulatedRouter router = router(SimulatedRouter.builder(s).release(SimulatedRelease.V1_3));
    // 1.3 hands the listed workers to the routers and prepares them before serving
    assertThat(router.servers(WorkerRole.CONTEXT)).containsExactly(ctx.endpoint());
    assertThat(router.preparedServers(WorkerRole.CONTEXT)).containsExactly(ctx.endpoint());
    assertThat(router.preparedServers(WorkerRole.GENERATION)).containsExactly(gen1.endpoint());
    assertThat(get(router, "/health").statusCode()).isEqualTo(503);

    // a registration of an address where nothing listens yet: listed, never prepared
    String host = SimAddresses.randomHost();
    String early = "/trtllm-disagg/" + s.clusterName() + "/workers/GENERATION-" + host + ":8000-1";
    try (io.etcd.jetcd.Client c = etcd.newClient()) {
      c.getKVClient()
          .put(
              SimulatedWorker.bytes(early),
              SimulatedWorker.bytes(
                  "{\"worker_id\": \"x\", \"host\": \""
                      + host
                      + "\", \"port\": 8000, \"role\": 1}"))
          .get(5, TimeUnit.SECONDS);
    }
    await().atMost(AT_ONCE).until(() -> router.servers(WorkerRole.GENERATION).size() == 2);
    await()
        .atMost(AT_ONCE)
        .until(() -> router.events().stream().anyMatch(e -> e.contains("NOT PREPARED")));
    assertThat(router.preparedServers(WorkerRole.GENERATION)).containsExactly(gen1.endpoint());
    assertThat(router.isReady()).isFalse();
    HttpResponse<String> notReady = complete(router).get(10, TimeUnit.SECONDS);
    assertThat(notReady.statusCode()).isEqualTo(500);
    assertThat(SimHttp.JSON.readTree(notReady.body()).get("detail").asText())
        .isEqualTo("Internal server error Cluster is not ready");

    // the worker comes up on that address and registers: add_server finds the endpoint, no retry
    SimulatedWorker late = worker(SimulatedRelease.V1_3, WorkerRole.GENERATION, s, host, 8000);
    await()
        .atMost(AT_ONCE)
        .until(() -> router.registeredWorkers(WorkerRole.GENERATION).size() == 3);
    await()
        .during(Duration.ofMillis(500))
        .atMost(AT_ONCE)
        .until(() -> !router.isReady() && get(router, "/health").statusCode() == 503);

    // another worker on a new address is prepared: ready
    SimulatedWorker gen3 =
        worker(SimulatedRelease.V1_3, WorkerRole.GENERATION, s, SimAddresses.randomHost(), 8000);
    awaitReady(router);
    assertThat(router.preparedServers(WorkerRole.GENERATION))
        .containsExactly(gen1.endpoint(), gen3.endpoint());
    assertThat(late.state()).isEqualTo(SimulatedWorker.State.SERVING);
    assertThat(get(router, "/health").statusCode()).isEqualTo(200);
  }

  @Test
  void healthAndClusterInfoFollowTheMinimalInstances() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("health"), 1, 5)
            .withMinimalInstances(1, 2);
    SimulatedRouter router = router(SimulatedRouter.builder(s));
    assertThat(router.release()).isEqualTo(SimulatedRelease.V1_2);
    assertThat(get(router, "/health").statusCode()).isEqualTo(500);
    HttpResponse<String> notReady = complete(router).get(10, TimeUnit.SECONDS);
    // OpenAIDisaggServer.openai_completion (1.2): HTTPException(400, "Cluster is not ready")
    assertThat(notReady.statusCode()).isEqualTo(400);
    assertThat(SimHttp.JSON.readTree(notReady.body()))
        .isEqualTo(SimHttp.JSON.readTree("{\"detail\": \"Cluster is not ready\"}"));

    SimulatedWorker ctx = worker(WorkerRole.CONTEXT, s, 0);
    SimulatedWorker gen1 = worker(WorkerRole.GENERATION, s, 0);
    await().atMost(AT_ONCE).until(() -> router.servers(WorkerRole.GENERATION).size() == 1);
    assertThat(get(router, "/health").statusCode()).isEqualTo(500);
    SimulatedWorker gen2 = worker(WorkerRole.GENERATION, s, 0);
    await().atMost(AT_ONCE).until(() -> get(router, "/health").statusCode() == 200);

    JsonNode info = SimHttp.JSON.readTree(get(router, "/cluster_info").body());
    assertThat(info.fieldNames())
        .toIterable()
        .containsExactly("current_workers", "minimal_instances", "is_ready");
    assertThat(info.get("is_ready").asBoolean()).isTrue();
    assertThat(info.at("/minimal_instances/context_servers").asInt()).isEqualTo(1);
    assertThat(info.at("/minimal_instances/generation_servers").asInt()).isEqualTo(2);
    assertThat(info.at("/current_workers/context_servers")).hasSize(1);
    JsonNode c = info.at("/current_workers/context_servers/0");
    assertThat(c.get("worker_id").asText()).isEqualTo(ctx.workerId());
    assertThat(c.get("host").asText()).isEqualTo(ctx.host());
    assertThat(c.get("port").asInt()).isEqualTo(8000);
    assertThat(c.get("role").asInt()).isEqualTo(0);
    assertThat(info.at("/current_workers/generation_servers"))
        .extracting(w -> w.get("worker_id").asText())
        .containsExactlyInAnyOrder(gen1.workerId(), gen2.workerId());
    assertThat(router.servers(WorkerRole.GENERATION))
        .containsExactlyInAnyOrder(gen1.endpoint(), gen2.endpoint());

    SimulatedRouter strict =
        router(
            SimulatedRouter.builder(s.withMinimalInstances(2, 2)).release(SimulatedRelease.V1_3));
    assertThat(get(strict, "/health").statusCode()).isEqualTo(503);
    JsonNode strictInfo = SimHttp.JSON.readTree(get(strict, "/cluster_info").body());
    assertThat(strictInfo.fieldNames())
        .toIterable()
        .containsExactly("is_ready", "current_workers", "minimal_instances");
  }

  @Test
  void aKilledWorkerFailsRequestsUntilItsLeaseExpiresThenLeavesRouting() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("crash"), 1, 3);
    SimulatedRouter router = router(SimulatedRouter.builder(s));
    worker(WorkerRole.CONTEXT, s, 0);
    SimulatedWorker genA = worker(WorkerRole.GENERATION, s, 0);
    SimulatedWorker genB = worker(WorkerRole.GENERATION, s, 0);
    await().atMost(AT_ONCE).until(() -> router.servers(WorkerRole.GENERATION).size() == 2);

    genB.kill();
    LoadClient.Summary during = load(router, 1, 4);
    // round robin over both generation servers: every second request hits the dead one
    assertThat(during.succeeded()).as(during.toString()).isEqualTo(2);
    assertThat(during.failuresByReason()).containsExactly(Map.entry("HTTP 500", 2L));
    assertThat(during.sampleFailures())
        .allSatisfy(f -> assertThat(f).contains(genB.endpoint(), "ConnectException"));

    await()
        .atMost(Duration.ofSeconds(8))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> router.servers(WorkerRole.GENERATION).equals(List.of(genA.endpoint())));
    LoadClient.Summary after = load(router, 2, 10);
    assertThat(after.failed()).as(after.toString()).isZero();
  }

  @Test
  void maxRetriesRetriesTheSameWorker() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("retry"), 1, 5);
    SimulatedRouter router =
        router(SimulatedRouter.builder(s).maxRetries(2).retryInterval(Duration.ofMillis(50)));
    worker(WorkerRole.CONTEXT, s, 0);
    SimulatedWorker gen = worker(WorkerRole.GENERATION, s, 0);
    awaitReady(router);
    gen.kill();
    HttpResponse<String> r = complete(router).get(10, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(router.routedCounts(WorkerRole.GENERATION)).containsEntry(gen.endpoint(), 3L);
  }

  @Test
  void gracefulShutdownWithoutDeregisteringFirstFailsRequestsRoutedToTheDrainingWorker()
      throws Exception {
    // Why the operator must delete the key before SIGTERM: trtllm-serve deregisters only after
    // draining.
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("sigterm"), 1, 5);
    SimulatedRouter router = router(SimulatedRouter.builder(s));
    SimulatedWorker ctx = worker(WorkerRole.CONTEXT, s, 1500);
    worker(WorkerRole.GENERATION, s, 0);
    awaitReady(router);

    CompletableFuture<HttpResponse<String>> inFlight = complete(router);
    await().atMost(Duration.ofSeconds(5)).until(() -> ctx.inFlight() == 1);
    CompletableFuture<Void> drained = ctx.shutdownAsync();
    assertThat(router.servers(WorkerRole.CONTEXT)).containsExactly(ctx.endpoint());

    HttpResponse<String> meanwhile = complete(router).get(10, TimeUnit.SECONDS);
    assertThat(meanwhile.statusCode()).isEqualTo(500);
    assertThat(meanwhile.body()).contains(ctx.endpoint(), "ConnectException");
    assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode())
        .as("the in-flight request is drained")
        .isEqualTo(200);
    drained.get(10, TimeUnit.SECONDS);
    await().atMost(AT_ONCE).until(() -> router.servers(WorkerRole.CONTEXT).isEmpty());
    assertThat(get(router, "/health").statusCode()).isEqualTo(500);
  }

  @Test
  void likeUpstreamAWorkerRestartedOnTheSameAddressLeavesRoutingWhenTheOldLeaseExpires()
      throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("restart"), 1, 3);
    SimulatedRouter upstreamLike = router(SimulatedRouter.builder(s));
    SimulatedRouter byKey = router(SimulatedRouter.builder(s).removeServerByEndpoint(false));
    SimulatedWorker gen = worker(WorkerRole.GENERATION, s, 0);
    worker(WorkerRole.CONTEXT, s, 0);
    awaitReady(upstreamLike);
    awaitReady(byKey);

    gen.kill();
    SimulatedWorker restarted =
        SimulatedWorker.builder(WorkerRole.GENERATION, gen.host(), gen.port())
            .settings(s)
            .etcd(etcd.endpoint())
            .start();
    closeables.add(restarted);
    await()
        .atMost(AT_ONCE)
        .until(() -> upstreamLike.registeredWorkers(WorkerRole.GENERATION).size() == 2);
    assertThat(upstreamLike.servers(WorkerRole.GENERATION)).containsExactly(gen.endpoint());

    // the crashed worker's lease expires: upstream removes the endpoint, although the restarted
    // worker is registered
    await()
        .atMost(Duration.ofSeconds(8))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> upstreamLike.registeredWorkers(WorkerRole.GENERATION).size() == 1);
    assertThat(upstreamLike.registeredWorkers(WorkerRole.GENERATION))
        .extracting(WorkerInfo::workerId)
        .containsExactly(restarted.workerId());
    assertThat(upstreamLike.servers(WorkerRole.GENERATION)).isEmpty();
    assertThat(upstreamLike.isReady()).isFalse();
    await().atMost(AT_ONCE).until(() -> byKey.registeredWorkers(WorkerRole.GENERATION).size() == 1);
    assertThat(byKey.servers(WorkerRole.GENERATION)).containsExactly(restarted.endpoint());
  }

  @Test
  void boundedLoadThroughRouterContextAndGenerationWorkersSucceeds() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("load"), 1, 5)
            .withMinimalInstances(2, 2);
    SimulatedRouter router =
        router(SimulatedRouter.builder(s).requestTimeout(Duration.ofSeconds(10)));
    List<SimulatedWorker> ctx =
        List.of(worker(WorkerRole.CONTEXT, s, 20), worker(WorkerRole.CONTEXT, s, 20));
    List<SimulatedWorker> gen =
        List.of(worker(WorkerRole.GENERATION, s, 30), worker(WorkerRole.GENERATION, s, 30));
    awaitReady(router);

    LoadClient c =
        LoadClient.builder(router.baseUri())
            .concurrency(8)
            .maxRequests(200)
            .maxDuration(Duration.ofSeconds(20))
            .start();
    assertThat(c.awaitCompletion(Duration.ofSeconds(30))).isTrue();
    LoadClient.Summary sum = c.summary();
    assertThat(sum.completed()).isEqualTo(200);
    assertThat(sum.succeeded()).as(sum.toString()).isEqualTo(200);
    assertThat(sum.p50Millis()).isGreaterThanOrEqualTo(50);
    assertThat(sum.byContextServer())
        .containsOnlyKeys(ctx.get(0).endpoint(), ctx.get(1).endpoint());
    assertThat(sum.byGenerationServer())
        .containsOnlyKeys(gen.get(0).endpoint(), gen.get(1).endpoint());
    assertThat(ctx.get(0).requestsServed() + ctx.get(1).requestsServed()).isEqualTo(200);
    assertThat(gen.get(0).requestsServed() + gen.get(1).requestsServed()).isEqualTo(200);
    assertThat(router.requestsSucceeded()).isEqualTo(200);
    assertThat(router.requestsFailed()).isZero();
    assertThat(c.stop().succeeded()).isEqualTo(200);
  }

  @Test
  void loadClientStopsAtItsDurationBound() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("bound"), 1, 5);
    SimulatedRouter router = router(SimulatedRouter.builder(s));
    worker(WorkerRole.CONTEXT, s, 100);
    worker(WorkerRole.GENERATION, s, 0);
    awaitReady(router);
    long t0 = System.nanoTime();
    LoadClient c =
        LoadClient.builder(router.baseUri())
            .concurrency(2)
            .maxRequests(100_000)
            .maxDuration(Duration.ofSeconds(1))
            .start();
    assertThat(c.awaitCompletion(Duration.ofSeconds(10))).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    LoadClient.Summary sum = c.stop();
    assertThat(sum.completed()).isBetween(2L, 40L);
    assertThat(sum.failed()).isZero();

    assertThatThrownBy(() -> LoadClient.builder(router.baseUri()).maxRequests(10).start())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                LoadClient.builder(URI.create("http://192.0.2.1:8000"))
                    .maxRequests(1)
                    .maxDuration(Duration.ofSeconds(1))
                    .start())
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * SIGTERM as uvicorn handles it ({@code uvicorn/server.py} {@code Server.shutdown}): the listener
   * closes, a request in progress finishes, idle keep-alive connections are closed, and the process
   * exits then, not at the end of the grace period.
   */
  @Test
  void shutdownLetsTheRequestInProgressFinishAndReturnsWhenItHas() throws Exception {
    DisaggClusterSettings s =
        DisaggClusterSettings.of(SimAddresses.uniqueClusterName("shutdown"), 1, 5);
    SimulatedRouter router = router(SimulatedRouter.builder(s));
    worker(WorkerRole.CONTEXT, s, 0);
    worker(WorkerRole.GENERATION, s, 1500);
    awaitReady(router);
    assertThat(get(router, "/health").statusCode()).isEqualTo(200); // leaves an idle connection
    CompletableFuture<HttpResponse<String>> inProgress = complete(router);
    await().atMost(AT_ONCE).until(() -> router.inFlight(WorkerRole.GENERATION) == 1);

    long t0 = System.nanoTime();
    router.shutdown(Duration.ofSeconds(60));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertThat(inProgress.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(took).as("returned once the request finished").isLessThan(Duration.ofSeconds(10));
    assertThatThrownBy(() -> get(router, "/health")).isInstanceOf(java.io.IOException.class);

    // With nothing in progress it exits at once (HttpServer.stop alone waits its whole delay then
    // on Java 17).
    SimulatedRouter idle = router(SimulatedRouter.builder(s));
    get(idle, "/health");
    long t1 = System.nanoTime();
    idle.shutdown(Duration.ofSeconds(60));
    assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(Duration.ofSeconds(5));
  }
}
