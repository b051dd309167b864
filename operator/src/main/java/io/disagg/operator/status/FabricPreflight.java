package io.disagg.operator.status;

import io.disagg.operator.model.Labels;
import io.disagg.operator.model.WorkerStatefulSets;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Optional;

/**
 * Reads a failed fabric pre-flight from a worker pod's status: its {@value
 * WorkerStatefulSets#PREFLIGHT_CONTAINER} init container terminated with a non-zero exit code and
 * the termination message {@code <Reason>: <message>} that {@code fabric-preflight.sh} writes. A
 * pure function of the pod.
 */
public final class FabricPreflight {
  private FabricPreflight() {}

  /** Longest part of a termination message quoted in the condition, in characters. */
  static final int MAX_MESSAGE = 300;

  /** A failed pre-flight: the condition's reason and a message naming the pod and the node. */
  public record Failure(Reason reason, String message) {}

  /**
   * The pre-flight failure the pod shows, if any. The init container counts as failed when its
   * current state is terminated with a non-zero exit code ({@code Init:Error}), or when it waits or
   * runs again after such a termination ({@code lastState}: {@code Init:CrashLoopBackOff}, or the
   * retry under way), so a retrying pod does not flip the condition. A pre-flight that succeeded
   * (terminated with 0) shows no failure whatever its last state.
   *
   * <p>The reason is the message's first token before {@code ':'} when it names one of the
   * pre-flight reasons ({@link Reason#EFA_DEVICES_MISSING}, {@link
   * Reason#EFA_PROVIDER_UNAVAILABLE}, {@link Reason#HUGEPAGES_MISSING}, {@link
   * Reason#NIXL_PLUGIN_MISSING}); otherwise {@link Reason#FABRIC_PREFLIGHT_FAILED}. The message:
   * {@code <component> pod <pod> on node <node>: fabric pre-flight failed (exit <code>):
   * <termination message>}, the termination message cut to its first line and {@value #MAX_MESSAGE}
   * characters.
   */
  public static Optional<Failure> failure(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null) {
      return Optional.empty();
    }
    List<ContainerStatus> statuses = pod.getStatus().getInitContainerStatuses();
    for (ContainerStatus cs : statuses) {
      if (!WorkerStatefulSets.PREFLIGHT_CONTAINER.equals(cs.getName())) {
        continue;
      }
      ContainerStateTerminated t = failedTermination(cs);
      if (t == null) {
        return Optional.empty();
      }
      String text = firstLine(t.getMessage());
      Reason reason = reasonOf(text);
      String node =
          pod.getSpec() == null || pod.getSpec().getNodeName() == null
              ? "(not scheduled)"
              : pod.getSpec().getNodeName();
      String component =
          pod.getMetadata().getLabels() == null
              ? ""
              : pod.getMetadata().getLabels().getOrDefault(Labels.COMPONENT, "");
      String message =
          (component.isEmpty() ? "" : component + " ")
              + "pod "
              + pod.getMetadata().getName()
              + " on node "
              + node
              + ": fabric pre-flight failed (exit "
              + t.getExitCode()
              + ")"
              + (text.isEmpty() ? "" : ": " + text);
      return Optional.of(new Failure(reason, message));
    }
    return Optional.empty();
  }

  /** The failed termination the status shows, or null (none, or the last run succeeded). */
  private static ContainerStateTerminated failedTermination(ContainerStatus cs) {
    ContainerStateTerminated now = cs.getState() == null ? null : cs.getState().getTerminated();
    if (now != null) {
      return failed(now) ? now : null;
    }
    ContainerStateTerminated last =
        cs.getLastState() == null ? null : cs.getLastState().getTerminated();
    return last != null && failed(last) ? last : null;
  }

  private static boolean failed(ContainerStateTerminated t) {
    return t.getExitCode() != null && t.getExitCode() != 0;
  }

  /** The reason named by {@code text}'s first token (before ':'), else FabricPreflightFailed. */
  static Reason reasonOf(String text) {
    int colon = text.indexOf(':');
    String token = colon < 0 ? "" : text.substring(0, colon).strip();
    for (Reason r :
        List.of(
            Reason.EFA_DEVICES_MISSING,
            Reason.EFA_PROVIDER_UNAVAILABLE,
            Reason.HUGEPAGES_MISSING,
            Reason.NIXL_PLUGIN_MISSING)) {
      if (r.reason().equals(token)) {
        return r;
      }
    }
    return Reason.FABRIC_PREFLIGHT_FAILED;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    String s = message.strip();
    int nl = s.indexOf('\n');
    if (nl >= 0) {
      s = s.substring(0, nl).strip();
    }
    return s.length() <= MAX_MESSAGE ? s : s.substring(0, MAX_MESSAGE - 3) + "...";
  }
}
