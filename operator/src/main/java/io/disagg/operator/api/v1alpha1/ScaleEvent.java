package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One recent change of a pool's target, kept for the step limits. */
public class ScaleEvent {

  @JsonPropertyDescription("When the target changed (RFC 3339).")
  private String time;

  @JsonPropertyDescription("Instances before.")
  private Integer fromReplicas;

  @JsonPropertyDescription("Instances after.")
  private Integer toReplicas;

  public ScaleEvent() {}

  public ScaleEvent(String time, Integer fromReplicas, Integer toReplicas) {
    this.time = time;
    this.fromReplicas = fromReplicas;
    this.toReplicas = toReplicas;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }

  public Integer getFromReplicas() {
    return fromReplicas;
  }

  public void setFromReplicas(Integer fromReplicas) {
    this.fromReplicas = fromReplicas;
  }

  public Integer getToReplicas() {
    return toReplicas;
  }

  public void setToReplicas(Integer toReplicas) {
    this.toReplicas = toReplicas;
  }
}
