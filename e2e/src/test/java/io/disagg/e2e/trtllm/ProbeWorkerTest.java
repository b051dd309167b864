package io.disagg.e2e.trtllm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import org.junit.jupiter.api.Test;

/** {@link ProbeWorker}: the kubelet prober's thresholds, initial results and holds. */
class ProbeWorkerTest {

  private static Probe probe(Integer failureThreshold, Integer successThreshold) {
    return new ProbeBuilder()
        .withFailureThreshold(failureThreshold)
        .withSuccessThreshold(successThreshold)
        .build();
  }

  @Test
  void initialResultsAndApiServerDefaultsAreTheKubelets() {
    ProbeWorker readiness = new ProbeWorker(ProbeWorker.Kind.READINESS, new Probe());
    assertThat(readiness.result()).isEqualTo(ProbeWorker.Result.FAILURE);
    assertThat(readiness.periodSeconds()).isEqualTo(10);
    assertThat(readiness.timeoutSeconds()).isEqualTo(1);
    assertThat(readiness.initialDelaySeconds()).isZero();
    assertThat(new ProbeWorker(ProbeWorker.Kind.LIVENESS, new Probe()).result())
        .isEqualTo(ProbeWorker.Result.SUCCESS);
    assertThat(new ProbeWorker(ProbeWorker.Kind.STARTUP, new Probe()).result())
        .isEqualTo(ProbeWorker.Result.UNKNOWN);
  }

  @Test
  void readinessChangesOnlyAfterTheThresholdOfConsecutiveResults() {
    ProbeWorker w = new ProbeWorker(ProbeWorker.Kind.READINESS, probe(3, 2));
    assertThat(w.record(true)).isFalse();
    assertThat(w.record(true)).as("second success in a row").isTrue();
    assertThat(w.result()).isEqualTo(ProbeWorker.Result.SUCCESS);
    assertThat(w.record(false)).isFalse();
    assertThat(w.record(false)).isFalse();
    assertThat(w.record(true)).as("a success resets the run of failures").isFalse();
    assertThat(w.record(false)).isFalse();
    assertThat(w.record(false)).isFalse();
    assertThat(w.record(false)).isTrue();
    assertThat(w.result()).isEqualTo(ProbeWorker.Result.FAILURE);
    assertThat(w.onHold()).as("readiness is never put on hold").isFalse();
  }

  @Test
  void aLivenessFailureHoldsTheWorkerUntilANewContainer() {
    ProbeWorker w = new ProbeWorker(ProbeWorker.Kind.LIVENESS, probe(2, 1));
    assertThat(w.record(false)).isFalse();
    assertThat(w.record(false)).isTrue();
    assertThat(w.result()).isEqualTo(ProbeWorker.Result.FAILURE);
    assertThat(w.onHold()).isTrue();
    assertThat(w.record(true)).as("ignored while on hold").isFalse();
    assertThat(w.result()).isEqualTo(ProbeWorker.Result.FAILURE);
    w.newContainer();
    assertThat(w.onHold()).isFalse();
    assertThat(w.result()).isEqualTo(ProbeWorker.Result.SUCCESS);
  }

  @Test
  void aStartupProbeIsHeldOnceItSucceededOrFailed() {
    ProbeWorker ok = new ProbeWorker(ProbeWorker.Kind.STARTUP, probe(3, 1));
    assertThat(ok.record(false)).isFalse();
    assertThat(ok.record(true)).isTrue();
    assertThat(ok.result()).isEqualTo(ProbeWorker.Result.SUCCESS);
    assertThat(ok.onHold()).isTrue();

    ProbeWorker failing = new ProbeWorker(ProbeWorker.Kind.STARTUP, probe(2, 1));
    failing.record(false);
    assertThat(failing.record(false)).isTrue();
    assertThat(failing.result()).isEqualTo(ProbeWorker.Result.FAILURE);
    assertThat(failing.onHold()).isTrue();
  }
}
