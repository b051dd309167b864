package io.disagg.operator.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnschedulablePodsTest {

  static Pod pod(String name, String phase, String scheduledStatus, String reason, String message) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewStatus()
            .withPhase(phase)
            .endStatus();
    if (scheduledStatus != null) {
      b.editStatus()
          .addNewCondition()
          .withType("PodScheduled")
          .withStatus(scheduledStatus)
          .withReason(reason)
          .withMessage(message)
          .endCondition()
          .endStatus();
    }
    return b.build();
  }

  @Test
  void countsPendingPodsTheSchedulerRefused() {
    List<Pod> pods =
        List.of(
            pod("g-0", "Running", "True", null, null),
            pod("g-1", "Pending", null, null, null), // not yet looked at by the scheduler
            pod(
                "g-2",
                "Pending",
                "False",
                "Unschedulable",
                "0/8 nodes are available: 8 Insufficient nvidia.com/gpu."),
            pod("g-3", "Pending", "False", "Unschedulable", "other"),
            pod("g-4", "Pending", "True", null, null)); // scheduled, pulling the image
    assertThat(UnschedulablePods.of(pods))
        .isEqualTo(
            new UnschedulablePods(2, "0/8 nodes are available: 8 Insufficient nvidia.com/gpu."));
    assertThat(UnschedulablePods.of(List.of())).isEqualTo(new UnschedulablePods(0, null));
  }
}
