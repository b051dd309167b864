package io.disagg.e2e.trtllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.TestNamespace;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link SimulatedKubelet} on the local kwok cluster: workers and routers bound to the pod IPs
 * (127.1.x.y), settings from the DisaggCluster ConfigMap, preStop deregistration before the drain
 * on pod deletion, startup delay, probes that set the pod's readiness (kwok leaves DisaggCluster
 * pods not Ready), restarts after liveness failures and crashes. Pods are created by the test.
 */
@ClusterTest
class SimulatedKubeletIT {

  private static final Duration POD_TIMEOUT = Duration.ofSeconds(90);
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private static String workerYaml(String clusterName, String etcdEndpoint) {
    return """
        cache_transceiver_config:
          backend: UCX
        disagg_cluster:
          cluster_uri: etcd://%s
          cluster_name: %s
          minimal_instances:
            context_servers: 1
            generation_servers: 1
          heartbeat_interval_sec: 1
          inactive_timeout_sec: 4
        """
        .formatted(etcdEndpoint, clusterName);
  }

  private static Pod pod(String name, String instance, String component) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(SimulatedKubelet.NAME_LABEL, SimulatedKubelet.APP_NAME)
        .addToLabels(SimulatedKubelet.INSTANCE_LABEL, instance)
        .addToLabels(SimulatedKubelet.COMPONENT_LABEL, component)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("worker")
        .withImage("example.invalid/trtllm:none")
        .addNewPort()
        .withName("http")
        .withContainerPort(8000)
        .endPort()
        .endContainer()
        // the kubelet reads the settings from the ConfigMap the pod mounts
        .addNewVolume()
        .withName("config")
        .withNewConfigMap()
        .withName(instance + "-config")
        .endConfigMap()
        .endVolume()
        .endSpec()
        .build();
  }

  private static KeyValue key(Client etcd, String key) throws Exception {
    List<KeyValue> kvs =
        etcd.getKVClient()
            .get(ByteSequence.from(key, StandardCharsets.UTF_8))
            .get(5, TimeUnit.SECONDS)
            .getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  @Test
  void startsWorkersOnPodIpsAndOnDeletionDeregistersBeforeDraining(TestNamespace ns)
      throws Exception {
    try (EtcdServer etcdServer = EtcdServer.start();
        Client etcd = etcdServer.newClient()) {
      String clusterName = ns.name() + ".sim";
      String yaml = workerYaml(clusterName, etcdServer.endpoint());
      ns.client()
          .configMaps()
          .inNamespace(ns.name())
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("sim-config")
                  .endMetadata()
                  .addToData("context.yaml", yaml)
                  .addToData("generation.yaml", yaml)
                  .addToData("router.yaml", yaml)
                  .build())
          .create();
      for (Pod p :
          List.of(
              pod("sim-context-0", "sim", "context"),
              pod("sim-generation-0", "sim", "generation"),
              pod("sim-router-0", "sim", "router"))) {
        ns.client().pods().inNamespace(ns.name()).resource(p).create();
      }

      // workers load their model for 2 s: the router pod's router starts first and sees them
      // register (a 1.2 router routes to no worker registered before it started)
      try (SimulatedKubelet kubelet =
          SimulatedKubelet.builder(ns.client(), ns.name(), etcdServer.endpoint())
              .startupDelay(Duration.ofSeconds(2))
              .start()) {
        SimulatedWorker ctx = kubelet.awaitWorker("sim-context-0", POD_TIMEOUT);
        SimulatedWorker gen = kubelet.awaitWorker("sim-generation-0", POD_TIMEOUT);
        for (SimulatedWorker w : List.of(ctx, gen)) {
          Pod p =
              ns.client()
                  .pods()
                  .inNamespace(ns.name())
                  .withName(w == ctx ? "sim-context-0" : "sim-generation-0")
                  .get();
          assertThat(p.getStatus().getPodIP())
              .as("pod IPs are loopback (kwokctl.yaml)")
              .startsWith("127.");
          assertThat(w.host()).isEqualTo(p.getStatus().getPodIP());
          assertThat(w.port()).isEqualTo(8000);
          assertThat(w.settings().clusterName()).isEqualTo(clusterName);
          assertThat(w.settings().inactiveTimeoutSec()).isEqualTo(4);
          KeyValue kv = key(etcd, w.registrationKey());
          assertThat(kv).isNotNull();
          assertThat(kv.getValue().toString(StandardCharsets.UTF_8))
              .contains("\"host\": \"" + p.getStatus().getPodIP() + "\"");
        }
        assertThat(ctx.role()).isEqualTo(WorkerRole.CONTEXT);
        assertThat(gen.role()).isEqualTo(WorkerRole.GENERATION);
        assertThat(kubelet.workers()).containsOnlyKeys("sim-context-0", "sim-generation-0");

        // per-pod load as an autoscaler would scrape it from the pod IP
        gen.setKvCacheUtilization(0.6);
        gen.setWaitingRequests(2);
        String metrics =
            HTTP.send(
                    HttpRequest.newBuilder(
                            URI.create("http://" + gen.endpoint() + "/prometheus/metrics"))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
            .contains(
                "trtllm_kv_cache_utilization{model_name=\"simulated-model\",engine_type=\"trtllm\"} 0.6",
                "trtllm_num_requests_waiting{model_name=\"simulated-model\",engine_type=\"trtllm\"} 2.0");

        {
          SimulatedRouter router = kubelet.awaitRouter(POD_TIMEOUT);
          Pod routerPod = ns.client().pods().inNamespace(ns.name()).withName("sim-router-0").get();
          assertThat(router.baseUri().getHost()).isEqualTo(routerPod.getStatus().getPodIP());
          assertThat(router.port()).isEqualTo(8000);
          await().atMost(Duration.ofSeconds(10)).until(router::isReady);
          // no probes in these pods: a started container is ready (UpdatePodStatus)
          await()
              .atMost(Duration.ofSeconds(10))
              .untilAsserted(
                  () -> {
                    for (String pod :
                        List.of("sim-context-0", "sim-generation-0", "sim-router-0")) {
                      assertThat(ready(ns, pod)).as(pod).isTrue();
                    }
                  });
          LoadClient load =
              LoadClient.builder(router.baseUri())
                  .concurrency(2)
                  .maxRequests(10)
                  .maxDuration(Duration.ofSeconds(20))
                  .start();
          assertThat(load.awaitCompletion(Duration.ofSeconds(30))).isTrue();
          LoadClient.Summary sum = load.stop();
          assertThat(sum.succeeded()).as(sum.toString()).isEqualTo(10);

          // delete the context pod while a request is in flight on it
          ctx.setServiceTimeMillis(3000);
          AtomicLong servedWhenDeregistered = new AtomicLong(-1);
          Watch.Watcher watch =
              etcd.getWatchClient()
                  .watch(
                      ByteSequence.from(ctx.registrationKey(), StandardCharsets.UTF_8),
                      WatchOption.DEFAULT,
                      r ->
                          r.getEvents().stream()
                              .filter(e -> e.getEventType() == WatchEvent.EventType.DELETE)
                              .findFirst()
                              .ifPresent(
                                  e ->
                                      servedWhenDeregistered.compareAndSet(
                                          -1, ctx.requestsServed())));
          try {
            long servedBefore = ctx.requestsServed();
            CompletableFuture<HttpResponse<String>> inFlight =
                HTTP.sendAsync(
                    HttpRequest.newBuilder(router.baseUri().resolve("/v1/completions"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(
                            HttpRequest.BodyPublishers.ofString(
                                "{\"prompt\": \"hi\", \"max_tokens\": 2}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> ctx.inFlight() == 1);
            ns.client().pods().inNamespace(ns.name()).withName("sim-context-0").delete();

            await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> router.servers(WorkerRole.CONTEXT).isEmpty());
            // The pod stays, terminating, while its worker drains: the kubelet deletes it once
            // the container has stopped (kwok's stage only at the grace period's end).
            Pod terminating =
                ns.client().pods().inNamespace(ns.name()).withName("sim-context-0").get();
            int inFlightThen = ctx.inFlight();
            assertThat(terminating).as("the pod while its request is in flight").isNotNull();
            assertThat(terminating.getMetadata().getDeletionTimestamp()).isNotNull();
            assertThat(inFlightThen).as("the request was still in flight").isEqualTo(1);
            HttpResponse<String> r = inFlight.get(15, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> ctx.state() == SimulatedWorker.State.STOPPED);
            await().atMost(Duration.ofSeconds(5)).until(() -> servedWhenDeregistered.get() != -1);
            assertThat(servedWhenDeregistered.get())
                .as("preStop deleted the key before the in-flight request ended")
                .isEqualTo(servedBefore);
            assertThat(ctx.requestsServed()).isEqualTo(servedBefore + 1);
            assertThat(key(etcd, ctx.registrationKey())).isNull();
          } finally {
            watch.close();
          }
          await()
              .atMost(Duration.ofSeconds(10))
              .until(
                  () ->
                      ns.client().pods().inNamespace(ns.name()).withName("sim-context-0").get()
                          == null);
          assertThat(kubelet.events())
              .anySatisfy(
                  e -> assertThat(e).contains("DELETED sim-context-0 (containers stopped)"));
          assertThat(kubelet.worker("sim-context-0")).isEmpty();
          assertThat(kubelet.history("sim-context-0")).containsExactly(ctx);
          assertThat(kubelet.events())
              .anySatisfy(e -> assertThat(e).contains("PRESTOP sim-context-0"));
        }
      }
      // close() left the remaining pods to kwok: deleted now, they go at once
      for (String pod : List.of("sim-generation-0", "sim-router-0")) {
        assertThat(
                ns.client()
                    .pods()
                    .inNamespace(ns.name())
                    .withName(pod)
                    .get()
                    .getStatus()
                    .getConditions())
            .as(pod)
            .anySatisfy(
                c -> {
                  assertThat(c.getType()).isEqualTo(SimulatedKubelet.KUBELET_CONDITION);
                  assertThat(c.getStatus()).isEqualTo("False");
                });
        ns.client().pods().inNamespace(ns.name()).withName(pod).delete();
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> ns.client().pods().inNamespace(ns.name()).list().getItems().isEmpty());
      // close() stopped the remaining worker and deleted its key
      assertThat(
              etcd.getKVClient()
                  .get(
                      ByteSequence.from(
                          "/trtllm-disagg/" + clusterName + "/workers/", StandardCharsets.UTF_8),
                      io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
                  .get(5, TimeUnit.SECONDS)
                  .getKvs())
          .isEmpty();
    }
  }

  @Test
  void restartsACrashedWorkerInItsPodOnTheSameAddress(TestNamespace ns) throws Exception {
    try (EtcdServer etcdServer = EtcdServer.start();
        Client etcd = etcdServer.newClient()) {
      DisaggClusterSettings settings = DisaggClusterSettings.of(ns.name() + ".crash", 1, 4);
      long created = System.nanoTime();
      ns.client()
          .pods()
          .inNamespace(ns.name())
          .resource(pod("crash-generation-0", "crash", "generation"))
          .create();
      try (SimulatedKubelet kubelet =
          SimulatedKubelet.builder(ns.client(), ns.name(), etcdServer.endpoint())
              .settings(settings)
              .startupDelay(Duration.ofSeconds(2))
              .workerCustomizer((pod, b) -> b.serviceTimeMillis(5))
              .start()) {
        SimulatedWorker first = kubelet.awaitWorker("crash-generation-0", POD_TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - created))
            .as("startup delay")
            .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(first.serviceTimeMillis()).isEqualTo(5);
        first.kill();
        await()
            .atMost(Duration.ofSeconds(15))
            .until(() -> kubelet.history("crash-generation-0").size() == 2);
        SimulatedWorker second = kubelet.awaitWorker("crash-generation-0", Duration.ofSeconds(10));
        assertThat(second).isNotSameAs(first);
        assertThat(second.endpoint()).isEqualTo(first.endpoint());
        assertThat(second.workerId()).isNotEqualTo(first.workerId());
        assertThat(key(etcd, second.registrationKey())).isNotNull();
        // the crashed worker's registration is left to expire
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> key(etcd, first.registrationKey()) == null);
        assertThat(kubelet.events())
            .anySatisfy(e -> assertThat(e).contains("CRASHED crash-generation-0"))
            .anySatisfy(e -> assertThat(e).contains("RESTARTED crash-generation-0"));
        assertThat(Map.copyOf(kubelet.workers())).containsOnlyKeys("crash-generation-0");
        // restartPolicy Always: the first restart at once, restartCount and lastState in the status
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () -> {
                  ContainerStatus cs = containerStatus(ns, "crash-generation-0");
                  assertThat(cs.getRestartCount()).isEqualTo(1);
                  assertThat(cs.getLastState().getTerminated().getExitCode()).isEqualTo(1);
                  assertThat(cs.getState().getRunning()).isNotNull();
                });
      }
    }
  }

  private static boolean ready(TestNamespace ns, String pod) {
    Pod p = ns.client().pods().inNamespace(ns.name()).withName(pod).get();
    return p != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static ContainerStatus containerStatus(TestNamespace ns, String pod) {
    return ns.client()
        .pods()
        .inNamespace(ns.name())
        .withName(pod)
        .get()
        .getStatus()
        .getContainerStatuses()
        .get(0);
  }

  private static Probe httpProbe(int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath("/health")
        .withPort(new IntOrString("http"))
        .endHttpGet()
        .withPeriodSeconds(1)
        .withTimeoutSeconds(1)
        .withFailureThreshold(failureThreshold)
        .withSuccessThreshold(1)
        .build();
  }

  /** A pod as the operator renders them: startup, readiness and liveness probes on /health. */
  private static Pod probedPod(
      String name, String instance, String component, int livenessFailures) {
    Pod p = pod(name, instance, component);
    p.getSpec().setTerminationGracePeriodSeconds(2L);
    var c = p.getSpec().getContainers().get(0);
    c.setStartupProbe(httpProbe(60));
    c.setReadinessProbe(httpProbe(2));
    c.setLivenessProbe(httpProbe(livenessFailures));
    return p;
  }

  /**
   * kwok leaves the pod not Ready; the kubelet's probes make it Ready once /health answers, not
   * Ready when it fails (1.3: a failed engine answers 503), and after {@code failureThreshold}
   * liveness failures the container is killed (preStop deletes the key) and started again with
   * restartCount 1.
   */
  @Test
  void probesSetReadinessAndALivenessFailureRestartsTheContainer(TestNamespace ns)
      throws Exception {
    try (EtcdServer etcdServer = EtcdServer.start();
        Client etcd = etcdServer.newClient()) {
      DisaggClusterSettings settings = DisaggClusterSettings.of(ns.name() + ".probe", 1, 4);
      ns.client()
          .pods()
          .inNamespace(ns.name())
          .resource(probedPod("probe-generation-0", "probe", "generation", 3))
          .create();
      await()
          .atMost(POD_TIMEOUT)
          .until(
              () ->
                  ns.client()
                          .pods()
                          .inNamespace(ns.name())
                          .withName("probe-generation-0")
                          .get()
                          .getStatus()
                          .getPodIP()
                      != null);
      assertThat(ready(ns, "probe-generation-0")).as("kwok does not make it Ready").isFalse();
      assertThat(containerStatus(ns, "probe-generation-0").getStarted()).isFalse();

      try (SimulatedKubelet kubelet =
          SimulatedKubelet.builder(ns.client(), ns.name(), etcdServer.endpoint())
              .release(SimulatedRelease.V1_3)
              .settings(settings)
              .startupDelay(Duration.ofSeconds(2))
              .start()) {
        // model loading: the container runs, the startup probe fails, the pod is not Ready
        await()
            .during(Duration.ofSeconds(1))
            .atMost(Duration.ofSeconds(2))
            .until(() -> !ready(ns, "probe-generation-0"));
        SimulatedWorker first = kubelet.awaitWorker("probe-generation-0", POD_TIMEOUT);
        await().atMost(Duration.ofSeconds(15)).until(() -> ready(ns, "probe-generation-0"));
        ContainerStatus cs = containerStatus(ns, "probe-generation-0");
        assertThat(cs.getStarted()).isTrue();
        assertThat(cs.getReady()).isTrue();
        assertThat(cs.getRestartCount()).isZero();

        first.setEngineHealthy(false);
        // readiness: 2 failures 1 s apart; liveness: 3 failures, then the container is killed
        await().atMost(Duration.ofSeconds(10)).until(() -> !ready(ns, "probe-generation-0"));
        await()
            .atMost(Duration.ofSeconds(15))
            .until(() -> kubelet.restartCount("probe-generation-0") == 1);
        await()
            .atMost(Duration.ofSeconds(15))
            .until(() -> first.state() == SimulatedWorker.State.STOPPED);
        assertThat(key(etcd, first.registrationKey())).as("preStop, then SIGTERM").isNull();
        assertThat(kubelet.events())
            .anySatisfy(
                e -> assertThat(e).contains("KILLING probe-generation-0: liveness probe failed"))
            .anySatisfy(e -> assertThat(e).contains("PRESTOP probe-generation-0"));

        SimulatedWorker second = kubelet.awaitWorker("probe-generation-0", POD_TIMEOUT);
        assertThat(second).isNotSameAs(first);
        assertThat(second.endpoint()).isEqualTo(first.endpoint());
        await().atMost(Duration.ofSeconds(15)).until(() -> ready(ns, "probe-generation-0"));
        ContainerStatus again = containerStatus(ns, "probe-generation-0");
        assertThat(again.getRestartCount()).isEqualTo(1);
        assertThat(again.getLastState().getTerminated()).isNotNull();
        assertThat(key(etcd, second.registrationKey())).isNotNull();
      }
    }
  }

  /**
   * 1.2's /health answers 200 whatever the engine does: the pod stays Ready. A wedged worker
   * (nothing answered) fails its readiness probe by timeout and is Ready again when it recovers,
   * before the liveness probe (threshold 30) would restart it.
   */
  @Test
  void release12HealthIgnoresTheEngineButAStalledWorkerIsNotReady(TestNamespace ns)
      throws Exception {
    try (EtcdServer etcdServer = EtcdServer.start()) {
      DisaggClusterSettings settings = DisaggClusterSettings.of(ns.name() + ".stall", 1, 4);
      ns.client()
          .pods()
          .inNamespace(ns.name())
          .resource(probedPod("stall-context-0", "stall", "context", 30))
          .create();
      try (SimulatedKubelet kubelet =
          SimulatedKubelet.builder(ns.client(), ns.name(), etcdServer.endpoint())
              .release(SimulatedRelease.V1_2)
              .settings(settings)
              .start()) {
        SimulatedWorker w = kubelet.awaitWorker("stall-context-0", POD_TIMEOUT);
        await().atMost(Duration.ofSeconds(15)).until(() -> ready(ns, "stall-context-0"));
        w.setEngineHealthy(false);
        await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(4))
            .until(() -> ready(ns, "stall-context-0"));
        w.setStalled(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !ready(ns, "stall-context-0"));
        w.setStalled(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> ready(ns, "stall-context-0"));
        assertThat(kubelet.restartCount("stall-context-0")).isZero();
        assertThat(kubelet.history("stall-context-0")).containsExactly(w);
      }
    }
  }

  /**
   * A router pod runs a simulated router on its pod IP with the settings of router.yaml; its
   * readiness probe on /health makes the pod Ready only once the router counts minimal_instances
   * workers of both roles.
   */
  @Test
  void aRouterPodIsReadyOnlyWhenItsRouterSeesTheMinimalInstances(TestNamespace ns)
      throws Exception {
    try (EtcdServer etcdServer = EtcdServer.start()) {
      String clusterName = ns.name() + ".rt";
      String yaml = workerYaml(clusterName, etcdServer.endpoint()) + "max_retries: 0\n";
      ns.client()
          .configMaps()
          .inNamespace(ns.name())
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("rt-config")
                  .endMetadata()
                  .addToData("context.yaml", yaml)
                  .addToData("generation.yaml", yaml)
                  .addToData("router.yaml", yaml)
                  .build())
          .create();
      Pod routerPod = pod("rt-router-0", "rt", "router");
      var rc = routerPod.getSpec().getContainers().get(0);
      rc.setName("router");
      rc.setCommand(
          List.of("trtllm-serve", "disaggregated", "-c", "/etc/trtllm/router.yaml", "-r", "42"));
      rc.setReadinessProbe(httpProbe(2));
      rc.setLivenessProbe(
          new ProbeBuilder()
              .withNewTcpSocket()
              .withPort(new IntOrString("http"))
              .endTcpSocket()
              .withPeriodSeconds(1)
              .withFailureThreshold(3)
              .build());
      ns.client().pods().inNamespace(ns.name()).resource(routerPod).create();
      ns.client()
          .pods()
          .inNamespace(ns.name())
          .resource(probedPod("rt-context-0", "rt", "context", 3))
          .create();
      try (SimulatedKubelet kubelet =
          SimulatedKubelet.builder(ns.client(), ns.name(), etcdServer.endpoint())
              .startupDelay(Duration.ofSeconds(1))
              .start()) {
        SimulatedRouter router = kubelet.awaitRouter(POD_TIMEOUT);
        assertThat(router.release()).isEqualTo(SimulatedRelease.DEFAULT);
        kubelet.awaitWorker("rt-context-0", POD_TIMEOUT);
        await().atMost(Duration.ofSeconds(15)).until(() -> ready(ns, "rt-context-0"));
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> router.servers(WorkerRole.CONTEXT).size() == 1);
        await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(4))
            .until(() -> !ready(ns, "rt-router-0"));

        ns.client()
            .pods()
            .inNamespace(ns.name())
            .resource(probedPod("rt-generation-0", "rt", "generation", 3))
            .create();
        await().atMost(POD_TIMEOUT).until(() -> ready(ns, "rt-router-0"));
        assertThat(router.isReady()).isTrue();
        assertThat(kubelet.restartCount("rt-router-0")).isZero();
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(router.baseUri().resolve("/v1/completions"))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hi\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      }
    }
  }
}
