package io.disagg.e2e.trtllm;

import io.fabric8.kubernetes.api.model.Probe;

/**
 * The result bookkeeping of one probe of one container, as the kubelet's prober worker keeps it
 * ({@code worker.doProbe} in {@code pkg/kubelet/prober/worker.go}, Kubernetes v1.33): consecutive
 * results are counted, and the probe's result only changes once {@code failureThreshold} failures
 * or {@code successThreshold} successes in a row were seen. A liveness failure and any startup
 * result that reaches its threshold put the worker on hold until a new container (the kubelet
 * restarts the container, or the container has started). Initial results: readiness Failure,
 * liveness Success, startup Unknown ({@code newWorker}). Pure state, no I/O; the caller runs the
 * probes.
 */
final class ProbeWorker {

  /** The three probe kinds of {@code pkg/kubelet/prober}. */
  enum Kind {
    STARTUP,
    READINESS,
    LIVENESS
  }

  /** {@code results.Result}. */
  enum Result {
    UNKNOWN,
    SUCCESS,
    FAILURE
  }

  private final Kind kind;
  private final int periodSeconds;
  private final int timeoutSeconds;
  private final int initialDelaySeconds;
  private final int failureThreshold;
  private final int successThreshold;
  private Result result;
  private Result lastResult = Result.UNKNOWN;
  private int resultRun;
  private boolean onHold;

  /**
   * Defaults as the API server fills them ({@code SetDefaults_Probe}): period 10 s, timeout 1 s,
   * success threshold 1, failure threshold 3, initial delay 0.
   */
  ProbeWorker(Kind kind, Probe spec) {
    this.kind = kind;
    this.periodSeconds = positive(spec.getPeriodSeconds(), 10);
    this.timeoutSeconds = positive(spec.getTimeoutSeconds(), 1);
    this.initialDelaySeconds =
        spec.getInitialDelaySeconds() == null ? 0 : Math.max(0, spec.getInitialDelaySeconds());
    this.failureThreshold = positive(spec.getFailureThreshold(), 3);
    this.successThreshold = positive(spec.getSuccessThreshold(), 1);
    this.result = initial(kind);
  }

  private static int positive(Integer v, int dflt) {
    return v == null || v <= 0 ? dflt : v;
  }

  private static Result initial(Kind kind) {
    return switch (kind) {
      case READINESS -> Result.FAILURE;
      case LIVENESS -> Result.SUCCESS;
      case STARTUP -> Result.UNKNOWN;
    };
  }

  Kind kind() {
    return kind;
  }

  int periodSeconds() {
    return periodSeconds;
  }

  int timeoutSeconds() {
    return timeoutSeconds;
  }

  int initialDelaySeconds() {
    return initialDelaySeconds;
  }

  /** The result the kubelet acts on (the results manager's value). */
  synchronized Result result() {
    return result;
  }

  /** Whether probing is suspended until a new container. */
  synchronized boolean onHold() {
    return onHold;
  }

  /**
   * A new container ({@code doProbe}: a new container ID resets the result to the initial value and
   * resumes probing).
   */
  synchronized void newContainer() {
    result = initial(kind);
    lastResult = Result.UNKNOWN;
    resultRun = 0;
    onHold = false;
  }

  /**
   * Records one probe outcome.
   *
   * @return whether {@link #result()} changed
   */
  synchronized boolean record(boolean success) {
    if (onHold) {
      return false;
    }
    Result r = success ? Result.SUCCESS : Result.FAILURE;
    if (r == lastResult) {
      resultRun++;
    } else {
      lastResult = r;
      resultRun = 1;
    }
    if ((r == Result.FAILURE && resultRun < failureThreshold)
        || (r == Result.SUCCESS && resultRun < successThreshold)) {
      return false;
    }
    Result before = result;
    result = r;
    if ((kind == Kind.LIVENESS && r == Result.FAILURE) || kind == Kind.STARTUP) {
      onHold = true;
      resultRun = 0;
    }
    return before != r;
  }

  @Override
  public synchronized String toString() {
    return kind + "[" + result + (onHold ? ", on hold" : "") + "]";
  }
}
