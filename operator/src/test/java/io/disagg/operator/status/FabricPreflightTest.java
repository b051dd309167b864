package io.disagg.operator.status;

import static io.disagg.operator.status.StatusCalculatorTest.T0;
import static io.disagg.operator.status.StatusCalculatorTest.condition;
import static io.disagg.operator.status.StatusCalculatorTest.cr;
import static io.disagg.operator.status.StatusCalculatorTest.observed;
import static io.disagg.operator.status.StatusCalculatorTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FabricPreflightTest {

  static ContainerState terminated(int exitCode, String message) {
    return new ContainerStateBuilder()
        .withNewTerminated()
        .withExitCode(exitCode)
        .withReason(exitCode == 0 ? "Completed" : "Error")
        .withMessage(message)
        .endTerminated()
        .build();
  }

  static ContainerState waitingBackOff() {
    return new ContainerStateBuilder()
        .withNewWaiting()
        .withReason("CrashLoopBackOff")
        .endWaiting()
        .build();
  }

  static Pod pod(String initName, ContainerState state, ContainerState last) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("c-context-0")
        .addToLabels("app.kubernetes.io/component", "context")
        .endMetadata()
        .withNewSpec()
        .withNodeName("gpu-node-3")
        .endSpec()
        .withNewStatus()
        .withPhase("Pending")
        .addNewInitContainerStatus()
        .withName(initName)
        .withState(state)
        .withLastState(last)
        .endInitContainerStatus()
        .endStatus()
        .build();
  }

  @ParameterizedTest
  @CsvSource({
    "'EfaDevicesMissing: node gpu-node-3: 0 of 32 EFA devices visible', EfaDevicesMissing",
    "'EfaProviderUnavailable: node n: fi_info exited 1', EfaProviderUnavailable",
    "'NixlPluginMissing: node n: no libplugin_LIBFABRIC.so', NixlPluginMissing",
    "'HugepagesMissing: node n: HugePages_Total is 0', HugepagesMissing",
    "'sh: 1: /etc/trtllm/fabric-preflight.sh: not found', FabricPreflightFailed",
    "'SomethingElse: what', FabricPreflightFailed",
    "'', FabricPreflightFailed",
  })
  void theReasonIsTheMessagesFirstToken(String message, String reason) {
    var f = FabricPreflight.failure(pod("fabric-preflight", terminated(1, message), null));
    assertThat(f).isPresent();
    assertThat(f.get().reason().reason()).isEqualTo(reason);
    assertThat(f.get().message())
        .startsWith("context pod c-context-0 on node gpu-node-3: fabric pre-flight failed (exit 1)")
        .contains(message);
  }

  @Test
  void aRetryInBackOffOrUnderWayStillCountsAsFailed() {
    String msg = "EfaDevicesMissing: node gpu-node-3: 2 of 32";
    assertThat(
            FabricPreflight.failure(pod("fabric-preflight", waitingBackOff(), terminated(1, msg))))
        .map(FabricPreflight.Failure::reason)
        .contains(Reason.EFA_DEVICES_MISSING);
    ContainerState running =
        new ContainerStateBuilder().withNewRunning().withStartedAt("t").endRunning().build();
    assertThat(FabricPreflight.failure(pod("fabric-preflight", running, terminated(1, msg))))
        .isPresent();
  }

  @Test
  void successOtherInitContainersAndNoStatusAreNoFailure() {
    assertThat(
            FabricPreflight.failure(
                pod("fabric-preflight", terminated(0, ""), terminated(1, "EfaDevicesMissing: x"))))
        .isEmpty();
    assertThat(FabricPreflight.failure(pod("fetch-model", terminated(1, "boom"), null))).isEmpty();
    assertThat(
            FabricPreflight.failure(
                new PodBuilder().withNewMetadata().withName("p").endMetadata().build()))
        .isEmpty();
    assertThat(FabricPreflight.failure(pod("fabric-preflight", waitingBackOff(), null))).isEmpty();
  }

  @Test
  void onlyTheFirstLineOfALongMessageIsQuoted() {
    String msg = "HugepagesMissing: " + "x".repeat(500) + "\nsecond line";
    String m =
        FabricPreflight.failure(pod("fabric-preflight", terminated(2, msg), null))
            .orElseThrow()
            .message();
    assertThat(m).doesNotContain("second line").endsWith("...");
    assertThat(m.length()).isLessThan(FabricPreflight.MAX_MESSAGE + 100);
  }

  @Test
  void aFailedPreflightDegradesTheClusterNamingPodNodeAndReason() {
    Pod failed =
        pod(
            "fabric-preflight",
            waitingBackOff(),
            terminated(1, "EfaDevicesMissing: node gpu-node-3: 0 of 32 EFA devices visible"));
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(snapshot(true), List.of(failed), Map.of(), List.of()),
            T0);
    Condition d = condition(s, ConditionType.DEGRADED);
    assertThat(d.getStatus()).isEqualTo("True");
    assertThat(d.getReason()).isEqualTo("EfaDevicesMissing");
    assertThat(d.getMessage()).contains("c-context-0", "gpu-node-3", "0 of 32");
  }
}
