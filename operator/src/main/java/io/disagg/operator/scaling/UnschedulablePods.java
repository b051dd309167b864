package io.disagg.operator.scaling;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.Collection;

/**
 * The pods of a pool the scheduler could not place: phase Pending with condition {@code
 * PodScheduled=False}, reason {@code Unschedulable}. Input of {@link Autoscaler.PoolInput}.
 *
 * @param count how many
 * @param message the scheduler's message of the first one (e.g. "0/8 nodes are available: 8
 *     Insufficient nvidia.com/gpu."), or null
 */
public record UnschedulablePods(int count, String message) {

  /** Counts the unschedulable pods among a pool's pods. */
  public static UnschedulablePods of(Collection<Pod> pods) {
    int count = 0;
    String message = null;
    for (Pod pod : pods) {
      if (pod.getStatus() == null
          || !"Pending".equals(pod.getStatus().getPhase())
          || pod.getMetadata() != null && pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      for (PodCondition c : pod.getStatus().getConditions()) {
        if ("PodScheduled".equals(c.getType())
            && "False".equals(c.getStatus())
            && "Unschedulable".equals(c.getReason())) {
          count++;
          if (message == null && c.getMessage() != null && !c.getMessage().isBlank()) {
            message = c.getMessage().strip();
          }
          break;
        }
      }
    }
    return new UnschedulablePods(count, message);
  }
}
