package io.disagg.operator.model;

import io.fabric8.kubernetes.api.model.Pod;

/** What the operator reads of a pod's status. Pure functions. */
public final class PodStates {
  private PodStates() {}

  /** Whether the pod is Running and its {@code Ready} condition is True. */
  public static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase())
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** Whether the pod is being deleted (it has a deletion timestamp). */
  public static boolean terminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }
}
