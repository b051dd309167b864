package io.disagg.operator.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The offline admission ({@link CrdAdmission}) against the real API server of the local cluster
 * (Kubernetes 1.33, the CRD from {@code crds/}): for specs that break each kind of check (schema
 * type, enum, bounds, lengths, patterns, list sizes, required, metadata name, every CEL rule,
 * unknown fields), a server-side dry-run create with strict field validation is refused with
 * exactly the messages the offline admission gives; the samples are accepted by both and stored
 * with the same defaults.
 */
@ClusterTest
class CrdAdmissionIT {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final CrdAdmission OFFLINE = CrdAdmission.builtIn();

  private static final String HEAD =
      """
      apiVersion: serving.disagg.io/v1alpha1
      kind: DisaggCluster
      metadata: {name: %s}
      spec:
        model: m
        image: i
        discovery: {etcd: {endpoints: ["etcd:2379"]}}
      """;

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  /** Invalid specs, each with the spec lines after the common head. */
  static final List<String> INVALID =
      List.of(
          // schema: minimum, and the CEL rules of spec.model, spec.discovery, spec.context
          """
            model: "  "
            discovery: {heartbeatIntervalSeconds: 10, inactiveTimeoutSeconds: 10}
            context: {port: 0, replicas: 5, maxInstances: 2}
            generation: {minimalInstances: 3, maxInstances: 2}
          """,
          // schema: enum, type, int-or-string, minLength + pattern, maxItems (block the CEL rules)
          """
            backend: foo
            context: {port: "x", shmSize: true}
            generation: {}
            discovery: {clusterName: "", etcd: {endpoints: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]}}
          """,
          // required; maxLength
          """
            context: {}
            discovery: {clusterName: %s}
          """
              .formatted("c".repeat(64)),
          // pattern
          """
            context: {}
            generation: {}
            discovery: {clusterName: "-x"}
          """,
          // exclusiveMinimum, maximum, minItems, pattern of a URL; CEL rules of autoscaling
          """
            context:
              maxInstances: 4
              autoscaling:
                enabled: true
                source: Prometheus
                prometheus: {url: "ftp://x"}
                metrics: []
            generation:
              autoscaling:
                enabled: true
                metrics: [{type: KvCacheUtilization, target: 1.5}, {type: KvCacheUtilization, target: 0}]
            autoscaling: {ratio: {minContextPerGeneration: 3, maxContextPerGeneration: 2000}}
          """,
          // CEL: env keys, EFA without NIXL, conditional disaggregation without kv_cache_aware
          """
            kvCacheTransfer: {backend: UCX, env: {FI_PROVIDER: efa, OTHER: x}}
            fabric: {efa: {enabled: true}}
            router: {maxLocalPrefillLength: 100}
            context: {}
            generation: {maxInstances: 2, autoscaling: {enabled: true, source: Router}}
          """,
          // quantities (CEL isQuantity, quantity, messageExpression)
          """
            context: {shmSize: "16 Gi"}
            generation: {shmSize: 0}
            fabric: {efa: {hugepages2Mi: "-1Mi"}}
          """,
          // rollout: maxSurge (int-or-string CEL rule), strategy (enum)
          """
            context: {}
            generation: {}
            rollout: {context: {maxSurge: 0}, generation: {maxSurge: "101%"}}
          """,
          """
            context: {}
            generation: {}
            rollout: {strategy: Rolling, context: {maxSurge: 1.5}}
          """,
          // CEL: NetworkPolicy peers (empty peer; ipBlock with a selector)
          """
            context: {}
            generation: {}
            networkPolicy:
              routerFrom: [{}]
              monitoring: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]
          """,
          // unknown fields
          """
            foo: 1
            context: {bar: 2}
            generation: {}
          """);

  @Test
  void refusalsAreTheApiServersWordForWord(TestNamespace ns) throws Exception {
    for (String spec : INVALID) {
      compare(ns, HEAD.formatted("demo") + spec);
    }
    // metadata.name: not a DNS subdomain; longer than the CEL rule's 40 characters
    compare(ns, HEAD.formatted("Demo_1") + "  context: {}\n  generation: {}\n");
    compare(ns, HEAD.formatted("d".repeat(41)) + "  context: {}\n  generation: {}\n");
  }

  @Test
  void samplesAreAcceptedAndDefaultedAlike(TestNamespace ns) throws Exception {
    for (String sample : List.of("minimal.yaml", "aws-efa-p5.yaml")) {
      String yaml =
          Files.readString(LocalCluster.repoRoot().resolve("config-samples").resolve(sample));
      Map<String, Object> object = object(yaml, ns.name());
      CrdAdmission.Result offline = OFFLINE.admit(object);
      assertThat(offline.messages()).as(sample).isEmpty();
      GenericKubernetesResource stored =
          ns.client()
              .resource(JSON.convertValue(object, GenericKubernetesResource.class))
              .inNamespace(ns.name())
              .dryRun()
              .fieldValidation(FieldValidateable.Validation.STRICT)
              .create();
      Object storedSpec = CrdAdmission.normalize(JSON.convertValue(stored, Map.class).get("spec"));
      assertThat(storedSpec)
          .as(sample + ": spec as stored")
          .isEqualTo(offline.object().get("spec"));
    }
  }

  private static void compare(TestNamespace ns, String yaml) throws Exception {
    Map<String, Object> object = object(yaml, ns.name());
    CrdAdmission.Result offline = OFFLINE.admit(object);
    assertThat(offline.accepted()).as("offline refuses:\n%s", yaml).isFalse();
    assertThatThrownBy(
            () ->
                ns.client()
                    .resource(JSON.convertValue(object, GenericKubernetesResource.class))
                    .inNamespace(ns.name())
                    .dryRun()
                    .fieldValidation(FieldValidateable.Validation.STRICT)
                    .create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              if (!offline.unknownFields().isEmpty()) {
                assertThat(e.getStatus().getMessage())
                    .as("strict decoding of\n%s", yaml)
                    .isEqualTo(offline.messages().get(0));
                return;
              }
              TreeSet<String> server = new TreeSet<>();
              for (StatusCause c : e.getStatus().getDetails().getCauses()) {
                server.add(c.getField() + ": " + c.getMessage());
              }
              assertThat(new TreeSet<>(offline.messages()))
                  .as("messages for\n%s\nserver said: %s", yaml, e.getStatus().getMessage())
                  .isEqualTo(server);
            });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(String yaml, String namespace) throws Exception {
    Map<String, Object> o = YAML.readValue(yaml, Map.class);
    ((Map<String, Object>) o.get("metadata")).put("namespace", namespace);
    return o;
  }
}
