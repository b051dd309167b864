package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One pool of one revision ({@code status.revisions[].context}, {@code .generation}). */
public class RevisionPoolStatus {

  @JsonPropertyDescription("Instances the operator wants this revision's pool to have now.")
  private Integer desiredReplicas;

  @JsonPropertyDescription("Pods of this revision's pool that pass their readiness probe.")
  private Integer readyReplicas;

  @JsonPropertyDescription(
      "Instances of this revision's pool registered in etcd under the revision's clusterName, as its router sees them.")
  private Integer registeredInstances;

  @JsonPropertyDescription(
      "The scale-down of this revision's pool in progress (an older revision shrinking or retiring): the workers being deregistered and drained before replicas is lowered. The desired revision's drain is in status.context.drain / status.generation.drain.")
  private DrainStatus drain;

  public RevisionPoolStatus() {}

  public RevisionPoolStatus(
      Integer desiredReplicas, Integer readyReplicas, Integer registeredInstances) {
    this.desiredReplicas = desiredReplicas;
    this.readyReplicas = readyReplicas;
    this.registeredInstances = registeredInstances;
  }

  public Integer getDesiredReplicas() {
    return desiredReplicas;
  }

  public void setDesiredReplicas(Integer desiredReplicas) {
    this.desiredReplicas = desiredReplicas;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  public Integer getRegisteredInstances() {
    return registeredInstances;
  }

  public void setRegisteredInstances(Integer registeredInstances) {
    this.registeredInstances = registeredInstances;
  }

  public DrainStatus getDrain() {
    return drain;
  }

  public void setDrain(DrainStatus drain) {
    this.drain = drain;
  }
}
