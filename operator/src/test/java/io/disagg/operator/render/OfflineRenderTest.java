package io.disagg.operator.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.ConfigMaps;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.model.PoolDisruptionBudgets;
import io.disagg.operator.model.PoolServices;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.RouterDeployments;
import io.disagg.operator.model.RouterServices;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.plan.Plan;
import io.disagg.operator.rollout.PairingRevision;
import io.disagg.operator.scaling.Replicas;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.LocalCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The offline render of every file in {@code config-samples/}, of invalid specs and of input that
 * is not one DisaggCluster. The expected children are built here with the same pure functions the
 * dependents call, from a plan made the way the reconciler makes it at creation.
 */
class OfflineRenderTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final CrdAdmission CRD = CrdAdmission.builtIn();
  private static final List<String> ENDPOINTS = List.of("etcd.infra.svc:2379");

  static OfflineRender render(String namespace) {
    return new OfflineRender(CRD, new OfflineRender.Settings(ENDPOINTS, namespace));
  }

  static List<Path> sampleFiles() throws IOException {
    try (Stream<Path> s = Files.walk(LocalCluster.repoRoot().resolve("config-samples"))) {
      return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted()
          .toList();
    }
  }

  static boolean isDisaggCluster(String yaml) {
    return yaml.lines().anyMatch(l -> l.strip().equals("kind: DisaggCluster"));
  }

  @Test
  void everyDisaggClusterSampleRendersWhatTheBuildersBuild() throws Exception {
    int rendered = 0;
    for (Path file : sampleFiles()) {
      String yaml = Files.readString(file);
      if (!isDisaggCluster(yaml)) {
        continue;
      }
      rendered++;
      OfflineRender.Outcome outcome = render(null).render(yaml);
      assertThat(outcome).as(file.toString()).isInstanceOf(OfflineRender.Rendered.class);
      OfflineRender.Rendered r = (OfflineRender.Rendered) outcome;
      assertThat(r.notChecked()).as("everything of the CRD is checked offline").isEmpty();

      // The plan the reconciler makes at creation, from the resource as the API server stores it.
      DisaggCluster stored = SERIALIZATION.unmarshal(yaml, DisaggCluster.class);
      stored.getMetadata().setNamespace("default");
      EffectiveSpec spec = EffectiveSpecs.of(stored, ENDPOINTS).spec();
      Map<Pool, Integer> replicas = new EnumMap<>(Pool.class);
      for (Pool pool : Pool.values()) {
        replicas.put(pool, Replicas.desired(spec.cluster(), pool));
      }
      Plan plan =
          Plan.of(
              spec,
              RevisionNames.legacy(spec, PairingRevision.of(spec).hash()),
              PairingRevision.of(spec).json(),
              replicas,
              spec.cluster().getSpec().getRouter().getReplicas());
      DisaggCluster cr = plan.cluster();
      List<HasMetadata> expected =
          new java.util.ArrayList<>(
              List.of(
                  ConfigMaps.config(cr, plan.names(), plan.configFiles()),
                  ConfigMaps.fabric(cr, plan.names(), plan.fabricEnv()),
                  PoolServices.desired(cr, Pool.CONTEXT),
                  PoolServices.desired(cr, Pool.GENERATION),
                  WorkerStatefulSets.desired(
                      cr,
                      plan.names(),
                      Pool.CONTEXT,
                      replicas.get(Pool.CONTEXT),
                      plan.workerConfigHash().get(Pool.CONTEXT),
                      plan.pairing()),
                  WorkerStatefulSets.desired(
                      cr,
                      plan.names(),
                      Pool.GENERATION,
                      replicas.get(Pool.GENERATION),
                      plan.workerConfigHash().get(Pool.GENERATION),
                      plan.pairing()),
                  PoolDisruptionBudgets.desired(cr, Pool.CONTEXT),
                  PoolDisruptionBudgets.desired(cr, Pool.GENERATION),
                  RouterDeployments.desired(
                      cr, plan.names(), plan.routerReplicas(), plan.routerConfigHash()),
                  RouterServices.desired(cr)));
      if (spec.podMonitors()) {
        // The first revision's pods carry no revision label: its hash comes from the PodMonitor.
        expected.add(io.disagg.operator.model.PodMonitors.workers(cr, plan.names().revision()));
        expected.add(io.disagg.operator.model.PodMonitors.router(cr, plan.names().revision()));
      }
      if (spec.networkPolicies()) {
        expected.add(io.disagg.operator.model.NetworkPolicies.workers(cr, spec.operatorPeers()));
        expected.add(io.disagg.operator.model.NetworkPolicies.router(cr, spec.operatorPeers()));
      }
      if (ModelCaches.createsClaim(cr)) {
        expected.add(ModelCaches.claim(cr));
      }
      if (ModelCaches.downloads(cr)) {
        expected.add(ModelCaches.job(cr));
      }
      assertThat(r.objects()).as(file.toString()).isEqualTo(expected);

      String name = stored.getMetadata().getName();
      Map<String, String> files = RenderOutput.files(r);
      assertThat(files.keySet())
          .as(file.toString())
          .contains(
              "configmap-" + name + "-config.yaml",
              "configmap-" + name + "-fabric.yaml",
              "service-" + name + "-context.yaml",
              "service-" + name + "-generation.yaml",
              "statefulset-" + name + "-context.yaml",
              "statefulset-" + name + "-generation.yaml",
              "poddisruptionbudget-" + name + "-context.yaml",
              "poddisruptionbudget-" + name + "-generation.yaml",
              "deployment-" + name + "-router.yaml",
              "service-" + name + "-router.yaml",
              "trtllm/context.yaml",
              "trtllm/generation.yaml",
              "trtllm/router.yaml",
              "trtllm/deregister.py",
              "trtllm/fabric.env",
              "commands/" + name + "-context.worker.sh",
              "commands/" + name + "-context.worker.preStop.sh",
              "commands/" + name + "-generation.worker.sh",
              "commands/" + name + "-router.router.sh");
      for (Pool pool : Pool.values()) {
        String worker = files.get("trtllm/" + TrtllmConfig.workerConfigKey(pool));
        assertThat(worker)
            .as("%s %s", file, pool)
            .isEqualTo(plan.configFiles().get(TrtllmConfig.workerConfigKey(pool)))
            .contains("disagg_cluster:", "cluster_uri: etcd://", "cluster_name: default." + name);
        assertThat(files.get("commands/" + name + "-" + pool.id() + ".worker.sh"))
            .contains(
                "exec trtllm-serve \"$TRTLLM_MODEL\" --server_role " + pool.serverRole(),
                "--extra_llm_api_options /etc/trtllm/" + pool.id() + ".yaml");
      }
      assertThat(files.get("trtllm/router.yaml")).contains("disagg_cluster:");
      assertThat(files.get("commands/" + name + "-router.router.sh"))
          .contains("trtllm-serve disaggregated -c /etc/trtllm/router.yaml");
      // The object files are the objects, byte for byte as Fabric8 writes them.
      ConfigMap config =
          SERIALIZATION.unmarshal(files.get("configmap-" + name + "-config.yaml"), ConfigMap.class);
      assertThat(config).isEqualTo(expected.get(0));
    }
    assertThat(rendered).as("DisaggCluster samples found").isGreaterThanOrEqualTo(2);
  }

  @Test
  void otherSampleFilesAreNotDisaggClustersAndAreRefusedAsInput() throws Exception {
    for (Path file : sampleFiles()) {
      String yaml = Files.readString(file);
      if (!isDisaggCluster(yaml)) {
        assertThatThrownBy(() -> render(null).render(yaml))
            .as(file.toString())
            .isInstanceOf(OfflineRender.InputException.class);
      }
    }
  }

  @Test
  void efaSampleSetsNixlPluginDirAndTheEfaResources() throws Exception {
    OfflineRender.Rendered r = rendered("aws-efa-p5.yaml", null);
    Map<String, String> files = RenderOutput.files(r);
    assertThat(files.get("trtllm/fabric.env"))
        .contains(
            "NIXL_PLUGIN_DIR=/opt/nixl/lib/x86_64-linux-gnu/plugins\n",
            "TRTLLM_NIXL_KVCACHE_BACKEND=LIBFABRIC\n",
            "FI_PROVIDER=efa\n")
        .doesNotContain("NIXL_PLUGINS_DIR");
    StatefulSet context =
        SERIALIZATION.unmarshal(
            files.get("statefulset-llama-70b-efa-context.yaml"), StatefulSet.class);
    var limits =
        context.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getLimits();
    assertThat(limits.get("vpc.amazonaws.com/efa").toString()).isEqualTo("32");
    assertThat(limits.get("nvidia.com/gpu").toString()).isEqualTo("8");
    assertThat(files.get("commands/llama-70b-efa-context.worker.sh"))
        .contains("LD_LIBRARY_PATH=", "/opt/amazon/efa/lib64", "--tp_size 8");
  }

  @Test
  void replicasAreTheOperatorsAtCreation() throws Exception {
    OfflineRender.Rendered r = rendered("minimal.yaml", null);
    assertThat(r.plan().replicas(Pool.CONTEXT)).isEqualTo(2);
    assertThat(r.plan().replicas(Pool.GENERATION)).isEqualTo(1);
    String yaml =
        header("demo")
            + """
              context:
                minimalInstances: 2
                maxInstances: 5
                autoscaling: {enabled: true}
              generation: {replicas: 3, maxInstances: 4}
            """;
    OfflineRender.Rendered auto = (OfflineRender.Rendered) render(null).render(yaml);
    assertThat(auto.plan().replicas(Pool.CONTEXT))
        .as("autoscaled, no replicas: minimalInstances until the first decision")
        .isEqualTo(2);
    assertThat(auto.plan().replicas(Pool.GENERATION)).isEqualTo(3);
    assertThat(((StatefulSet) auto.objects().get(4)).getSpec().getReplicas()).isEqualTo(2);
  }

  @Test
  void outputIsDeterministic() throws Exception {
    String yaml = Files.readString(sample("aws-efa-p5.yaml"));
    String a = RenderOutput.stream((OfflineRender.Rendered) render(null).render(yaml), false);
    String b = RenderOutput.stream((OfflineRender.Rendered) render(null).render(yaml), false);
    assertThat(a).isEqualTo(b);
  }

  @Test
  void namespaceFromTheFileElseTheRequestElseDefault() throws Exception {
    String yaml = Files.readString(sample("minimal.yaml"));
    assertThat(((OfflineRender.Rendered) render(null).render(yaml)).plan().spec().clusterName())
        .isEqualTo("default.tinyllama");
    OfflineRender.Rendered inTeam = (OfflineRender.Rendered) render("team-a").render(yaml);
    assertThat(inTeam.plan().spec().clusterName()).isEqualTo("team-a.tinyllama");
    assertThat(inTeam.objects())
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo("team-a"));
    String own = yaml.replace("name: tinyllama", "name: tinyllama\n  namespace: team-b");
    assertThat(((OfflineRender.Rendered) render(null).render(own)).plan().spec().clusterName())
        .isEqualTo("team-b.tinyllama");
    assertThatThrownBy(() -> render("team-a").render(own))
        .isInstanceOf(OfflineRender.InputException.class)
        .hasMessageContaining("\"team-b\" does not match the namespace \"team-a\"");
  }

  @Test
  void blankModelIsRefusedByTheCrdNamingTheField() throws Exception {
    OfflineRender.Refused r =
        refused(header("demo").replace("model: m", "model: \"  \"") + pools());
    assertThat(r.stage()).isEqualTo(OfflineRender.Stage.API_SERVER);
    assertThat(r.messages())
        .containsExactly(
            "spec.model: Invalid value: \"string\": spec.model must not be empty or blank");
  }

  @Test
  void heartbeatNotBelowTheInactiveTimeoutIsRefusedByTheCrd() throws Exception {
    OfflineRender.Refused r =
        refused(header("demo") + "  discovery: {heartbeatIntervalSeconds: 15}\n" + pools());
    assertThat(r.stage()).isEqualTo(OfflineRender.Stage.API_SERVER);
    assertThat(r.messages())
        .containsExactly(
            "spec.discovery: Invalid value: \"object\": spec.discovery.heartbeatIntervalSeconds"
                + " must be less than spec.discovery.inactiveTimeoutSeconds: otherwise"
                + " TensorRT-LLM silently disables heartbeats");
  }

  @Test
  void whatTheReleaseLacksIsRefusedAsTheOperatorRefusesIt() throws Exception {
    // The same checks as the reconciler (SpecValidator.validate(EffectiveSpec)), release included.
    OfflineRender.Refused r =
        refused(
            header("demo")
                + "  trtllmVersion: \"1.2\"\n"
                + "  discovery: {etcd: {endpoints: [\"etcd-0:2379\", \"etcd-1:2379\"]}}\n"
                + pools());
    assertThat(r.stage()).isEqualTo(OfflineRender.Stage.OPERATOR);
    assertThat(r.messages())
        .singleElement()
        .asString()
        .startsWith("spec.discovery.etcd.endpoints")
        .contains("TensorRT-LLM 1.2");
  }

  @Test
  void badEtcdEndpointIsRefusedByTheOperatorNamingTheField() throws Exception {
    OfflineRender.Refused r =
        refused(header("demo") + "  discovery: {etcd: {endpoints: [\"etcd:99999\"]}}\n" + pools());
    assertThat(r.stage()).isEqualTo(OfflineRender.Stage.OPERATOR);
    assertThat(r.messages()).hasSize(1);
    assertThat(r.messages())
        .containsExactly(
            "spec.discovery.etcd.endpoints[0]: 'etcd:99999': port 99999 is out of range 1-65535");
  }

  @Test
  void aDefaultEndpointThatDoesNotParseIsNamedAsTheOperatorsDefault() throws Exception {
    OfflineRender render =
        new OfflineRender(CRD, new OfflineRender.Settings(List.of("no port here"), null));
    OfflineRender.Outcome o = render.render(header("demo") + pools());
    assertThat(o).isInstanceOf(OfflineRender.Refused.class);
    assertThat(((OfflineRender.Refused) o).messages().get(0))
        .startsWith(
            "spec.discovery.etcd.endpoints: the operator's default"
                + " (disagg.discovery.default-etcd-endpoints)");
  }

  @Test
  void operatorWarningsAreReportedAndTheRenderGoesOn() throws Exception {
    OfflineRender.Outcome o =
        render(null).render(header("demo") + "  kvCacheTransfer: {backend: MPI}\n" + pools());
    assertThat(o).isInstanceOf(OfflineRender.Rendered.class);
    assertThat(o.warnings()).extracting(p -> p.field()).contains("spec.kvCacheTransfer.backend");
  }

  @Test
  void inputThatIsNotOneDisaggClusterIsAnInputError() {
    assertThatThrownBy(() -> render(null).render("a: [b"))
        .isInstanceOf(OfflineRender.InputException.class)
        .hasMessageStartingWith("not valid YAML");
    assertThatThrownBy(() -> render(null).render(header("a") + pools() + "---\n" + header("b")))
        .isInstanceOf(OfflineRender.InputException.class)
        .hasMessageContaining("exactly one DisaggCluster document, found 2");
    assertThatThrownBy(() -> render(null).render("apiVersion: v1\nkind: ConfigMap\n"))
        .isInstanceOf(OfflineRender.InputException.class)
        .hasMessageContaining(
            "expected kind DisaggCluster with apiVersion serving.disagg.io/v1alpha1");
    assertThatThrownBy(() -> render(null).render(header("a") + "  model: n\n" + pools()))
        .as("a key twice")
        .isInstanceOf(OfflineRender.InputException.class)
        .hasMessageContaining("Duplicate field 'model'");
  }

  static String header(String name) {
    return """
        apiVersion: serving.disagg.io/v1alpha1
        kind: DisaggCluster
        metadata: {name: %s}
        spec:
          model: m
          image: i
        """
        .formatted(name);
  }

  static String pools() {
    return "  context: {}\n  generation: {}\n";
  }

  private static OfflineRender.Refused refused(String yaml) throws Exception {
    OfflineRender.Outcome o = render(null).render(yaml);
    assertThat(o).as(yaml).isInstanceOf(OfflineRender.Refused.class);
    return (OfflineRender.Refused) o;
  }

  private static Path sample(String file) {
    return LocalCluster.repoRoot().resolve("config-samples").resolve(file);
  }

  private static OfflineRender.Rendered rendered(String file, String namespace) throws Exception {
    return (OfflineRender.Rendered) render(namespace).render(Files.readString(sample(file)));
  }
}
