package io.disagg.operator.status;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.ModelCacheStatus;
import io.disagg.operator.model.ModelCaches;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code status.modelCache} from the download Job and its pods, and the {@code Degraded} condition
 * of a failed download. Pure functions.
 *
 * <p>Job conditions as the Job controller writes them ({@code pkg/controller/job/job_controller.go}
 * of Kubernetes 1.33): {@code Complete} True when the pod succeeded; {@code Failed} True with
 * reason {@code BackoffLimitExceeded} ("Job has reached the specified backoff limit") after {@code
 * backoffLimit} retries, or {@code DeadlineExceeded}. The Job's message says nothing about why the
 * download failed, so the failed pod's termination message (what the download program wrote: {@code
 * <ExceptionType>: <message>} of {@code huggingface_hub}, or the end of its log) is added.
 */
public final class ModelCacheState {
  private ModelCacheState() {}

  /** Longest termination message quoted, in characters. */
  static final int MAX_MESSAGE = 400;

  /**
   * The cache state of the current model identity.
   *
   * @param cr the effective spec, with {@code spec.modelCache} set
   * @param job the download Job {@link ModelCaches#jobName} as observed, or null (not created yet,
   *     or no download)
   * @param pods the pods of that Job (label {@link ModelCaches#IDENTITY_LABEL}), any order
   */
  public static ModelCacheStatus of(DisaggCluster cr, Job job, List<Pod> pods) {
    ModelCacheStatus s = new ModelCacheStatus();
    s.setClaimName(ModelCaches.claimName(cr));
    if (!ModelCaches.downloads(cr)) {
      s.setState(ModelCacheStatus.PREPOPULATED);
      s.setMessage("no download: the workers read the volume as it is");
      return s;
    }
    s.setModelIdentity(ModelCaches.identity(cr));
    s.setJobName(ModelCaches.jobName(cr));
    if (job == null) {
      s.setState(ModelCacheStatus.PENDING);
      s.setMessage("download Job " + s.getJobName() + " not created yet");
      return s;
    }
    Optional<String> lastFailure = lastFailure(pods);
    if (isTrue(job, "Complete")) {
      s.setState(ModelCacheStatus.COMPLETE);
      s.setCompletionTime(job.getStatus().getCompletionTime());
      return s;
    }
    Optional<JobCondition> failed = condition(job, "Failed");
    if (failed.isPresent()) {
      s.setState(ModelCacheStatus.FAILED);
      JobCondition c = failed.get();
      String why =
          (c.getReason() == null ? "" : c.getReason())
              + (c.getMessage() == null || c.getMessage().isBlank() ? "" : ": " + c.getMessage());
      s.setMessage(
          "download Job "
              + s.getJobName()
              + " failed"
              + (why.isEmpty() ? "" : " (" + why + ")")
              + lastFailure.map(f -> "; " + f).orElse(""));
      return s;
    }
    boolean running =
        pods.stream()
            .anyMatch(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
    if (running) {
      s.setState(ModelCacheStatus.DOWNLOADING);
      s.setMessage(lastFailure.map(f -> "retrying after " + f).orElse(null));
      return s;
    }
    s.setState(ModelCacheStatus.PENDING);
    s.setMessage(
        unscheduled(pods)
            .or(() -> lastFailure.map(f -> "retrying after " + f))
            .orElse("download pod not running yet"));
    return s;
  }

  /**
   * The conditions with {@code Degraded} True, reason {@link Reason#MODEL_DOWNLOAD_FAILED} and the
   * cache's message when the download failed and nothing else degrades the cluster already; its
   * {@code lastTransitionTime} relative to {@code previous} (the status before this reconcile), so
   * an unchanged failure writes nothing. The kstatus summary is computed again.
   */
  public static List<Condition> apply(
      List<Condition> computed,
      List<Condition> previous,
      ModelCacheStatus cache,
      Long generation,
      Instant now) {
    if (cache == null
        || !ModelCacheStatus.FAILED.equals(cache.getState())
        || Conditions.isTrue(computed, ConditionType.DEGRADED)) {
      return computed;
    }
    Condition degraded =
        Conditions.find(
                Conditions.set(
                    previous,
                    ConditionType.DEGRADED,
                    true,
                    Reason.MODEL_DOWNLOAD_FAILED,
                    "model cache: "
                        + cache.getMessage()
                        + "; workers wait for the cache (delete the Job to try again)",
                    generation,
                    now),
                ConditionType.DEGRADED)
            .orElseThrow();
    List<Condition> out = new ArrayList<>(Conditions.without(computed, ConditionType.DEGRADED));
    out.add(degraded);
    return Conditions.withGitOpsSummary(out, generation, now);
  }

  private static boolean isTrue(Job job, String type) {
    return condition(job, type).isPresent();
  }

  private static Optional<JobCondition> condition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
        .findFirst();
  }

  /** The newest failed download pod's termination, as "pod P failed (exit N): message". */
  static Optional<String> lastFailure(List<Pod> pods) {
    return pods.stream()
        .map(p -> failure(p).map(t -> new Object[] {p, t}))
        .flatMap(Optional::stream)
        .max(
            Comparator.comparing(
                (Object[] a) ->
                    ((ContainerStateTerminated) a[1]).getFinishedAt() == null
                        ? ""
                        : ((ContainerStateTerminated) a[1]).getFinishedAt()))
        .map(
            a -> {
              Pod p = (Pod) a[0];
              ContainerStateTerminated t = (ContainerStateTerminated) a[1];
              String m = t.getMessage() == null ? "" : t.getMessage().strip();
              if (m.length() > MAX_MESSAGE) {
                m = m.substring(0, MAX_MESSAGE - 3) + "...";
              }
              return "pod "
                  + p.getMetadata().getName()
                  + " failed (exit "
                  + t.getExitCode()
                  + ")"
                  + (m.isEmpty() ? "" : ": " + m);
            });
  }

  private static Optional<ContainerStateTerminated> failure(Pod p) {
    if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
      if (!ModelCaches.DOWNLOAD_CONTAINER.equals(cs.getName()) || cs.getState() == null) {
        continue;
      }
      ContainerStateTerminated t = cs.getState().getTerminated();
      if (t != null && t.getExitCode() != null && t.getExitCode() != 0) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** Why a download pod is not scheduled (e.g. its claim is not bound), if one is not. */
  private static Optional<String> unscheduled(List<Pod> pods) {
    for (Pod p : pods) {
      if (p.getStatus() == null || p.getStatus().getConditions() == null) {
        continue;
      }
      for (PodCondition c : p.getStatus().getConditions()) {
        if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())) {
          return Optional.of(
              "pod "
                  + p.getMetadata().getName()
                  + " not scheduled"
                  + (c.getMessage() == null ? "" : ": " + c.getMessage()));
        }
      }
    }
    return Optional.empty();
  }
}
