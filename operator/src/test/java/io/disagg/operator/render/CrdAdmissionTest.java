package io.disagg.operator.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.disagg.operator.testing.Samples;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The offline admission of the operator's CRD: it is the committed one, every keyword and rule of
 * it is evaluated, defaults are applied as the API server applies them, and the messages have the
 * API server's form (their exact wording against a real API server: {@code CrdAdmissionIT}).
 */
class CrdAdmissionTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final CrdAdmission CRD = CrdAdmission.builtIn();

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(String yaml) throws Exception {
    return YAML.readValue(yaml, Map.class);
  }

  private static String cluster(String spec) {
    return """
        apiVersion: serving.disagg.io/v1alpha1
        kind: DisaggCluster
        metadata: {name: demo, namespace: ns}
        spec:
          model: m
          image: i
          context: {}
          generation: {}
        """
        + spec;
  }

  @Test
  void theBuiltInCrdIsTheCommittedOne() throws Exception {
    try (InputStream in = CrdAdmission.class.getResourceAsStream(CrdAdmission.CRD_RESOURCE)) {
      assertThat(in).isNotNull();
      assertThat(new String(in.readAllBytes())).isEqualTo(Files.readString(Samples.crdFile()));
    }
    assertThat(CRD.kind()).isEqualTo("DisaggCluster");
    assertThat(CRD.apiVersions()).containsExactly("serving.disagg.io/v1alpha1");
  }

  @Test
  void everyKeywordAndEveryRuleOfTheCrdIsEvaluatedOffline() {
    assertThat(CRD.unsupportedKeywords())
        .as("schema keywords the offline admission does not evaluate; add them to CrdAdmission")
        .isEmpty();
    assertThat(CRD.uncompilableRules())
        .as(
            "CEL rules that do not compile offline (a Kubernetes extension function needs a"
                + " binding in CelRules)")
        .isEmpty();
  }

  @Test
  void whatAnotherCrdUsesBeyondTheEvaluatorIsNamedAsNotChecked() throws Exception {
    String crd =
        Files.readString(Samples.crdFile())
            .replace(
                "rule: \"self.matches('\\\\\\\\S')\"",
                "rule: \"isURL(self)\"\n                  fieldPath: \".x\"")
            .replace(
                "heartbeatIntervalSeconds:\n",
                "heartbeatIntervalSeconds:\n                    format: int32\n");
    CrdAdmission other =
        CrdAdmission.read(new java.io.ByteArrayInputStream(crd.getBytes(StandardCharsets.UTF_8)));
    assertThat(other.unsupportedKeywords())
        .containsExactly("format", "x-kubernetes-validations[].fieldPath");
    assertThat(other.uncompilableRules())
        .allSatisfy(r -> assertThat(r).startsWith("isURL(self): "))
        .hasSize(2);
    CrdAdmission.Result r = other.admit(object(cluster("")));
    assertThat(r.accepted()).isTrue();
    assertThat(r.notChecked())
        .contains("schema keyword format", "schema keyword x-kubernetes-validations[].fieldPath")
        .anySatisfy(n -> assertThat(n).startsWith("spec.model: isURL(self) ("));
  }

  @Test
  void defaultsAreAppliedAsTheApiServerAppliesThem() throws Exception {
    CrdAdmission.Result r = CRD.admit(object(cluster("  router: {}\n  discovery: {}\n")));
    assertThat(r.messages()).isEmpty();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) r.object().get("spec");
    assertThat(spec)
        .containsEntry("backend", "pytorch")
        .containsEntry("imagePullPolicy", "IfNotPresent");
    assertThat(spec.get("context"))
        .isEqualTo(
            Map.of(
                "drainTimeoutSeconds", 300L,
                "minimalInstances", 1L,
                "pipelineParallelSize", 1L,
                "port", 8000L,
                "startupTimeoutSeconds", 1800L,
                "tensorParallelSize", 1L,
                "terminationGracePeriodSeconds", 300L));
    assertThat(spec.get("discovery"))
        .as("defaults inside an object given empty")
        .isEqualTo(
            Map.of(
                "heartbeatIntervalSeconds",
                5L,
                "inactiveTimeoutSeconds",
                10L,
                "removeForeignRegistrations",
                true,
                "foreignGraceSeconds",
                2L));
    assertThat(spec).doesNotContainKey("fabric").as("no default for an absent object");
  }

  @Test
  void nullsAreDroppedOrDefaulted() throws Exception {
    CrdAdmission.Result r =
        CRD.admit(object(cluster("  backend: null\n  logLevel: null\n  fabric: null\n")));
    assertThat(r.messages()).isEmpty();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) r.object().get("spec");
    assertThat(spec).containsEntry("backend", "pytorch").doesNotContainKeys("logLevel", "fabric");
  }

  @Test
  void networkPolicyPeersAreCheckedByTheCelRules() throws Exception {
    CrdAdmission.Result r =
        CRD.admit(
            object(
                cluster(
                    "  networkPolicy:\n"
                        + "    routerFrom: [{}]\n"
                        + "    monitoring: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]\n")));
    assertThat(r.accepted()).isFalse();
    assertThat(String.join("\n", r.messages()))
        .contains("spec.networkPolicy.routerFrom")
        .contains("each peer needs podSelector, namespaceSelector or ipBlock")
        .contains("spec.networkPolicy.monitoring")
        .contains("a peer with ipBlock may not also have podSelector or namespaceSelector");
    CrdAdmission.Result ok =
        CRD.admit(
            object(
                cluster(
                    "  networkPolicy:\n"
                        + "    routerFrom: [{podSelector: {}}, {ipBlock: {cidr: 0.0.0.0/0}}]\n"
                        + "    monitoring: []\n")));
    assertThat(ok.messages()).isEmpty();
  }

  @Test
  void statusIsIgnoredOnCreate() throws Exception {
    CrdAdmission.Result r = CRD.admit(object(cluster("status: {observedGeneration: x}\n")));
    assertThat(r.messages()).isEmpty();
    assertThat(r.object()).doesNotContainKey("status");
  }

  @Test
  void unknownFieldsAreRefusedBeforeAnyValidation() throws Exception {
    CrdAdmission.Result r =
        CRD.admit(
            object(
                cluster("  foo: 1\n  backend: nope\n  router: {extraConfig: {anything: 1}}\n")
                    .replace("context: {}", "context: {llmApiOptions: {free: {form: 1}}, bar: 2}")
                    .replace("namespace: ns}", "namespace: ns, labelz: {}}")));
    assertThat(r.accepted()).isFalse();
    assertThat(r.unknownFields())
        .containsExactly("metadata.labelz", "spec.context.bar", "spec.foo");
    assertThat(r.messages())
        .containsExactly(
            "DisaggCluster in version \"v1alpha1\" cannot be handled as a DisaggCluster: strict"
                + " decoding error: unknown field \"metadata.labelz\", unknown field"
                + " \"spec.context.bar\", unknown field \"spec.foo\"");
  }

  @Test
  void schemaErrorsBlockTheCelRulesAsTheApiServerDoes() throws Exception {
    CrdAdmission.Result r =
        CRD.admit(object(cluster("  backend: foo\n  model: \" \"\n").replace("  model: m\n", "")));
    assertThat(r.messages())
        .containsExactly(
            "spec.backend: Unsupported value: \"foo\": supported values: \"_autodeploy\","
                + " \"pytorch\", \"tensorrt\"",
            "<nil>: Invalid value: \"null\": " + CrdAdmission.CEL_NOT_CHECKED);
  }

  @Test
  void boundsAndListSizesAreWordedAsKubeOpenapiWordsThem() throws Exception {
    CrdAdmission.Result r =
        CRD.admit(
            object(
                cluster(
                        "  discovery: {etcd: {endpoints: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]}}\n"
                            + "  autoscaling: {ratio: {minContextPerGeneration: 0, maxContextPerGeneration: 1000.5}}\n")
                    .replace("context: {}", "context: {port: 70000}")));
    assertThat(r.messages())
        .contains(
            "spec.context.port: Invalid value: 70000: spec.context.port in body should be less"
                + " than or equal to 65535",
            "spec.discovery.etcd.endpoints: Too many: 17: must have at most 16 items",
            "spec.autoscaling.ratio.minContextPerGeneration: Invalid value: 0:"
                + " spec.autoscaling.ratio.minContextPerGeneration in body should be greater than 0",
            "spec.autoscaling.ratio.maxContextPerGeneration: Invalid value: 1000.5:"
                + " spec.autoscaling.ratio.maxContextPerGeneration in body should be less than or"
                + " equal to 1000");
  }

  @Test
  void celRuleOnTheRootSeesTheName() throws Exception {
    CrdAdmission.Result r =
        CRD.admit(object(cluster("").replace("name: demo", "name: " + "d".repeat(41))));
    assertThat(r.messages())
        .containsExactly(
            "<nil>: Invalid value: \"object\": metadata.name must be at most 40 characters: child"
                + " names such as <name>-generation-<ordinal> must fit Kubernetes limits");
  }

  @Test
  void quantitiesParseAsKubernetesParsesThem() {
    assertThat(KubeQuantity.parse("16Gi"))
        .hasValue(new KubeQuantity(new java.math.BigDecimal(16L << 30)));
    assertThat(KubeQuantity.parse("1.5k").map(q -> q.value().intValueExact())).hasValue(1500);
    assertThat(KubeQuantity.parse("1e3").map(q -> q.value().intValueExact())).hasValue(1000);
    assertThat(KubeQuantity.parse("500m").map(q -> q.value().toPlainString())).hasValue("0.500");
    assertThat(KubeQuantity.parse(".5").map(q -> q.value().toPlainString())).hasValue("0.5");
    assertThat(KubeQuantity.parse("-1Mi").map(q -> q.value().signum())).hasValue(-1);
    assertThat(KubeQuantity.parse("1E").map(q -> q.value().toPlainString()))
        .as("E alone is exa, not an exponent")
        .hasValue("1000000000000000000");
    for (String bad : List.of("", "16 Gi", "16GB", "1k5", "abc", "1e", "1Gi ")) {
      assertThat(KubeQuantity.parse(bad)).as(bad).isEmpty();
    }
  }

  @Test
  void quantityRulesOfTheCrdRefuseAMalformedOrNonPositiveSize() throws Exception {
    CrdAdmission.Result r =
        CRD.admit(
            object(
                cluster("")
                    .replace("context: {}", "context: {shmSize: \"16 Gi\"}")
                    .replace("generation: {}", "generation: {shmSize: 0}")));
    assertThat(r.messages())
        .containsExactly(
            "spec.context.shmSize: Invalid value: \"\": must be a positive Kubernetes quantity of"
                + " bytes, such as 16Gi or 512Mi (suffixes Ki, Mi, Gi, Ti, k, M, G, T; no space),"
                + " not '16 Gi'",
            "spec.generation.shmSize: Invalid value: \"\": must be a positive Kubernetes quantity"
                + " of bytes, such as 16Gi or 512Mi (suffixes Ki, Mi, Gi, Ti, k, M, G, T; no"
                + " space), not '0'");
    assertThat(
            CRD.admit(object(cluster("").replace("context: {}", "context: {shmSize: 1.5Gi}")))
                .messages())
        .isEmpty();
  }

  @Test
  void modelCacheNeedsExactlyOneOfClaimNameAndSize() throws Exception {
    assertThat(CRD.admit(object(cluster("  modelCache: {claimName: weights}\n"))).messages())
        .isEmpty();
    assertThat(
            CRD.admit(object(cluster("  modelCache: {size: 200Gi, storageClassName: efs-sc}\n")))
                .messages())
        .isEmpty();
    assertThat(CRD.admit(object(cluster("  modelCache: {mountPath: /models}\n"))).messages())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("spec.modelCache: Invalid value: \"object\": spec.modelCache: set either")
        .contains("exactly one of them");
    assertThat(
            CRD.admit(object(cluster("  modelCache: {claimName: weights, size: 200Gi}\n")))
                .messages())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("spec.modelCache: set either claimName");
    assertThat(
            CRD.admit(object(cluster("  modelCache: {claimName: w, storageClassName: efs}\n")))
                .messages())
        .anySatisfy(
            m -> assertThat(m).contains("spec.modelCache.storageClassName is only for a claim"));
    assertThat(CRD.admit(object(cluster("  modelCache: {size: \"200 Gi\"}\n"))).messages())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("spec.modelCache.size: Invalid value: \"\": must be a positive Kubernetes")
        .endsWith("not '200 Gi'");
    assertThat(
            CRD.admit(object(cluster("  modelCache: {size: 1Ti, mountPath: models}\n"))).messages())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("spec.modelCache.mountPath: Invalid value: \"models\"");
  }

  @Test
  void maxSurgeIsACountOrAPercentageNamedByItsField() throws Exception {
    for (String ok : List.of("1", "10000", "\"1%\"", "\"25%\"", "\"100%\"")) {
      CrdAdmission.Result r =
          CRD.admit(
              object(
                  cluster(
                      "  rollout: {strategy: Recreate, context: {maxSurge: "
                          + ok
                          + "}, generation: {maxSurge: "
                          + ok
                          + "}}\n")));
      assertThat(r.messages()).as(ok).isEmpty();
    }
    String message =
        "maxSurge must be a number of instances from 1 to 10000 or a percentage from 1% to 100%"
            + " of the pool, such as 2 or \"25%\"";
    for (String bad : List.of("0", "10001", "-1", "\"0%\"", "\"101%\"", "\"25\"", "\"x%\"")) {
      CrdAdmission.Result r =
          CRD.admit(object(cluster("  rollout: {generation: {maxSurge: " + bad + "}}\n")));
      assertThat(r.messages())
          .as(bad)
          .containsExactly("spec.rollout.generation.maxSurge: Invalid value: \"\": " + message);
    }
    assertThat(CRD.admit(object(cluster("  rollout: {strategy: Rolling}\n"))).messages())
        .containsExactly(
            "spec.rollout.strategy: Unsupported value: \"Rolling\": supported values:"
                + " \"Recreate\", \"RevisionSurge\"",
            "<nil>: Invalid value: \"null\": " + CrdAdmission.CEL_NOT_CHECKED);
    assertThat(CRD.admit(object(cluster("  rollout: {context: {maxSurge: 1.5}}\n"))).accepted())
        .as("neither an integer nor a string")
        .isFalse();
  }

  @Test
  void goFormattingOfValues() {
    assertThat(FieldError.goFloat(1000)).isEqualTo("1000");
    assertThat(FieldError.goFloat(0.25)).isEqualTo("0.25");
    assertThat(FieldError.goFloat(1e6)).isEqualTo("1e+06");
    assertThat(FieldError.goFloat(1.5e-5)).isEqualTo("1.5e-05");
    assertThat(FieldError.goFloat(-123456.5)).isEqualTo("-123456.5");
    assertThat(FieldError.goQuote("a\"b\\c\nd\u0001é")).isEqualTo("\"a\\\"b\\\\c\\nd\\x01é\"");
    assertThat(
            new FieldError(FieldError.Type.REQUIRED, "spec.model", FieldError.OMIT, "").toString())
        .isEqualTo("spec.model: Required value");
    assertThat(List.of(FieldError.invalid(null, null, "x").toString()))
        .containsExactly("<nil>: Invalid value: \"null\": x");
  }
}
