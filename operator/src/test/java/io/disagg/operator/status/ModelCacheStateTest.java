package io.disagg.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.api.v1alpha1.ModelCacheStatus;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.model.ModelFixtures;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Job conditions and pods to the cache state, as the Job controller reports a Job ({@code
 * pkg/controller/job/job_controller.go}, Kubernetes 1.33: {@code Complete}, {@code Failed} with
 * {@code BackoffLimitExceeded}) and the download program fails (huggingface_hub's {@code
 * hf_raise_for_status} in {@code huggingface_hub/utils/_http.py} raises {@code GatedRepoError} or
 * {@code RepositoryNotFoundError}; the program writes {@code <Type>: <message>} to the termination
 * log).
 */
class ModelCacheStateTest {

  static final Instant NOW = Instant.parse("2026-12-01T04:00:00Z");

  static DisaggCluster cr() {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().setModelCache(new ModelCacheSpec());
    cr.getSpec().getModelCache().setClaimName("weights");
    return EffectiveSpecs.of(cr, List.of("etcd:2379")).spec().cluster();
  }

  static Job job(String condition, String reason, String message) {
    JobBuilder b =
        new JobBuilder().withNewMetadata().withName(ModelCaches.jobName(cr())).endMetadata();
    if (condition == null) {
      return b.withNewStatus().withActive(1).endStatus().build();
    }
    return b.withNewStatus()
        .addNewCondition()
        .withType(condition)
        .withStatus("True")
        .withReason(reason)
        .withMessage(message)
        .endCondition()
        .withCompletionTime("Complete".equals(condition) ? "2026-12-01T03:59:00Z" : null)
        .endStatus()
        .build();
  }

  static Pod pod(String name, String phase, Integer exit, String message) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewStatus()
            .withPhase(phase)
            .endStatus()
            .build();
    if (exit != null) {
      p.getStatus()
          .setContainerStatuses(
              List.of(
                  new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
                      .withName(ModelCaches.DOWNLOAD_CONTAINER)
                      .withNewState()
                      .withNewTerminated()
                      .withExitCode(exit)
                      .withMessage(message)
                      .withFinishedAt("2026-12-01T03:5" + name.charAt(name.length() - 1) + ":00Z")
                      .endTerminated()
                      .endState()
                      .build()));
    }
    return p;
  }

  @Test
  void noJobYetIsPending() {
    ModelCacheStatus s = ModelCacheState.of(cr(), null, List.of());
    assertThat(s.getState()).isEqualTo(ModelCacheStatus.PENDING);
    assertThat(s.getClaimName()).isEqualTo("weights");
    assertThat(s.getModelIdentity()).isEqualTo(ModelCaches.identity(cr()));
    assertThat(s.getJobName()).isEqualTo(ModelCaches.jobName(cr()));
  }

  @Test
  void runningPodIsDownloadingAndCompleteJobIsComplete() {
    assertThat(
            ModelCacheState.of(
                    cr(), job(null, null, null), List.of(pod("p-1", "Running", null, null)))
                .getState())
        .isEqualTo(ModelCacheStatus.DOWNLOADING);
    ModelCacheStatus done =
        ModelCacheState.of(
            cr(), job("Complete", null, null), List.of(pod("p-1", "Succeeded", 0, "")));
    assertThat(done.getState()).isEqualTo(ModelCacheStatus.COMPLETE);
    assertThat(done.getCompletionTime()).isEqualTo("2026-12-01T03:59:00Z");
  }

  @Test
  void failedJobCarriesTheJobsAndTheLastPodsMessage() {
    ModelCacheStatus s =
        ModelCacheState.of(
            cr(),
            job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
            List.of(
                pod("dl-1", "Failed", 1, "GatedRepoError: 401 Client Error. first"),
                pod("dl-2", "Failed", 1, "GatedRepoError: 401 Client Error. second")));
    assertThat(s.getState()).isEqualTo(ModelCacheStatus.FAILED);
    assertThat(s.getMessage())
        .isEqualTo(
            "download Job "
                + ModelCaches.jobName(cr())
                + " failed (BackoffLimitExceeded: Job has reached the specified backoff limit);"
                + " pod dl-2 failed (exit 1): GatedRepoError: 401 Client Error. second");
  }

  @Test
  void aRetryAfterAFailureSaysSo() {
    ModelCacheStatus s =
        ModelCacheState.of(
            cr(),
            job(null, null, null),
            List.of(pod("dl-1", "Failed", 1, "boom"), pod("dl-2", "Running", null, null)));
    assertThat(s.getState()).isEqualTo(ModelCacheStatus.DOWNLOADING);
    assertThat(s.getMessage()).isEqualTo("retrying after pod dl-1 failed (exit 1): boom");
  }

  @Test
  void failureDegradesOnceAndKeepsItsTransitionTime() {
    ModelCacheStatus failed = new ModelCacheStatus();
    failed.setState(ModelCacheStatus.FAILED);
    failed.setMessage("download Job x failed");
    List<Condition> computed =
        Conditions.set(
            List.of(), ConditionType.DEGRADED, false, Reason.AS_EXPECTED, "no problems", 1L, NOW);
    List<Condition> first = ModelCacheState.apply(computed, List.of(), failed, 1L, NOW);
    Condition d = Conditions.find(first, ConditionType.DEGRADED).orElseThrow();
    assertThat(d.getStatus()).isEqualTo("True");
    assertThat(d.getReason()).isEqualTo("ModelDownloadFailed");
    assertThat(d.getMessage()).startsWith("model cache: download Job x failed");
    List<Condition> again = ModelCacheState.apply(computed, first, failed, 1L, NOW.plusSeconds(60));
    assertThat(Conditions.find(again, ConditionType.DEGRADED).orElseThrow().getLastTransitionTime())
        .isEqualTo(d.getLastTransitionTime());
    ModelCacheStatus complete = new ModelCacheStatus();
    complete.setState(ModelCacheStatus.COMPLETE);
    assertThat(ModelCacheState.apply(computed, first, complete, 1L, NOW)).isSameAs(computed);
  }
}
