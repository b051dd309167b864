package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.disagg.e2e.testing.Testbed;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.OperatorRunner;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reconciler end to end on a real API server with simulated GPU nodes: samples become Ready
 * with the exact children, spec changes roll only what they affect, deleted children come back, an
 * unchanged cluster costs no writes, and bad input is refused where the user looks.
 */
@ClusterTest
class DisaggClusterReconcilerIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final YAMLMapper YAML = new YAMLMapper();

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = io.disagg.operator.testing.LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void minimalSampleBecomesReadyWithExactlyItsChildren(TestNamespace ns) throws Exception {
    try (Testbed bed = Testbed.start(ns)) {
      OperatorRunner op = bed.operator();
      DisaggCluster cr = create(ns, bed.sample("minimal.yaml"));
      awaitReady(ns, cr);
      // Ready needs minimalInstances (1) registered; wait for every worker to have registered.
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster d = get(ns, "tinyllama");
                assertThat(d.getStatus().getContext().getRegisteredInstances()).isEqualTo(2);
                assertThat(d.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
              });
      DisaggCluster ready = get(ns, "tinyllama");

      assertThat(ready.getStatus().getObservedGeneration())
          .isEqualTo(ready.getMetadata().getGeneration());
      assertThat(ready.getStatus().getContext().getReadyReplicas()).isEqualTo(2);
      assertThat(ready.getStatus().getContext().getDesiredReplicas()).isEqualTo(2);
      assertThat(ready.getStatus().getGeneration().getReadyReplicas()).isEqualTo(1);
      assertThat(ready.getStatus().getRouter().getReadyReplicas()).isEqualTo(1);
      assertThat(ready.getStatus().getRouter().getEndpoint())
          .isEqualTo("http://tinyllama-router." + ns.name() + ".svc:8000");
      assertThat(ready.getStatus().getClusterName()).isEqualTo(ns.name() + ".tinyllama");
      // What the router sees: every worker registered in etcd, each matching one of our pods.
      assertThat(ready.getStatus().getContext().getRegisteredInstances()).isEqualTo(2);
      assertThat(ready.getStatus().getGeneration().getRegisteredInstances()).isEqualTo(1);
      assertThat(ready.getStatus().getDiscovery().getReachable()).isTrue();
      assertThat(ready.getStatus().getDiscovery().getUnmatched()).isEmpty();

      KubernetesClient c = ns.client();
      assertThat(
              names(
                  c.configMaps()
                      .inNamespace(ns.name())
                      .withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                      .list()
                      .getItems()))
          .containsExactlyInAnyOrder("tinyllama-config", "tinyllama-fabric");
      assertThat(names(c.apps().statefulSets().inNamespace(ns.name()).list().getItems()))
          .containsExactlyInAnyOrder("tinyllama-context", "tinyllama-generation");
      assertThat(names(c.services().inNamespace(ns.name()).list().getItems()))
          .containsExactlyInAnyOrder(
              "tinyllama-context", "tinyllama-generation", "tinyllama-router");
      assertThat(
              names(c.policy().v1().podDisruptionBudget().inNamespace(ns.name()).list().getItems()))
          .containsExactlyInAnyOrder("tinyllama-context", "tinyllama-generation");
      assertThat(names(c.apps().deployments().inNamespace(ns.name()).list().getItems()))
          .containsExactly("tinyllama-router");
      for (HasMetadata child :
          List.<HasMetadata>of(
              c.apps().statefulSets().inNamespace(ns.name()).withName("tinyllama-context").get(),
              c.configMaps().inNamespace(ns.name()).withName("tinyllama-config").get(),
              c.apps().deployments().inNamespace(ns.name()).withName("tinyllama-router").get())) {
        assertThat(child.getMetadata().getOwnerReferences())
            .singleElement()
            .satisfies(o -> assertThat(o.getUid()).isEqualTo(ready.getMetadata().getUid()));
      }

      // The generated YAML is what trtllm-serve parses, with the code's field names.
      Map<String, String> data =
          c.configMaps().inNamespace(ns.name()).withName("tinyllama-config").get().getData();
      JsonNode ctx = YAML.readTree(data.get("context.yaml"));
      JsonNode gen = YAML.readTree(data.get("generation.yaml"));
      JsonNode router = YAML.readTree(data.get("router.yaml"));
      assertThat(ctx.path("disable_overlap_scheduler").asBoolean()).isTrue();
      assertThat(gen.has("disable_overlap_scheduler")).isFalse();
      assertThat(ctx.path("cache_transceiver_config").path("backend").asText()).isEqualTo("UCX");
      assertThat(ctx.path("cache_transceiver_config").path("max_tokens_in_buffer").asInt())
          .isEqualTo(2048);
      for (JsonNode n : List.of(ctx, gen, router)) {
        JsonNode dc = n.path("disagg_cluster");
        assertThat(dc.path("inactive_timeout_sec").asInt()).isEqualTo(10);
        assertThat(dc.has("inactive_interval_sec")).isFalse();
        assertThat(dc.path("cluster_name").asText()).isEqualTo(ns.name() + ".tinyllama");
        assertThat(dc.path("cluster_uri").asText()).isEqualTo("etcd://" + bed.etcd().endpoint());
        assertThat(dc.path("minimal_instances").path("context_servers").asInt()).isEqualTo(1);
      }
      assertThat(router.path("port").asInt()).isEqualTo(8000);

      // Pods run where the scheduler put them, one GPU each, started the way TensorRT-LLM needs.
      Pod worker = c.pods().inNamespace(ns.name()).withName("tinyllama-context-0").get();
      assertThat(worker.getSpec().getNodeName()).isNotBlank();
      var container = worker.getSpec().getContainers().get(0);
      assertThat(container.getResources().getLimits())
          .containsEntry("nvidia.com/gpu", new Quantity("1"));
      assertThat(String.join(" ", container.getCommand()))
          .contains("--server_role CONTEXT")
          .contains("$POD_IP")
          .doesNotContain("0.0.0.0");
    }
  }

  @Test
  void efaSampleRequestsFabricAndKeepsBothPoolsInOneZone(TestNamespace ns) {
    try (Testbed bed = Testbed.start(ns)) {
      OperatorRunner op = bed.operator();
      DisaggCluster cr = create(ns, bed.sample("aws-efa-p5.yaml"));
      awaitReady(ns, cr);
      KubernetesClient c = ns.client();
      List<Pod> workers =
          c.pods()
              .inNamespace(ns.name())
              .withLabel(Labels.PART_OF, "llama-70b-efa-workers")
              .list()
              .getItems();
      assertThat(workers).hasSize(2);
      for (Pod p : workers) {
        var limits = p.getSpec().getContainers().get(0).getResources().getLimits();
        assertThat(limits)
            .containsEntry("nvidia.com/gpu", new Quantity("8"))
            .containsEntry("vpc.amazonaws.com/efa", new Quantity("32"))
            .containsEntry("hugepages-2Mi", new Quantity("5120Mi"));
        assertThat(
                p.getSpec().getContainers().get(0).getSecurityContext().getCapabilities().getAdd())
            .contains("IPC_LOCK", "SYS_RESOURCE");
      }
      var zones =
          workers.stream()
              .map(
                  p ->
                      c.nodes()
                          .withName(p.getSpec().getNodeName())
                          .get()
                          .getMetadata()
                          .getLabels()
                          .get("topology.kubernetes.io/zone"))
              .collect(Collectors.toSet());
      assertThat(zones).hasSize(1);
      Map<String, String> env =
          c.configMaps().inNamespace(ns.name()).withName("llama-70b-efa-fabric").get().getData();
      assertThat(env)
          .containsEntry("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC")
          .containsEntry("FI_PROVIDER", "efa")
          .containsEntry("FI_EFA_USE_DEVICE_RDMA", "1");
    }
  }

  @Test
  void specChangesRollOnlyTheAffectedPoolAndDeletedChildrenReturn(TestNamespace ns) {
    try (Testbed bed = Testbed.start(ns)) {
      OperatorRunner op = bed.operator();
      DisaggCluster cr = create(ns, bed.sample("minimal.yaml"));
      awaitReady(ns, cr);
      KubernetesClient c = ns.client();
      StatefulSet ctxBefore = sts(ns, "tinyllama-context");
      StatefulSet genBefore = sts(ns, "tinyllama-generation");

      mergePatch(
          ns,
          "tinyllama",
          "{\"spec\":{\"generation\":{\"llmApiOptions\":{\"max_batch_size\":64}}}}");
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(configHash(sts(ns, "tinyllama-generation")))
                      .isNotEqualTo(configHash(genBefore)));
      assertThat(configHash(sts(ns, "tinyllama-context"))).isEqualTo(configHash(ctxBefore));
      assertThat(sts(ns, "tinyllama-context").getMetadata().getGeneration())
          .isEqualTo(ctxBefore.getMetadata().getGeneration());

      // The image decides whether workers can pair: a new pairing revision, under its own names,
      // replaces the first one (docs/rollouts.md), whose StatefulSets are then deleted.
      mergePatch(
          ns, "tinyllama", "{\"spec\":{\"image\":\"nvcr.io/nvidia/tensorrt-llm/release:1.2.0\"}}");
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                List<StatefulSet> all =
                    c.apps().statefulSets().inNamespace(ns.name()).list().getItems();
                assertThat(all)
                    .extracting(s -> s.getMetadata().getName())
                    .hasSize(2)
                    .allMatch(n -> n.matches("tinyllama-[0-9a-f]{5}-(ctx|gen)"));
                assertThat(all)
                    .extracting(
                        s -> s.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                    .containsOnly("nvcr.io/nvidia/tensorrt-llm/release:1.2.0");
              });
      String ctxName =
          c.apps().statefulSets().inNamespace(ns.name()).list().getItems().stream()
              .map(s -> s.getMetadata().getName())
              .filter(n -> n.endsWith("-ctx"))
              .findFirst()
              .orElseThrow();
      String fabric = ctxName.replace("-ctx", "-fab");

      String oldUid = sts(ns, ctxName).getMetadata().getUid();
      c.apps().statefulSets().inNamespace(ns.name()).withName(ctxName).delete();
      c.configMaps().inNamespace(ns.name()).withName(fabric).delete();
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                StatefulSet again = sts(ns, ctxName);
                assertThat(again).isNotNull();
                assertThat(again.getMetadata().getUid()).isNotEqualTo(oldUid);
                assertThat(c.configMaps().inNamespace(ns.name()).withName(fabric).get())
                    .isNotNull();
              });
      awaitReady(ns, cr);
    }
  }

  @Test
  void reconcileOfAnUnchangedClusterWritesNothing(TestNamespace ns) {
    try (Testbed bed = Testbed.start(ns)) {
      OperatorRunner op = bed.operator();
      DisaggCluster cr = create(ns, bed.sample("minimal.yaml"));
      awaitReady(ns, cr);
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  !Conditions.isTrue(
                      get(ns, "tinyllama").getStatus().getConditions(), ConditionType.PROGRESSING));
      int before = op.reconciles();
      assertThat(bed.writesDuringUnchangedReconciles("tinyllama-context-0", 3, TIMEOUT))
          .as("writes by the operator during unchanged reconciles")
          .isEmpty();
      assertThat(op.reconciles()).isGreaterThanOrEqualTo(before + 3);
    }
  }

  @Test
  void invalidSpecsAreRefusedByTheApiServerNamingTheField(TestNamespace ns) {
    var api = ns.client().resources(DisaggCluster.class).inNamespace(ns.name());

    DisaggCluster minAboveMax = Samples.load("minimal.yaml");
    minAboveMax.getSpec().getContext().setMinimalInstances(5);
    minAboveMax.getSpec().getContext().setReplicas(null);
    assertThatThrownBy(() -> api.resource(minAboveMax).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.context")
        .hasMessageContaining("minimalInstances must be less than or equal to maxInstances");

    DisaggCluster heartbeat = Samples.load("minimal.yaml");
    heartbeat.getSpec().getDiscovery().setHeartbeatIntervalSeconds(10);
    heartbeat.getSpec().getDiscovery().setInactiveTimeoutSeconds(10);
    assertThatThrownBy(() -> api.resource(heartbeat).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(
            "spec.discovery.heartbeatIntervalSeconds must be less than spec.discovery.inactiveTimeoutSeconds");

    DisaggCluster badRouter = Samples.load("minimal.yaml");
    badRouter.getSpec().getRouter().setPort(70000);
    assertThatThrownBy(() -> api.resource(badRouter).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.router.port");

    DisaggCluster noModel = Samples.load("minimal.yaml");
    noModel.getSpec().setModel("");
    assertThatThrownBy(() -> api.resource(noModel).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.model must not be empty or blank");
    DisaggCluster blankImage = Samples.load("minimal.yaml");
    blankImage.getSpec().setImage("  ");
    assertThatThrownBy(() -> api.resource(blankImage).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.image must not be empty or blank");

    // Quantities are parsed as Kubernetes parses its own (CEL isQuantity): a malformed or
    // non-positive size is refused before any child exists, naming the field.
    DisaggCluster spacedShm = Samples.load("minimal.yaml");
    spacedShm.getSpec().getGeneration().setShmSize(new Quantity("16 Gi"));
    assertThatThrownBy(() -> api.resource(spacedShm).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.generation.shmSize")
        .hasMessageContaining("must be a positive Kubernetes quantity")
        .hasMessageContaining("not '16 Gi'");
    DisaggCluster gigabytes = Samples.load("aws-efa-p5.yaml");
    gigabytes.getSpec().getFabric().getEfa().setHugepages2Mi(new Quantity("5GB"));
    assertThatThrownBy(() -> api.resource(gigabytes).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.fabric.efa.hugepages2Mi")
        .hasMessageContaining("not '5GB'");
    DisaggCluster zeroShm = Samples.load("minimal.yaml");
    zeroShm.getSpec().getContext().setShmSize(new Quantity("0"));
    assertThatThrownBy(() -> api.resource(zeroShm).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.context.shmSize")
        .hasMessageContaining("must be a positive Kubernetes quantity");
    DisaggCluster wellFormed = Samples.load("minimal.yaml");
    wellFormed.getMetadata().setName("well-formed-sizes");
    wellFormed.getSpec().getContext().setShmSize(new Quantity("1.5Gi"));
    wellFormed.getSpec().getGeneration().setShmSize(new Quantity("17179869184"));
    assertThat(api.resource(wellFormed).create().getSpec().getContext().getShmSize())
        .isEqualTo(new Quantity("1.5Gi"));
    api.resource(wellFormed).delete();

    DisaggCluster longName = Samples.load("minimal.yaml");
    longName.getMetadata().setName("a-very-long-name-that-would-break-child-names-x");
    assertThatThrownBy(() -> api.resource(longName).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("metadata.name must be at most 40 characters");
  }

  @Test
  void semanticErrorBecomesDegradedConditionAndWarningEvent(TestNamespace ns) {
    try (Testbed bed = Testbed.start(ns)) {
      OperatorRunner op = bed.operator();
      DisaggCluster cr = bed.sample("minimal.yaml");
      cr.getSpec().getContext().getResources().getLimits().put("nvidia.com/gpu", new Quantity("2"));
      create(ns, cr);
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster d = get(ns, "tinyllama");
                assertThat(d.getStatus()).isNotNull();
                assertThat(Conditions.find(d.getStatus().getConditions(), ConditionType.DEGRADED))
                    .hasValueSatisfying(
                        degraded -> {
                          assertThat(degraded.getStatus()).isEqualTo("True");
                          assertThat(degraded.getReason()).isEqualTo("SpecInvalid");
                          assertThat(degraded.getMessage()).contains("spec.context.resources");
                        });
              });
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
                      .anySatisfy(
                          e -> {
                            assertThat(e.getType()).isEqualTo("Warning");
                            assertThat(e.getReason()).isEqualTo("SpecInvalid");
                            assertThat(e.getInvolvedObject().getName()).isEqualTo("tinyllama");
                            assertThat(e.getMessage()).contains("spec.context.resources");
                          }));
      // Nothing was created from an invalid spec.
      assertThat(ns.client().apps().statefulSets().inNamespace(ns.name()).list().getItems())
          .isEmpty();
    }
  }

  private static DisaggCluster create(TestNamespace ns, DisaggCluster cr) {
    return DisaggClusters.create(ns, cr);
  }

  private static void mergePatch(TestNamespace ns, String name, String json) {
    DisaggClusters.mergePatch(ns, name, json);
  }

  private static DisaggCluster get(TestNamespace ns, String name) {
    return DisaggClusters.get(ns, name);
  }

  private static DisaggCluster awaitReady(TestNamespace ns, DisaggCluster cr) {
    return DisaggClusters.awaitReady(ns, cr.getMetadata().getName(), TIMEOUT);
  }

  private static StatefulSet sts(TestNamespace ns, String name) {
    return ns.client().apps().statefulSets().inNamespace(ns.name()).withName(name).get();
  }

  private static String configHash(StatefulSet s) {
    return s.getSpec().getTemplate().getMetadata().getAnnotations().get(Labels.CONFIG_HASH);
  }

  private static List<String> names(List<? extends HasMetadata> items) {
    return items.stream().map(i -> i.getMetadata().getName()).toList();
  }
}
