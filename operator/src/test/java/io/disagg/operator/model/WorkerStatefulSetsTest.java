package io.disagg.operator.model;

import static io.disagg.operator.model.ModelFixtures.cluster;
import static io.disagg.operator.model.ModelFixtures.efaCluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.LogLevel;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.PlacementSpec.Colocation;
import io.disagg.operator.core.Pool;
import io.disagg.operator.scaling.Replicas;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerStatefulSetsTest {

  private static final String HASH = "0123456789abcdef";

  private static StatefulSet sts(DisaggCluster cr, Pool pool) {
    return WorkerStatefulSets.desired(
        cr, ModelFixtures.names(cr), pool, Replicas.desired(cr, pool), HASH, "{}");
  }

  private static PodSpec pod(DisaggCluster cr, Pool pool) {
    return sts(cr, pool).getSpec().getTemplate().getSpec();
  }

  private static Container worker(DisaggCluster cr, Pool pool) {
    return pod(cr, pool).getContainers().get(0);
  }

  private static String script(Container c) {
    assertThat(c.getCommand()).hasSize(3).startsWith("/bin/bash", "-c");
    return c.getCommand().get(2);
  }

  // --- StatefulSet shape ---------------------------------------------------------------------

  @Test
  void recordsThePairingFieldsOnTheStatefulSetNotOnItsPods() {
    DisaggCluster cr = ModelFixtures.cluster();
    StatefulSet sts =
        WorkerStatefulSets.desired(
            cr, ModelFixtures.names(cr), Pool.CONTEXT, 1, HASH, "{\"image\":\"x\"}");
    assertThat(sts.getMetadata().getAnnotations())
        .containsEntry(RevisionNames.PAIRING, "{\"image\":\"x\"}");
    assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations())
        .as("a new record (an operator upgrade) must not restart workers")
        .doesNotContainKey(RevisionNames.PAIRING);
  }

  @Test
  void statefulSetShape() {
    DisaggCluster cr = cluster();
    cr.getSpec().getGeneration().setMinimalInstances(2);
    StatefulSet s = sts(cr, Pool.GENERATION);

    assertThat(s.getMetadata().getName()).isEqualTo("demo-generation");
    assertThat(s.getMetadata().getNamespace()).isEqualTo("serving");
    assertThat(s.getMetadata().getLabels())
        .containsEntry(Labels.MANAGED_BY, Labels.MANAGER)
        .containsEntry(Labels.COMPONENT, "generation");
    assertThat(s.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
    assertThat(s.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(s.getSpec().getServiceName())
        .isEqualTo(PoolServices.desired(cr, Pool.GENERATION).getMetadata().getName());
    assertThat(s.getSpec().getSelector().getMatchLabels())
        .isEqualTo(Labels.selector(cr, "generation"));
    assertThat(s.getSpec().getReplicas()).isEqualTo(2);
    assertThat(s.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(s.getSpec().getSelector().getMatchLabels());
    assertThat(s.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(Labels.CONFIG_HASH, HASH);
    assertThat(s.getMetadata().getAnnotations()).containsKey(Labels.DESIRED_HASH);
  }

  // --- command ---------------------------------------------------------------------------------

  @Test
  void hostIsThePodIpNeverAllInterfaces() {
    for (Pool pool : Pool.values()) {
      Container c = worker(cluster(), pool);
      String script = script(c);
      assertThat(script).contains("--host \"$POD_IP\"").doesNotContain("0.0.0.0");
      EnvVar podIp =
          c.getEnv().stream().filter(e -> e.getName().equals("POD_IP")).findFirst().orElseThrow();
      assertThat(podIp.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
    }
  }

  @Test
  void commandCarriesRoleParallelismPortBackendAndConfigFile() {
    DisaggCluster cr = cluster();
    cr.getSpec().getContext().setTensorParallelSize(4);
    cr.getSpec().getContext().setPipelineParallelSize(2);
    cr.getSpec().getContext().setPort(8123);
    cr.getSpec().setBackend(ModelBackend.TENSORRT);

    String ctx = script(worker(cr, Pool.CONTEXT));
    assertThat(ctx)
        .contains("exec trtllm-serve \"$TRTLLM_MODEL\" --server_role CONTEXT")
        .contains("--port 8123")
        .contains("--backend tensorrt")
        .contains("--tp_size 4")
        .contains("--pp_size 2")
        .contains("--extra_llm_api_options /etc/trtllm/context.yaml")
        .doesNotContain("--log_level");
    String gen = script(worker(cr, Pool.GENERATION));
    assertThat(gen)
        .contains("--server_role GENERATION")
        .contains("--tp_size 1")
        .contains("--extra_llm_api_options /etc/trtllm/generation.yaml");

    cr.getSpec().setLogLevel(LogLevel.VERBOSE);
    assertThat(script(worker(cr, Pool.GENERATION))).contains("--log_level verbose");
  }

  /**
   * AutoDeploy rejects non-default tensor/pipeline parallel sizes
   * (tensorrt_llm/_torch/auto_deploy/llm_args.py LlmArgs.ensure_no_custom_parallel_config); it
   * takes world_size from its YAML instead.
   */
  @Test
  void autoDeployCommandPassesNoParallelSizes() {
    DisaggCluster cr = cluster();
    cr.getSpec().setBackend(ModelBackend.AUTODEPLOY);
    cr.getSpec().getContext().setTensorParallelSize(2);
    assertThat(script(worker(cr, Pool.CONTEXT)))
        .contains("--backend _autodeploy")
        .doesNotContain("--tp_size")
        .doesNotContain("--pp_size");
  }

  @Test
  void modelComesFromTheEnvironmentNotTheShell() {
    DisaggCluster cr = cluster();
    cr.getSpec().setModel("/models/$(rm -rf /)");
    Container c = worker(cr, Pool.CONTEXT);
    assertThat(script(c)).doesNotContain("rm -rf");
    assertThat(c.getEnv())
        .contains(
            new EnvVarBuilder().withName("TRTLLM_MODEL").withValue("/models/$(rm -rf /)").build());
  }

  @Test
  void efaPrependsLibraryPathOnlyWithEfa() {
    assertThat(script(worker(cluster(), Pool.CONTEXT))).doesNotContain("LD_LIBRARY_PATH");
    String efa = script(worker(efaCluster(), Pool.CONTEXT));
    assertThat(efa)
        .contains(
            "export LD_LIBRARY_PATH='/opt/amazon/efa/lib64'${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}");
    assertThat(efa.indexOf("LD_LIBRARY_PATH")).isLessThan(efa.indexOf("exec trtllm-serve"));
  }

  // --- env ---------------------------------------------------------------------------------

  @Test
  void envHasDownwardApiAndUserEnvButOperatorNamesWin() {
    DisaggCluster cr = cluster();
    cr.getSpec()
        .getContext()
        .setEnv(
            List.of(
                new EnvVarBuilder().withName("POD_IP").withValue("0.0.0.0").build(),
                new EnvVarBuilder().withName("UCX_NET_DEVICES").withValue("mlx5_0:1").build()));
    Container c = worker(cr, Pool.CONTEXT);
    assertThat(c.getEnv())
        .extracting(EnvVar::getName)
        .containsExactly(
            "TRTLLM_MODEL", "POD_IP", "POD_NAME", "POD_NAMESPACE", "UCX_NET_DEVICES", "HOME");
    assertThat(c.getEnv().get(1).getValue()).isNull();
    assertThat(c.getEnv().get(2).getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(c.getEnv().get(3).getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(c.getEnvFrom())
        .singleElement()
        .satisfies(e -> assertThat(e.getConfigMapRef().getName()).isEqualTo("demo-fabric"));
    // the primary is never mutated
    assertThat(cr.getSpec().getContext().getEnv()).hasSize(2);
  }

  @Test
  void containerBasics() {
    DisaggCluster cr = cluster();
    Container c = worker(cr, Pool.CONTEXT);
    assertThat(c.getName()).isEqualTo("worker");
    assertThat(c.getImage()).isEqualTo(ModelFixtures.IMAGE);
    assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(c.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getContainerPort()).isEqualTo(8000);
            });
  }

  // --- resources -----------------------------------------------------------------------------

  @Test
  void gpusAreTpTimesPpInRequestsAndLimitsAndWinOverTheUser() {
    DisaggCluster cr = cluster();
    var ctx = cr.getSpec().getContext();
    ctx.setTensorParallelSize(4);
    ctx.setPipelineParallelSize(2);
    ctx.setResources(
        new ResourceRequirementsBuilder()
            .addToRequests("cpu", new Quantity("8"))
            .addToLimits("nvidia.com/gpu", new Quantity("1"))
            .addToLimits("memory", new Quantity("200Gi"))
            .build());
    var r = worker(cr, Pool.CONTEXT).getResources();
    assertThat(r.getLimits())
        .containsEntry("nvidia.com/gpu", new Quantity("8"))
        .containsEntry("memory", new Quantity("200Gi"))
        .doesNotContainKeys("vpc.amazonaws.com/efa", "hugepages-2Mi");
    assertThat(r.getRequests())
        .containsEntry("nvidia.com/gpu", new Quantity("8"))
        .containsEntry("cpu", new Quantity("8"));
    assertThat(ctx.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
  }

  @Test
  void efaAddsDevicesHugepagesAndAMemoryRequest() {
    var r = worker(efaCluster(), Pool.GENERATION).getResources();
    for (var m : List.of(r.getRequests(), r.getLimits())) {
      assertThat(m)
          .containsEntry("vpc.amazonaws.com/efa", new Quantity("32"))
          .containsEntry("hugepages-2Mi", new Quantity("512Mi"))
          .containsEntry("nvidia.com/gpu", new Quantity("1"));
    }
    assertThat(r.getRequests()).containsEntry("memory", new Quantity("1Gi"));
    assertThat(r.getLimits()).doesNotContainKey("memory");

    DisaggCluster cr = efaCluster();
    cr.getSpec().getFabric().getEfa().setDevicesPerPod(4);
    cr.getSpec().getFabric().getEfa().setHugepages2Mi(new Quantity("5120Mi"));
    cr.getSpec()
        .getGeneration()
        .setResources(
            new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("64Gi")).build());
    r = worker(cr, Pool.GENERATION).getResources();
    assertThat(r.getLimits())
        .containsEntry("vpc.amazonaws.com/efa", new Quantity("4"))
        .containsEntry("hugepages-2Mi", new Quantity("5120Mi"))
        .containsEntry("memory", new Quantity("64Gi"));
    assertThat(r.getRequests())
        .containsEntry("hugepages-2Mi", new Quantity("5120Mi"))
        .doesNotContainKey("memory"); // the API server defaults the request to the limit
  }

  // --- security context ---------------------------------------------------------------------

  @Test
  void capabilitiesOnlyWithEfaAndPrivilegedOnlyWhenAsked() {
    assertThat(worker(cluster(), Pool.CONTEXT).getSecurityContext().getCapabilities().getAdd())
        .isEmpty();

    var sc = worker(efaCluster(), Pool.CONTEXT).getSecurityContext();
    assertThat(sc.getCapabilities().getAdd()).containsExactlyInAnyOrder("IPC_LOCK", "SYS_RESOURCE");
    assertThat(sc.getPrivileged()).isNull();

    DisaggCluster cr = efaCluster();
    cr.getSpec().getFabric().getEfa().setPrivileged(true);
    assertThat(worker(cr, Pool.CONTEXT).getSecurityContext().getPrivileged()).isTrue();

    DisaggCluster noEfa = cluster();
    noEfa.getSpec().getFabric().getEfa().setPrivileged(true);
    assertThat(worker(noEfa, Pool.CONTEXT).getSecurityContext().getPrivileged()).isNull();
    assertThat(worker(noEfa, Pool.CONTEXT).getSecurityContext().getCapabilities().getAdd())
        .isEmpty();
  }

  // --- probes ---------------------------------------------------------------------------------

  @Test
  void startupProbeCoversTheWholeStartupBudget() {
    DisaggCluster cr = cluster();
    var p = worker(cr, Pool.CONTEXT).getStartupProbe();
    assertThat(p.getHttpGet().getPath()).isEqualTo("/health");
    assertThat(p.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(p.getPeriodSeconds()).isEqualTo(10);
    assertThat(p.getFailureThreshold()).isEqualTo(180); // 1800 s default

    cr.getSpec().getContext().setStartupTimeoutSeconds(1805);
    assertThat(worker(cr, Pool.CONTEXT).getStartupProbe().getFailureThreshold()).isEqualTo(181);
    assertThat(WorkerStatefulSets.startupFailureThreshold(60)).isEqualTo(6);
    assertThat(WorkerStatefulSets.startupFailureThreshold(61)).isEqualTo(7);
  }

  @Test
  void readinessAndLivenessOnHealth() {
    Container c = worker(cluster(), Pool.GENERATION);
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(c.getReadinessProbe().getPeriodSeconds()).isBetween(5, 10);
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(c.getLivenessProbe().getPeriodSeconds() * c.getLivenessProbe().getFailureThreshold())
        .isGreaterThanOrEqualTo(120);
  }

  @Test
  void terminationGraceFromThePool() {
    DisaggCluster cr = cluster();
    cr.getSpec().getGeneration().setTerminationGracePeriodSeconds(900);
    assertThat(pod(cr, Pool.GENERATION).getTerminationGracePeriodSeconds()).isEqualTo(900L);
    assertThat(pod(cr, Pool.CONTEXT).getTerminationGracePeriodSeconds()).isEqualTo(300L);
  }

  // --- volumes --------------------------------------------------------------------------------

  @Test
  void shmIsMemoryBackedWithDefaultAndCustomSize() {
    Volume shm = volume(pod(cluster(), Pool.CONTEXT), "dshm");
    assertThat(shm.getEmptyDir().getMedium()).isEqualTo("Memory");
    assertThat(shm.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("16Gi"));

    DisaggCluster cr = cluster();
    cr.getSpec().getContext().setShmSize(new Quantity("64Gi"));
    assertThat(volume(pod(cr, Pool.CONTEXT), "dshm").getEmptyDir().getSizeLimit())
        .isEqualTo(new Quantity("64Gi"));
    assertThat(mount(worker(cr, Pool.CONTEXT), "/dev/shm").getName()).isEqualTo("dshm");
  }

  @Test
  void configIsMountedReadOnlyWithOnlyThisPoolsFileAndThePreStopScript() {
    PodSpec pod = pod(cluster(), Pool.GENERATION);
    Volume config = volume(pod, "config");
    assertThat(config.getConfigMap().getName()).isEqualTo("demo-config");
    assertThat(config.getConfigMap().getItems())
        .extracting(KeyToPath::getKey, KeyToPath::getPath)
        .containsExactly(
            tuple("generation.yaml", "generation.yaml"), tuple("deregister.py", "deregister.py"));
    VolumeMount m = mount(pod.getContainers().get(0), "/etc/trtllm");
    assertThat(m.getName()).isEqualTo("config");
    assertThat(m.getReadOnly()).isTrue();
    assertThat(m.getSubPath()).isNull(); // the kubelet refreshes the files only without subPath
  }

  // --- preStop
  // ------------------------------------------------------------------------------------

  @Test
  void preStopRunsTheMountedScriptWithThisPoolsYamlPortAndGrace() {
    DisaggCluster cr = cluster();
    cr.getSpec().getGeneration().setPort(9100);
    assertThat(worker(cr, Pool.GENERATION).getLifecycle().getPreStop().getExec().getCommand())
        .containsExactly(
            "python3", "/etc/trtllm/deregister.py", "/etc/trtllm/generation.yaml", "9100", "10");
    assertThat(worker(cr, Pool.CONTEXT).getLifecycle().getPreStop().getExec().getCommand())
        .containsExactly(
            "python3", "/etc/trtllm/deregister.py", "/etc/trtllm/context.yaml", "8000", "10");
    assertThat(worker(cr, Pool.CONTEXT).getLifecycle().getPostStart()).isNull();

    // every file the hook names is in the pod: the script and the YAML under the config mount
    PodSpec pod = pod(cr, Pool.GENERATION);
    List<String> command =
        pod.getContainers().get(0).getLifecycle().getPreStop().getExec().getCommand();
    String dir = mount(pod.getContainers().get(0), "/etc/trtllm").getMountPath() + "/";
    assertThat(volume(pod, "config").getConfigMap().getItems())
        .extracting(i -> dir + i.getPath())
        .contains(command.get(1), command.get(2));
  }

  @Test
  void preStopGraceIsAQuarterOfTheTerminationGraceAtMostTenSeconds() {
    assertThat(WorkerStatefulSets.preStopGraceSeconds(300)).isEqualTo(10);
    assertThat(WorkerStatefulSets.preStopGraceSeconds(40)).isEqualTo(10);
    assertThat(WorkerStatefulSets.preStopGraceSeconds(30)).isEqualTo(7);
    assertThat(WorkerStatefulSets.preStopGraceSeconds(3)).isZero();
    assertThat(WorkerStatefulSets.preStopGraceSeconds(0)).isZero();

    DisaggCluster cr = cluster();
    cr.getSpec().getContext().setTerminationGracePeriodSeconds(30);
    assertThat(worker(cr, Pool.CONTEXT).getLifecycle().getPreStop().getExec().getCommand())
        .last()
        .isEqualTo("7");
    assertThat(worker(cr, Pool.GENERATION).getLifecycle().getPreStop().getExec().getCommand())
        .last()
        .isEqualTo("10");
  }

  // --- user overrides ---------------------------------------------------------------------------

  @Test
  void podTemplateOverridesAreAddedWithoutClobberingOperatorFields() {
    DisaggCluster cr = cluster();
    var o = cr.getSpec().getContext().getPodTemplate();
    o.setLabels(Map.of(Labels.INSTANCE, "hijack", Labels.PART_OF, "other", "team", "llm"));
    o.setAnnotations(Map.of(Labels.CONFIG_HASH, "user", "prometheus.io/scrape", "true"));
    o.setPriorityClassName("gpu-high");
    o.setRuntimeClassName("nvidia");
    o.setSchedulerName("volcano");
    o.setVolumes(
        List.of(
            new VolumeBuilder().withName("config").withNewEmptyDir().endEmptyDir().build(),
            new VolumeBuilder()
                .withName("model-cache")
                .withNewPersistentVolumeClaim()
                .withClaimName("models")
                .endPersistentVolumeClaim()
                .build()));
    o.setVolumeMounts(
        List.of(
            new VolumeMountBuilder().withName("model-cache").withMountPath("/etc/trtllm").build(),
            new VolumeMountBuilder().withName("model-cache").withMountPath("/models").build()));
    o.setInitContainers(
        List.of(new ContainerBuilder().withName("download").withImage("busybox").build()));
    o.setSidecars(
        List.of(
            new ContainerBuilder().withName("worker").withImage("evil").build(),
            new ContainerBuilder().withName("exporter").withImage("exporter:1").build()));
    cr.getSpec()
        .getContext()
        .setNodeSelector(Map.of("node.kubernetes.io/instance-type", "p5.48xlarge"));
    cr.getSpec().setServiceAccountName("trtllm");

    StatefulSet s = sts(cr, Pool.CONTEXT);
    var meta = s.getSpec().getTemplate().getMetadata();
    assertThat(meta.getLabels())
        .containsEntry(Labels.INSTANCE, "demo")
        .containsEntry(Labels.PART_OF, "demo-workers")
        .containsEntry("team", "llm")
        .containsAllEntriesOf(Labels.workers(cr))
        .containsAllEntriesOf(Labels.selector(cr, "context"));
    assertThat(meta.getAnnotations())
        .containsEntry(Labels.CONFIG_HASH, HASH)
        .containsEntry("prometheus.io/scrape", "true");

    PodSpec pod = s.getSpec().getTemplate().getSpec();
    assertThat(pod.getPriorityClassName()).isEqualTo("gpu-high");
    assertThat(pod.getRuntimeClassName()).isEqualTo("nvidia");
    assertThat(pod.getSchedulerName()).isEqualTo("volcano");
    assertThat(pod.getServiceAccountName()).isEqualTo("trtllm");
    assertThat(pod.getNodeSelector())
        .containsEntry("node.kubernetes.io/instance-type", "p5.48xlarge");
    assertThat(pod.getVolumes())
        .extracting(Volume::getName)
        .containsExactly("config", "dshm", "tmp", "home", "model-cache");
    assertThat(volume(pod, "config").getConfigMap()).isNotNull();
    assertThat(pod.getContainers())
        .extracting(Container::getName)
        .containsExactly("worker", "exporter");
    assertThat(pod.getContainers().get(0).getImage()).isEqualTo(ModelFixtures.IMAGE);
    assertThat(pod.getInitContainers()).extracting(Container::getName).containsExactly("download");
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .extracting(VolumeMount::getMountPath)
        .containsExactly("/etc/trtllm", "/dev/shm", "/tmp", "/home/trtllm", "/models");
    assertThat(mount(pod.getContainers().get(0), "/etc/trtllm").getName()).isEqualTo("config");
  }

  // --- colocation -------------------------------------------------------------------------------

  @Test
  void colocationDefaultsToPreferredWithoutEfa() {
    DisaggCluster cr = cluster();
    assertThat(Placement.colocation(cr)).isEqualTo(Colocation.Preferred);
    Affinity a = pod(cr, Pool.CONTEXT).getAffinity();
    assertThat(a.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()).isEmpty();
    var preferred = a.getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
    assertThat(preferred)
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.getWeight()).isEqualTo(100);
              assertColocationTerm(cr, w.getPodAffinityTerm(), "topology.kubernetes.io/zone");
            });
  }

  @Test
  void colocationDefaultsToRequiredWithEfa() {
    DisaggCluster cr = efaCluster();
    assertThat(Placement.colocation(cr)).isEqualTo(Colocation.Required);
    for (Pool pool : Pool.values()) {
      var required =
          pod(cr, pool)
              .getAffinity()
              .getPodAffinity()
              .getRequiredDuringSchedulingIgnoredDuringExecution();
      assertThat(required)
          .singleElement()
          .satisfies(t -> assertColocationTerm(cr, t, "topology.kubernetes.io/zone"));
      // the first pod of the group can schedule only if it matches its own term
      assertThat(pod(cr, pool).getAffinity()).isNotNull();
      assertThat(sts(cr, pool).getSpec().getTemplate().getMetadata().getLabels())
          .containsAllEntriesOf(required.get(0).getLabelSelector().getMatchLabels());
    }
  }

  @Test
  void explicitColocationWinsAndDisabledMeansNoAffinity() {
    DisaggCluster cr = efaCluster();
    cr.getSpec().getPlacement().setColocation(Colocation.Disabled);
    assertThat(pod(cr, Pool.CONTEXT).getAffinity()).isNull();

    cr = cluster();
    cr.getSpec().getPlacement().setColocation(Colocation.Required);
    cr.getSpec().getPlacement().setTopologyKey("kubernetes.io/hostname");
    var required =
        pod(cr, Pool.GENERATION)
            .getAffinity()
            .getPodAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution();
    DisaggCluster finalCr = cr;
    assertThat(required)
        .singleElement()
        .satisfies(t -> assertColocationTerm(finalCr, t, "kubernetes.io/hostname"));
  }

  @Test
  void userAffinityIsKeptAndNotMutated() {
    DisaggCluster cr = efaCluster();
    Affinity user =
        new AffinityBuilder()
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .addNewNodeSelectorTerm()
            .addNewMatchExpression()
            .withKey("gpu")
            .withOperator("Exists")
            .endMatchExpression()
            .endNodeSelectorTerm()
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .withNewPodAffinity()
            .addNewRequiredDuringSchedulingIgnoredDuringExecution()
            .withNewLabelSelector()
            .addToMatchLabels("app", "etcd")
            .endLabelSelector()
            .withTopologyKey("kubernetes.io/hostname")
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endPodAffinity()
            .withNewPodAntiAffinity()
            .addNewPreferredDuringSchedulingIgnoredDuringExecution()
            .withWeight(10)
            .withNewPodAffinityTerm()
            .withNewLabelSelector()
            .addToMatchLabels("x", "y")
            .endLabelSelector()
            .withTopologyKey("h")
            .endPodAffinityTerm()
            .endPreferredDuringSchedulingIgnoredDuringExecution()
            .endPodAntiAffinity()
            .build();
    cr.getSpec().getContext().setAffinity(user);

    Affinity a = pod(cr, Pool.CONTEXT).getAffinity();
    assertThat(a.getNodeAffinity()).isEqualTo(user.getNodeAffinity());
    assertThat(a.getPodAntiAffinity()).isEqualTo(user.getPodAntiAffinity());
    var required = a.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    assertThat(required).hasSize(2);
    assertThat(required.get(0).getLabelSelector().getMatchLabels()).containsEntry("app", "etcd");
    assertColocationTerm(cr, required.get(1), "topology.kubernetes.io/zone");
    // the user's object (part of the cached primary) is untouched
    assertThat(user.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution())
        .hasSize(1);
  }

  // --- hashes
  // -------------------------------------------------------------------------------------

  @Test
  void sameInputSameDesiredHash() {
    DisaggCluster cr = efaCluster();
    cr.getSpec().getContext().setNodeSelector(Map.of("a", "1", "b", "2", "c", "3"));
    String h1 = Hashes.desiredHashOf(sts(cr, Pool.CONTEXT));
    String h2 = Hashes.desiredHashOf(sts(ModelFixtures.copy(cr), Pool.CONTEXT));
    assertThat(h1).hasSize(Hashes.LENGTH).isEqualTo(h2);
    assertThat(
            Hashes.desiredHashOf(
                WorkerStatefulSets.desired(
                    cr,
                    ModelFixtures.names(cr),
                    Pool.CONTEXT,
                    Replicas.desired(cr, Pool.CONTEXT),
                    "fedcba9876543210",
                    "{}")))
        .isNotEqualTo(h1);
  }

  @Test
  void changedWorkerYamlOfOnePoolChangesOnlyThatPoolsConfigHash() {
    var env = ModelFixtures.fabricEnv();
    var before = ModelFixtures.configData("ctx: 1\n", "gen: 1\n", "router: 1\n");
    var ctxChanged = ModelFixtures.configData("ctx: 2\n", "gen: 1\n", "router: 1\n");
    var routerChanged = ModelFixtures.configData("ctx: 1\n", "gen: 1\n", "router: 2\n");

    String ctx = WorkerStatefulSets.configHash(before, env, Pool.CONTEXT);
    String gen = WorkerStatefulSets.configHash(before, env, Pool.GENERATION);
    assertThat(WorkerStatefulSets.configHash(ctxChanged, env, Pool.CONTEXT)).isNotEqualTo(ctx);
    assertThat(WorkerStatefulSets.configHash(ctxChanged, env, Pool.GENERATION)).isEqualTo(gen);
    assertThat(WorkerStatefulSets.configHash(routerChanged, env, Pool.CONTEXT)).isEqualTo(ctx);
    assertThat(WorkerStatefulSets.configHash(routerChanged, env, Pool.GENERATION)).isEqualTo(gen);

    // the preStop script is not read by the worker process: changing it rolls no pool
    var scriptChanged = ModelFixtures.configData("ctx: 1\n", "gen: 1\n", "router: 1\n");
    scriptChanged.put("deregister.py", "print('another script')\n");
    assertThat(WorkerStatefulSets.configHash(scriptChanged, env, Pool.CONTEXT)).isEqualTo(ctx);
    assertThat(WorkerStatefulSets.configHash(scriptChanged, env, Pool.GENERATION)).isEqualTo(gen);

    // the fabric environment is read by both pools
    var env2 = ModelFixtures.fabricEnv();
    env2.put("UCX_MAX_RNDV_RAILS", "2");
    assertThat(WorkerStatefulSets.configHash(before, env2, Pool.CONTEXT)).isNotEqualTo(ctx);
    assertThat(WorkerStatefulSets.configHash(before, env2, Pool.GENERATION)).isNotEqualTo(gen);

    // and the StatefulSet of the unchanged pool stays byte-for-byte the same
    DisaggCluster cr = cluster();
    assertThat(
            Hashes.desiredHashOf(
                WorkerStatefulSets.desired(
                    cr,
                    ModelFixtures.names(cr),
                    Pool.GENERATION,
                    Replicas.desired(cr, Pool.GENERATION),
                    WorkerStatefulSets.configHash(ctxChanged, env, Pool.GENERATION),
                    "{}")))
        .isEqualTo(
            Hashes.desiredHashOf(
                WorkerStatefulSets.desired(
                    cr,
                    ModelFixtures.names(cr),
                    Pool.GENERATION,
                    Replicas.desired(cr, Pool.GENERATION),
                    gen,
                    "{}")));
  }

  // --- helpers
  // --------------------------------------------------------------------------------------

  private static void assertColocationTerm(
      DisaggCluster cr, PodAffinityTerm t, String topologyKey) {
    assertThat(t.getTopologyKey()).isEqualTo(topologyKey);
    assertThat(t.getLabelSelector().getMatchLabels()).isEqualTo(Labels.workers(cr));
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static VolumeMount mount(Container c, String path) {
    return c.getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals(path))
        .findFirst()
        .orElseThrow();
  }
}
