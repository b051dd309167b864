package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One past recommendation of the autoscaler, kept for the stabilization windows. */
public class ReplicaRecommendation {

  @JsonPropertyDescription("When it was made (RFC 3339).")
  private String time;

  @JsonPropertyDescription("Instances recommended.")
  private Integer replicas;

  public ReplicaRecommendation() {}

  public ReplicaRecommendation(String time, Integer replicas) {
    this.time = time;
    this.replicas = replicas;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }
}
