package io.disagg.e2e.trtllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Samples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated kubelet's pre-flight run against the pod the operator renders for the EFA sample
 * and the ConfigMaps it renders: each {@link NodeFabric} fault gives the script's reason.
 */
class PreflightTest {

  Pod pod;
  Container init;
  Map<String, Map<String, String>> configMaps;

  @BeforeEach
  void renderTheEfaSample() {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "/bin/sh is missing");
    DisaggCluster cr = Samples.load("aws-efa-p5.yaml");
    cr.getMetadata().setNamespace("ns");
    EffectiveSpec eff = EffectiveSpecs.of(cr, List.of()).spec();
    DisaggCluster c = eff.cluster();
    RevisionNames names = RevisionNames.legacy(eff, "0123456789");
    pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("llama-70b-efa-context-0")
            .withNamespace("ns")
            .endMetadata()
            .withSpec(WorkerStatefulSets.podTemplate(c, names, Pool.CONTEXT, "h").getSpec())
            .build();
    pod.getSpec().setNodeName("gpu-node-a");
    init = pod.getSpec().getInitContainers().get(0);
    configMaps = new HashMap<>();
    configMaps.put(names.configMap(), TrtllmConfig.configMapData(eff));
    configMaps.put(names.fabricConfigMap(), TrtllmConfig.fabricEnv(c));
  }

  Preflight.Result run(NodeFabric node) throws Exception {
    return Preflight.run(pod, init, node, configMaps::get);
  }

  @Test
  void aHealthyNodePasses() throws Exception {
    Preflight.Result r = run(NodeFabric.HEALTHY);
    assertThat(r.exitCode()).as(r.message()).isZero();
    assertThat(r.message()).isEmpty();
  }

  @Test
  void eachFaultGivesItsReasonNamingTheNode() throws Exception {
    assertThat(run(NodeFabric.HEALTHY.withEfaDevices(0)).message())
        .startsWith("EfaDevicesMissing: node gpu-node-a: 0 of 32 EFA devices visible");
    assertThat(run(NodeFabric.HEALTHY.withEfaDevices(31)).message())
        .startsWith("EfaDevicesMissing: node gpu-node-a: 31 of 32");
    assertThat(run(new NodeFabric(NodeFabric.AS_ALLOCATED, false, true, true)))
        .satisfies(
            r -> {
              assertThat(r.exitCode()).isEqualTo(1);
              assertThat(r.message())
                  .startsWith("EfaProviderUnavailable: node gpu-node-a:")
                  .contains("fi_getinfo: -61");
            });
    assertThat(run(new NodeFabric(NodeFabric.AS_ALLOCATED, true, false, true)).message())
        .startsWith("HugepagesMissing: node gpu-node-a: HugePages_Total is 0");
    assertThat(run(new NodeFabric(NodeFabric.AS_ALLOCATED, true, true, false)).message())
        .startsWith(
            "NixlPluginMissing: node gpu-node-a: no libplugin_LIBFABRIC.so in NIXL_PLUGIN_DIR"
                + " /opt/nixl/lib/x86_64-linux-gnu/plugins");
  }

  @Test
  void aMissingConfigMapIsNotARun() {
    configMaps.clear();
    assertThatThrownBy(() -> run(NodeFabric.HEALTHY))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("llama-70b-efa-config");
  }
}
