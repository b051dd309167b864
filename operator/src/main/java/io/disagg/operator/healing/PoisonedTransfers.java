package io.disagg.operator.healing;

import io.disagg.operator.model.WorkerStatefulSets;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.Optional;

/**
 * How the operator recognizes a worker whose KV-cache transfer buffer is poisoned. Pure functions;
 * the log is read by {@code controller/HealingStep}.
 *
 * <p>The signal, from TensorRT-LLM's source (main after NVIDIA/TensorRT-LLM PR #15238, with
 * in-flight cancellation opted in by {@code TRTLLM_DISAGG_ENABLE_INFLIGHT_CANCEL=1}): when a
 * transfer is cancelled and the reuse of its buffer cannot be proven safe, the slot is quarantined
 * ("poisoned slots are never returned to the pool", {@code
 * docs/source/features/disagg-transfer-poisoning.md}); {@code
 * DisaggTransferCoordinator.handle_errors_synced} ({@code
 * tensorrt_llm/_torch/disaggregation/orchestration/coordinator.py}) then calls {@code
 * fail_fatal("Disagg KV cache transfer buffer is poisoned; process restart is required")} ({@code
 * PyExecutorEffects.fail_fatal} in {@code tensorrt_llm/_torch/pyexecutor/disagg_adapter.py}), which
 * fails every active request and shuts the executor down. {@code OpenAIServer.health} ({@code
 * tensorrt_llm/serve/openai_server.py}) answers 503 "LLM is unavailable" from then on, so the pod
 * turns not Ready, while its etcd registration stays and the router keeps sending it requests that
 * fail. No metric or endpoint names the cause; the log line does, so it is the signal. The operator
 * reads the log of a worker only when its container has started (model loaded) and is running but
 * not ready, a bounded tail ({@value #TAIL_LINES} lines, at most {@value #LIMIT_BYTES} bytes), once
 * per not-ready {@link #episode} and then at most once per {@link #RECHECK}.
 *
 * <p>Releases 1.2.x have no poisoning (no in-flight cancellation); a transfer stuck there is never
 * failed and leaves no signal (docs/self-healing.md).
 */
public final class PoisonedTransfers {
  private PoisonedTransfers() {}

  /** The part of the fatal error TensorRT-LLM logs, as {@code handle_errors_synced} words it. */
  public static final String MARKER = "Disagg KV cache transfer buffer is poisoned";

  /** Lines of the worker container's log read ({@code tailLines}). */
  public static final int TAIL_LINES = 200;

  /** Upper bound of the bytes read per log read ({@code limitBytes}), 64 KiB. */
  public static final int LIMIT_BYTES = 64 * 1024;

  /** Least time between two log reads of the same pod. */
  public static final Duration RECHECK = Duration.ofSeconds(20);

  private static final int MAX_EVIDENCE_CHARS = 300;

  /**
   * Whether the pod's log is worth reading: not terminating, its worker container running and
   * started (the model is loaded, the startup probe passed) but not ready (its {@code /health}
   * fails).
   */
  public static boolean suspect(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null
        || pod.getStatus() == null
        || pod.getStatus().getContainerStatuses() == null) {
      return false;
    }
    for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
      if (WorkerStatefulSets.CONTAINER.equals(c.getName())) {
        return Boolean.TRUE.equals(c.getStarted())
            && !Boolean.TRUE.equals(c.getReady())
            && c.getState() != null
            && c.getState().getRunning() != null;
      }
    }
    return false;
  }

  /**
   * The worker process a verdict is about: {@code <pod uid>/<restartCount>}; a restarted container
   * is a new process.
   */
  public static String process(Pod pod) {
    int restarts = 0;
    if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
        if (WorkerStatefulSets.CONTAINER.equals(c.getName()) && c.getRestartCount() != null) {
          restarts = c.getRestartCount();
        }
      }
    }
    return pod.getMetadata().getUid() + "/" + restarts;
  }

  /**
   * One not-ready episode of one worker process: {@link #process} and when the pod's {@code Ready}
   * condition last changed. A verdict read while the process was starting says nothing of a later
   * episode, so each episode gets its own read.
   */
  public static String episode(Pod pod) {
    String since = "";
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      for (var c : pod.getStatus().getConditions()) {
        if ("Ready".equals(c.getType()) && c.getLastTransitionTime() != null) {
          since = c.getLastTransitionTime();
        }
      }
    }
    return process(pod) + "@" + since;
  }

  /** The last log line naming a poisoned transfer buffer (trimmed, shortened), if any. */
  public static Optional<String> evidence(String log) {
    if (log == null || !log.contains(MARKER)) {
      return Optional.empty();
    }
    String found = null;
    for (String line : log.split("\n")) {
      if (line.contains(MARKER)) {
        found = line.strip();
      }
    }
    return Optional.ofNullable(found)
        .map(l -> l.length() > MAX_EVIDENCE_CHARS ? l.substring(0, MAX_EVIDENCE_CHARS) + "..." : l);
  }
}
