package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * What the operator repairs on its own (docs/self-healing.md): worker pods that are Ready but not
 * registered in etcd, which TensorRT-LLM does not recover from (a worker whose lease expired keeps
 * refreshing the dead lease and never registers again, {@code DisaggClusterWorker._heartbeat} in
 * {@code tensorrt_llm/serve/disagg_auto_scaling.py}), and workers whose KV-cache transfer buffer is
 * poisoned ({@code healing/PoisonedTransfers}).
 */
public class SelfHealingSpec {

  /** Default of {@link #minRestartIntervalSeconds}, in seconds. */
  public static final int DEFAULT_MIN_RESTART_INTERVAL_SECONDS = 60;

  /** Lower bound of the default {@link #unregisteredTimeoutSeconds}, in seconds. */
  public static final int MIN_DEFAULT_UNREGISTERED_TIMEOUT_SECONDS = 60;

  /** The default {@link #unregisteredTimeoutSeconds} is this many lease TTLs (at least 60 s). */
  public static final int UNREGISTERED_TIMEOUT_LEASES = 3;

  @Default("true")
  @JsonPropertyDescription(
      "Restart (delete, gracefully) a worker pod that is Ready, not being drained, and has had no registration in etcd for unregisteredTimeoutSeconds while etcd was reachable. One pod at a time per pool. false: such pods are only counted in status.<pool>.unregisteredReadyWorkers and reported by a Warning Event.")
  private Boolean restartUnregisteredWorkers = Boolean.TRUE;

  @Default("true")
  @JsonPropertyDescription(
      "Restart a worker pod whose KV-cache transfer buffer is poisoned (TensorRT-LLM logs it and fails every request from then on): its etcd registrations are deleted at once, then the pod is deleted, one at a time per pool. The log of a worker is read (a bounded tail) only while its container runs, has started and is not ready. false: reported in condition KVTransferHealthy and by a Warning Event, registrations deleted, pod left.")
  private Boolean restartPoisonedWorkers = Boolean.TRUE;

  @Min(10)
  @Max(86400)
  @JsonPropertyDescription(
      "Seconds a Ready worker may stay unregistered (etcd reachable throughout) before it counts as serving nobody. Unset: 3 x discovery.inactiveTimeoutSeconds, at least 60.")
  private Integer unregisteredTimeoutSeconds;

  @Default("60")
  @Min(0)
  @Max(86400)
  @JsonPropertyDescription(
      "Seconds between two restarts in the same pool, and a restart waits until the previously restarted pod is Ready again.")
  private Integer minRestartIntervalSeconds = DEFAULT_MIN_RESTART_INTERVAL_SECONDS;

  public Boolean getRestartUnregisteredWorkers() {
    return restartUnregisteredWorkers;
  }

  public void setRestartUnregisteredWorkers(Boolean restartUnregisteredWorkers) {
    this.restartUnregisteredWorkers = restartUnregisteredWorkers;
  }

  public Boolean getRestartPoisonedWorkers() {
    return restartPoisonedWorkers;
  }

  public void setRestartPoisonedWorkers(Boolean restartPoisonedWorkers) {
    this.restartPoisonedWorkers = restartPoisonedWorkers;
  }

  public Integer getUnregisteredTimeoutSeconds() {
    return unregisteredTimeoutSeconds;
  }

  public void setUnregisteredTimeoutSeconds(Integer unregisteredTimeoutSeconds) {
    this.unregisteredTimeoutSeconds = unregisteredTimeoutSeconds;
  }

  public Integer getMinRestartIntervalSeconds() {
    return minRestartIntervalSeconds;
  }

  public void setMinRestartIntervalSeconds(Integer minRestartIntervalSeconds) {
    this.minRestartIntervalSeconds = minRestartIntervalSeconds;
  }
}
