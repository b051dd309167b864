package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/**
 * A scale-down in progress. Recorded in the status so that an operator restart continues the drain
 * where it was instead of restarting or skipping it.
 */
public class DrainStatus {

  @JsonPropertyDescription("StatefulSet replicas when the drain started.")
  private Integer fromReplicas;

  @JsonPropertyDescription("Instances the pool is being reduced to.")
  private Integer toReplicas;

  @JsonPropertyDescription("When the drain started (RFC 3339).")
  private String startedAt;

  @JsonPropertyDescription(
      "When no drained pod was registered in etcd any more (RFC 3339); unset until then.")
  private String deregisteredAt;

  @JsonPropertyDescription("The pods being removed (the highest ordinals) and their progress.")
  private List<DrainedPod> pods = new ArrayList<>();

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

  public String getStartedAt() {
    return startedAt;
  }

  public void setStartedAt(String startedAt) {
    this.startedAt = startedAt;
  }

  public String getDeregisteredAt() {
    return deregisteredAt;
  }

  public void setDeregisteredAt(String deregisteredAt) {
    this.deregisteredAt = deregisteredAt;
  }

  public List<DrainedPod> getPods() {
    return pods;
  }

  public void setPods(List<DrainedPod> pods) {
    this.pods = pods;
  }
}
