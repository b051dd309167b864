package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** One pod being drained before removal. */
public class DrainedPod {

  @JsonPropertyDescription("Pod name.")
  private String name;

  @JsonPropertyDescription("etcd leases of the registrations the operator deleted; revoked if the drain is cancelled, so the worker registers again.")
  private List<Long> leases = new ArrayList<>();

  @JsonPropertyDescription("Requests the worker was still serving at the last check (running + waiting); unset when unknown.")
  private Integer inFlightRequests;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public List<Long> getLeases() {
    return leases;
  }

  public void setLeases(List<Long> leases) {
    this.leases = leases;
  }

  public Integer getInFlightRequests() {
    return inFlightRequests;
  }

  public void setInFlightRequests(Integer inFlightRequests) {
    this.inFlightRequests = inFlightRequests;
  }
}
