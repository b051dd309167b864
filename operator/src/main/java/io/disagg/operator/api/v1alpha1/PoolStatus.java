package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Observed state of one pool. */
public class PoolStatus {

  @JsonPropertyDescription(
      "Instances the operator wants now (spec, autoscaler or drain in progress).")
  private Integer desiredReplicas;

  @JsonPropertyDescription("Pods of the pool's StatefulSet.")
  private Integer replicas;

  @JsonPropertyDescription("Pods that pass their readiness probe.")
  private Integer readyReplicas;

  @JsonPropertyDescription("Pods running the current pod template.")
  private Integer updatedReplicas;

  @JsonPropertyDescription(
      "Instances registered in etcd under this cluster, as the router sees them. Unset until discovery is observed.")
  private Integer registeredInstances;

  @JsonPropertyDescription("GPUs per instance (tensorParallelSize * pipelineParallelSize).")
  private Integer gpusPerInstance;

  @JsonPropertyDescription(
      "Scale-down in progress: pods deregistered from etcd and waited for before the StatefulSet shrinks.")
  private DrainStatus drain;

  @JsonPropertyDescription("Autoscaling of the pool; unset while autoscaling is disabled.")
  private PoolAutoscalingStatus autoscaling;

  @JsonPropertyDescription(
      "Worker pods that are Ready, not being drained, and have had no registration in etcd for spec.selfHealing.unregisteredTimeoutSeconds while etcd was reachable: they hold GPUs and serve nobody. Unset while etcd is not reachable.")
  private Integer unregisteredReadyWorkers;

  @JsonPropertyDescription("The last worker pod of this pool the operator restarted to repair it.")
  private WorkerRecovery lastRecovery;

  @JsonPropertyDescription(
      "Observed KV-cache transfer bandwidth (generation pool, while spec.fabric.kvTransferCheck is on); see condition KVTransferHealthy.")
  private KvTransferStatus kvTransfer;

  public Integer getDesiredReplicas() {
    return desiredReplicas;
  }

  public void setDesiredReplicas(Integer desiredReplicas) {
    this.desiredReplicas = desiredReplicas;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  public Integer getUpdatedReplicas() {
    return updatedReplicas;
  }

  public void setUpdatedReplicas(Integer updatedReplicas) {
    this.updatedReplicas = updatedReplicas;
  }

  public Integer getRegisteredInstances() {
    return registeredInstances;
  }

  public void setRegisteredInstances(Integer registeredInstances) {
    this.registeredInstances = registeredInstances;
  }

  public Integer getGpusPerInstance() {
    return gpusPerInstance;
  }

  public void setGpusPerInstance(Integer gpusPerInstance) {
    this.gpusPerInstance = gpusPerInstance;
  }

  public DrainStatus getDrain() {
    return drain;
  }

  public void setDrain(DrainStatus drain) {
    this.drain = drain;
  }

  public PoolAutoscalingStatus getAutoscaling() {
    return autoscaling;
  }

  public void setAutoscaling(PoolAutoscalingStatus autoscaling) {
    this.autoscaling = autoscaling;
  }

  public Integer getUnregisteredReadyWorkers() {
    return unregisteredReadyWorkers;
  }

  public void setUnregisteredReadyWorkers(Integer unregisteredReadyWorkers) {
    this.unregisteredReadyWorkers = unregisteredReadyWorkers;
  }

  public WorkerRecovery getLastRecovery() {
    return lastRecovery;
  }

  public void setLastRecovery(WorkerRecovery lastRecovery) {
    this.lastRecovery = lastRecovery;
  }

  public KvTransferStatus getKvTransfer() {
    return kvTransfer;
  }

  public void setKvTransfer(KvTransferStatus kvTransfer) {
    this.kvTransfer = kvTransfer;
  }
}
