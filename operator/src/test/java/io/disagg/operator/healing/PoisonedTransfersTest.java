package io.disagg.operator.healing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class PoisonedTransfersTest {

  /**
   * The line TensorRT-LLM logs: {@code DisaggTransferCoordinator.handle_errors_synced} ({@code
   * tensorrt_llm/_torch/disaggregation/orchestration/coordinator.py}) calls {@code
   * fail_fatal("Disagg KV cache transfer buffer is poisoned; process restart is required")}, which
   * {@code PyExecutorEffects.fail_fatal} turns into {@code RuntimeError(f"Fatal error: {msg}")};
   * the logger prefix is {@code tensorrt_llm.logger}'s.
   */
  private static final String LINE =
      "[12/01/2026-01:02:03] [TRT-LLM] [E] Fatal error: Disagg KV cache transfer buffer is"
          + " poisoned; process restart is required";

  @Test
  void theEvidenceIsTheLastLineNamingThePoisonedBuffer() {
    String log = "[TRT-LLM] [I] serving\n" + LINE + "\n[TRT-LLM] [W] shutting down\n";
    assertThat(PoisonedTransfers.evidence(log)).hasValue(LINE);
    assertThat(
            PoisonedTransfers.evidence(
                "[TRT-LLM] [W] Terminating generation request 7 due to"
                    + " KV cache transfer timeout"))
        .isEmpty();
    assertThat(PoisonedTransfers.evidence(null)).isEmpty();
    assertThat(PoisonedTransfers.evidence(LINE + "x".repeat(1000)).orElseThrow()).hasSize(303);
  }

  @Test
  void onlyAStartedRunningUnreadyWorkerContainerIsASuspect() {
    assertThat(PoisonedTransfers.suspect(pod(true, false, true, 0))).isTrue();
    assertThat(PoisonedTransfers.suspect(pod(true, true, true, 0))).as("ready").isFalse();
    assertThat(PoisonedTransfers.suspect(pod(false, false, true, 0)))
        .as("still loading its model")
        .isFalse();
    assertThat(PoisonedTransfers.suspect(pod(true, false, false, 0))).as("not running").isFalse();
  }

  @Test
  void aRestartedContainerIsAnotherProcess() {
    assertThat(PoisonedTransfers.process(pod(true, false, true, 0))).isEqualTo("u1/0");
    assertThat(PoisonedTransfers.process(pod(true, false, true, 2))).isEqualTo("u1/2");
  }

  @Test
  void eachNotReadyEpisodeIsReadAgain() {
    Pod starting = notReadySince("2026-12-01T01:00:00Z");
    assertThat(PoisonedTransfers.episode(starting))
        .isEqualTo("u1/0@2026-12-01T01:00:00Z")
        .isNotEqualTo(PoisonedTransfers.episode(notReadySince("2026-12-01T01:05:00Z")));
  }

  private static Pod notReadySince(String time) {
    Pod pod = pod(true, false, true, 0);
    pod.getStatus()
        .setConditions(
            java.util.List.of(
                new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                    .withType("Ready")
                    .withStatus("False")
                    .withLastTransitionTime(time)
                    .build()));
    return pod;
  }

  private static Pod pod(boolean started, boolean ready, boolean running, int restarts) {
    ContainerStatusBuilder c =
        new ContainerStatusBuilder()
            .withName("worker")
            .withStarted(started)
            .withReady(ready)
            .withRestartCount(restarts);
    c =
        running
            ? c.withNewState().withNewRunning().endRunning().endState()
            : c.withNewState()
                .withNewWaiting()
                .withReason("CrashLoopBackOff")
                .endWaiting()
                .endState();
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withUid("u1")
        .endMetadata()
        .withNewStatus()
        .withContainerStatuses(c.build())
        .endStatus()
        .build();
  }
}
