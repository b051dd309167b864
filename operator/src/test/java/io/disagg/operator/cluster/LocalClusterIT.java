package io.disagg.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Proves the local control plane is a real one: the scheduler places GPU pods on simulated GPU
 * nodes and refuses what does not fit, the API server validates CRD schemas and supports
 * server-side apply.
 */
@ClusterTest
class LocalClusterIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @Test
  void nodesAdvertiseGpusEfaAndZones(TestNamespace ns) {
    var nodes = ns.client().nodes().list().getItems();
    assertThat(nodes).isNotEmpty();
    assertThat(nodes)
        .allSatisfy(
            n -> {
              assertThat(n.getStatus().getAllocatable())
                  .containsEntry("nvidia.com/gpu", new Quantity("8"))
                  .containsEntry("vpc.amazonaws.com/efa", new Quantity("32"))
                  .containsKey("hugepages-2Mi");
              assertThat(n.getMetadata().getLabels()).containsKey("topology.kubernetes.io/zone");
            });
    assertThat(
            nodes.stream()
                .map(Node::getMetadata)
                .map(m -> m.getLabels().get("topology.kubernetes.io/zone"))
                .distinct())
        .hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void statefulSetRequestingEightGpusBecomesReady(TestNamespace ns) {
    StatefulSet sts =
        new StatefulSetBuilder()
            .withNewMetadata()
            .withName("gpu8")
            .endMetadata()
            .withNewSpec()
            .withReplicas(1)
            .withServiceName("gpu8")
            .withNewSelector()
            .addToMatchLabels("app", "gpu8")
            .endSelector()
            .withNewTemplate()
            .withNewMetadata()
            .addToLabels("app", "gpu8")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("worker")
            .withImage("example.invalid/trtllm:none")
            .withNewResources()
            .addToLimits("nvidia.com/gpu", new Quantity("8"))
            .addToRequests("nvidia.com/gpu", new Quantity("8"))
            .endResources()
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    ns.client().apps().statefulSets().inNamespace(ns.name()).resource(sts).create();

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              StatefulSet s =
                  ns.client().apps().statefulSets().inNamespace(ns.name()).withName("gpu8").get();
              assertThat(s.getStatus().getReadyReplicas()).isEqualTo(1);
            });
    Pod pod = ns.client().pods().inNamespace(ns.name()).withName("gpu8-0").get();
    assertThat(pod.getSpec().getNodeName()).isNotBlank();
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
  }

  @Test
  void podRequestingNineGpusStaysPendingWithSchedulerReason(TestNamespace ns) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("gpu9")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("worker")
            .withImage("example.invalid/trtllm:none")
            .withNewResources()
            .addToLimits("nvidia.com/gpu", new Quantity("9"))
            .addToRequests("nvidia.com/gpu", new Quantity("9"))
            .endResources()
            .endContainer()
            .endSpec()
            .build();
    ns.client().pods().inNamespace(ns.name()).resource(pod).create();

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Pod p = ns.client().pods().inNamespace(ns.name()).withName("gpu9").get();
              assertThat(p.getStatus().getConditions())
                  .anySatisfy(
                      c -> {
                        assertThat(c.getType()).isEqualTo("PodScheduled");
                        assertThat(c.getStatus()).isEqualTo("False");
                        assertThat(c.getReason()).isEqualTo("Unschedulable");
                        assertThat(c.getMessage()).contains("Insufficient nvidia.com/gpu");
                      });
            });
    assertThat(
            ns.client().pods().inNamespace(ns.name()).withName("gpu9").get().getStatus().getPhase())
        .isEqualTo("Pending");
  }

  @Test
  void crdSchemaRejectsInvalidObjectWithValidationMessage(TestNamespace ns) {
    String plural = "widgets" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    String group = "test.serving.disagg.io";
    CustomResourceDefinition crd =
        new CustomResourceDefinitionBuilder()
            .withNewMetadata()
            .withName(plural + "." + group)
            .endMetadata()
            .withNewSpec()
            .withGroup(group)
            .withScope("Namespaced")
            .withNewNames()
            .withKind("Widget" + plural)
            .withPlural(plural)
            .endNames()
            .addNewVersion()
            .withName("v1")
            .withServed(true)
            .withStorage(true)
            .withNewSchema()
            .withOpenAPIV3Schema(
                new JSONSchemaPropsBuilder()
                    .withType("object")
                    .addToProperties(
                        "spec",
                        new JSONSchemaPropsBuilder()
                            .withType("object")
                            .addToProperties(
                                "replicas",
                                new JSONSchemaPropsBuilder()
                                    .withType("integer")
                                    .withMinimum(1.0)
                                    .build())
                            .build())
                    .build())
            .endSchema()
            .endVersion()
            .endSpec()
            .build();
    var crds = ns.client().apiextensions().v1().customResourceDefinitions();
    crds.resource(crd).create();
    try {
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                var c = crds.withName(crd.getMetadata().getName()).get();
                return c.getStatus() != null
                    && c.getStatus().getConditions() != null
                    && c.getStatus().getConditions().stream()
                        .anyMatch(
                            x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
              });
      GenericKubernetesResource bad =
          new GenericKubernetesResourceBuilder()
              .withApiVersion(group + "/v1")
              .withKind("Widget" + plural)
              .withNewMetadata()
              .withName("bad")
              .withNamespace(ns.name())
              .endMetadata()
              .withAdditionalProperties(Map.of("spec", Map.of("replicas", 0)))
              .build();
      assertThatThrownBy(() -> ns.client().resource(bad).create())
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("spec.replicas")
          .hasMessageContaining("should be greater than or equal to 1");
    } finally {
      crds.withName(crd.getMetadata().getName()).delete();
    }
  }

  @Test
  void serverSideApplyCreatesUpdatesAndRecordsTheFieldManager(TestNamespace ns) {
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("ssa")
            .withNamespace(ns.name())
            .endMetadata()
            .addToData("a", "1")
            .build();
    var op = ns.client().configMaps().inNamespace(ns.name());
    op.resource(cm).fieldManager("disagg-test").forceConflicts().serverSideApply();
    cm.getData().put("a", "2");
    ConfigMap applied =
        op.resource(cm).fieldManager("disagg-test").forceConflicts().serverSideApply();

    assertThat(applied.getData()).containsEntry("a", "2");
    assertThat(applied.getMetadata().getManagedFields())
        .anySatisfy(
            f -> {
              assertThat(f.getManager()).isEqualTo("disagg-test");
              assertThat(f.getOperation()).isEqualTo("Apply");
            });
  }
}
