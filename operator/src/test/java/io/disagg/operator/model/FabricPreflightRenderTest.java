package io.disagg.operator.model;

import static io.disagg.operator.model.ModelFixtures.cluster;
import static io.disagg.operator.model.ModelFixtures.efaCluster;
import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PodTemplateOverrides;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.scaling.Replicas;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The fabric pre-flight init container: only with EFA or LIBFABRIC, and what it gets. */
class FabricPreflightRenderTest {

  private static PodSpec pod(DisaggCluster cr, Pool pool) {
    return WorkerStatefulSets.desired(
            cr, ModelFixtures.names(cr), pool, Replicas.desired(cr, pool), "h", "{}")
        .getSpec()
        .getTemplate()
        .getSpec();
  }

  private static Optional<Container> preflight(DisaggCluster cr, Pool pool) {
    return pod(cr, pool).getInitContainers().stream()
        .filter(c -> WorkerStatefulSets.PREFLIGHT_CONTAINER.equals(c.getName()))
        .findFirst();
  }

  private static List<String> configItems(DisaggCluster cr, Pool pool) {
    return pod(cr, pool).getVolumes().stream()
        .filter(v -> "config".equals(v.getName()))
        .findFirst()
        .orElseThrow()
        .getConfigMap()
        .getItems()
        .stream()
        .map(KeyToPath::getKey)
        .toList();
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> name.equals(e.getName()))
        .map(
            e ->
                e.getValue() != null ? e.getValue() : e.getValueFrom().getFieldRef().getFieldPath())
        .findFirst()
        .orElse(null);
  }

  private static DisaggCluster libfabricOnly() {
    DisaggCluster cr = cluster();
    cr.getSpec().getKvCacheTransfer().setNixlBackend(NixlBackend.LIBFABRIC);
    return cr;
  }

  @Test
  void noInitContainerNoScriptWithoutEfaOrLibfabric() {
    DisaggCluster cr = cluster();
    for (Pool pool : Pool.values()) {
      assertThat(pod(cr, pool).getInitContainers()).isEmpty();
      assertThat(configItems(cr, pool)).doesNotContain(TrtllmConfig.PREFLIGHT_SCRIPT_KEY);
    }
    assertThat(TrtllmConfig.preflightEnabled(cr)).isFalse();
  }

  @Test
  void libfabricOnlyWhenNixlCarriesTheTransfer() {
    DisaggCluster ucxTransceiver = libfabricOnly();
    ucxTransceiver.getSpec().getKvCacheTransfer().setBackend(KvCacheTransferBackend.UCX);
    assertThat(preflight(ucxTransceiver, Pool.CONTEXT)).isEmpty();
    assertThat(TrtllmConfig.preflightEnabled(ucxTransceiver)).isFalse();

    Container c = preflight(libfabricOnly(), Pool.CONTEXT).orElseThrow();
    // no EFA: only the NIXL plugin is checked (the script reads TRTLLM_NIXL_KVCACHE_BACKEND)
    assertThat(env(c, WorkerStatefulSets.ENV_PREFLIGHT_EFA_DEVICES)).isNull();
    assertThat(c.getEnvFrom().get(0).getConfigMapRef().getName()).isEqualTo("demo-fabric");
    assertThat(c.getResources().getLimits()).doesNotContainKey(WorkerStatefulSets.EFA_RESOURCE);
  }

  @Test
  void efaPodsRunTheMountedScriptFirstInTheWorkersImage() {
    DisaggCluster cr = efaCluster();
    for (Pool pool : Pool.values()) {
      PodSpec pod = pod(cr, pool);
      Container c = pod.getInitContainers().get(0);
      assertThat(c.getName()).isEqualTo("fabric-preflight");
      assertThat(c.getImage()).isEqualTo(pod.getContainers().get(0).getImage());
      assertThat(c.getCommand()).containsExactly("/bin/sh", "/etc/trtllm/fabric-preflight.sh");
      assertThat(c.getVolumeMounts())
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.getMountPath()).isEqualTo("/etc/trtllm");
                assertThat(m.getReadOnly()).isTrue();
              });
      assertThat(configItems(cr, pool)).contains(TrtllmConfig.PREFLIGHT_SCRIPT_KEY);
      assertThat(c.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
      assertThat(c.getTerminationMessagePath()).isNull(); // /dev/termination-log
      assertThat(env(c, "NODE_NAME")).isEqualTo("spec.nodeName");
      assertThat(env(c, "PREFLIGHT_EFA_DEVICES")).isEqualTo("32");
      assertThat(env(c, "PREFLIGHT_EFA_LIBRARY_PATH")).isEqualTo("/opt/amazon/efa/lib64");
      assertThat(c.getEnvFrom().get(0).getConfigMapRef().getName()).isEqualTo("demo-fabric");
      assertThat(c.getSecurityContext().getCapabilities().getAdd())
          .containsExactly("IPC_LOCK", "SYS_RESOURCE");
    }
  }

  @Test
  void initContainerHasTheWorkersEfaAndHugepagesButNoGpus() {
    DisaggCluster cr = efaCluster();
    cr.getSpec().getFabric().getEfa().setDevicesPerPod(4);
    PodSpec pod = pod(cr, Pool.GENERATION);
    Map<String, Quantity> worker = pod.getContainers().get(0).getResources().getLimits();
    Map<String, Quantity> init = pod.getInitContainers().get(0).getResources().getLimits();
    assertThat(init.get(WorkerStatefulSets.EFA_RESOURCE)).isEqualTo(new Quantity("4"));
    assertThat(init.get(WorkerStatefulSets.EFA_RESOURCE))
        .isEqualTo(worker.get(WorkerStatefulSets.EFA_RESOURCE));
    assertThat(init.get(WorkerStatefulSets.HUGEPAGES_2MI_RESOURCE))
        .isEqualTo(worker.get(WorkerStatefulSets.HUGEPAGES_2MI_RESOURCE));
    assertThat(init).doesNotContainKey(WorkerStatefulSets.GPU_RESOURCE);
    // hugepages need a memory or cpu request in the same container
    assertThat(pod.getInitContainers().get(0).getResources().getRequests()).containsKey("memory");
  }

  @Test
  void theSwitchTurnsItOff() {
    DisaggCluster cr = efaCluster();
    cr.getSpec().getFabric().setPreflight(false);
    assertThat(pod(cr, Pool.CONTEXT).getInitContainers()).isEmpty();
    assertThat(configItems(cr, Pool.CONTEXT)).doesNotContain(TrtllmConfig.PREFLIGHT_SCRIPT_KEY);
  }

  @Test
  void theUsersInitContainersComeAfterThePreflight() {
    DisaggCluster cr = efaCluster();
    PodTemplateOverrides o = new PodTemplateOverrides();
    o.setInitContainers(
        List.of(
            new ContainerBuilder().withName("fetch-model").withImage("busybox").build(),
            new ContainerBuilder().withName("fabric-preflight").withImage("mine").build()));
    cr.getSpec().getContext().setPodTemplate(o);
    List<Container> inits = pod(cr, Pool.CONTEXT).getInitContainers();
    assertThat(inits)
        .extracting(Container::getName)
        .containsExactly("fabric-preflight", "fetch-model");
    assertThat(inits.get(0).getImage()).isEqualTo(ModelFixtures.IMAGE);
  }

  @Test
  void thePoolsEnvReachesThePreflightButTheOperatorsNamesWin() {
    DisaggCluster cr = efaCluster();
    cr.getSpec()
        .getContext()
        .setEnv(
            List.of(
                new EnvVar("LD_LIBRARY_PATH", "/opt/x", null),
                new EnvVar("NODE_NAME", "spoofed", null)));
    Container c = preflight(cr, Pool.CONTEXT).orElseThrow();
    assertThat(env(c, "LD_LIBRARY_PATH")).isEqualTo("/opt/x");
    assertThat(env(c, "NODE_NAME")).isEqualTo("spec.nodeName");
  }
}
