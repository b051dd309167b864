package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** One pod being drained before removal. */
public class DrainedPod {

  @JsonPropertyDescription("Pod name.")
  private String name;

  @JsonPropertyDescription(
      "Registrations of this pod the operator deleted from etcd; put back if the drain is cancelled.")
  private List<DeregisteredWorker> deregistered = new ArrayList<>();

  @JsonPropertyDescription(
      "Requests the worker was still serving at the last check (running + waiting); unset when unknown.")
  private Integer inFlightRequests;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public List<DeregisteredWorker> getDeregistered() {
    return deregistered;
  }

  public void setDeregistered(List<DeregisteredWorker> deregistered) {
    this.deregistered = deregistered;
  }

  public Integer getInFlightRequests() {
    return inFlightRequests;
  }

  public void setInFlightRequests(Integer inFlightRequests) {
    this.inFlightRequests = inFlightRequests;
  }
}
