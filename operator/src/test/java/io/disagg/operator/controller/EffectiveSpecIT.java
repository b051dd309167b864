package io.disagg.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.LogLevel;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.OperatorRunner;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reconciler on the effective spec: a DisaggCluster that names no etcd, run by an operator
 * without a default ({@code disagg.discovery.default-etcd-endpoints} unset, as in this test JVM),
 * is a spec problem the user can fix (Degraded, SpecInvalid, the field named, a Warning Event, no
 * child created), not a reconcile error retried with back-off. The resource itself is left as the
 * user wrote it.
 */
@ClusterTest
class EffectiveSpecIT {

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void noEtcdEndpointAndNoOperatorDefaultIsSpecInvalidNamingTheField(TestNamespace ns) {
    try (OperatorRunner operator = OperatorRunner.start(ns.name())) {
      DisaggCluster cr = Samples.load("minimal.yaml");
      cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>());
      DisaggClusters.create(ns, cr);
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                DisaggCluster got = DisaggClusters.get(ns, "tinyllama");
                assertThat(got.getStatus()).isNotNull();
                assertThat(Conditions.find(got.getStatus().getConditions(), ConditionType.DEGRADED))
                    .hasValueSatisfying(
                        d -> {
                          assertThat(d.getStatus()).isEqualTo("True");
                          assertThat(d.getReason()).isEqualTo("SpecInvalid");
                          assertThat(d.getMessage()).contains("spec.discovery.etcd.endpoints");
                        });
                assertThat(Conditions.find(got.getStatus().getConditions(), ConditionType.READY))
                    .as("what blocks readiness first")
                    .hasValueSatisfying(r -> assertThat(r.getReason()).isEqualTo("SpecInvalid"));
              });
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .anySatisfy(e -> assertThat(e.getMessage()).contains("spec.discovery.etcd.endpoints"));
      assertThat(ns.client().apps().statefulSets().inNamespace(ns.name()).list().getItems())
          .isEmpty();
      assertThat(
              DisaggClusters.get(ns, "tinyllama").getSpec().getDiscovery().getEtcd().getEndpoints())
          .as("the resource is not changed")
          .isEmpty();
    }
  }

  /**
   * The release comes from the image tag and is shown in status.trtllm; a log level that release's
   * trtllm-serve refuses (tensorrt_llm/logger.py has no debug) is SpecInvalid naming the field and
   * the release, with nothing applied; fixing it lets the children be created.
   */
  @Test
  void aSettingTheReleaseRefusesIsSpecInvalidNamingFieldAndRelease(TestNamespace ns) {
    try (OperatorRunner operator = OperatorRunner.start(ns.name())) {
      DisaggCluster cr = Samples.load("minimal.yaml");
      cr.getSpec().setImage("nvcr.io/nvidia/tensorrt-llm/release:1.2.0rc1");
      cr.getSpec().setLogLevel(LogLevel.DEBUG);
      DisaggClusters.create(ns, cr);
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                DisaggCluster got = DisaggClusters.get(ns, "tinyllama");
                assertThat(got.getStatus()).isNotNull();
                assertThat(got.getStatus().getTrtllm())
                    .isNotNull()
                    .satisfies(
                        t -> {
                          assertThat(t.getRelease()).isEqualTo("1.2");
                          assertThat(t.getSource()).isEqualTo("ImageTag");
                        });
                assertThat(Conditions.find(got.getStatus().getConditions(), ConditionType.DEGRADED))
                    .hasValueSatisfying(
                        d -> {
                          assertThat(d.getReason()).isEqualTo("SpecInvalid");
                          assertThat(d.getMessage()).contains("spec.logLevel", "TensorRT-LLM 1.2");
                        });
              });
      assertThat(ns.client().apps().statefulSets().inNamespace(ns.name()).list().getItems())
          .isEmpty();

      DisaggClusters.mergePatch(ns, "tinyllama", "{\"spec\":{\"logLevel\":\"verbose\"}}");
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(
                          ns.client()
                              .apps()
                              .statefulSets()
                              .inNamespace(ns.name())
                              .list()
                              .getItems())
                      .hasSize(2));
    }
  }
}
