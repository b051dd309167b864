package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the operator sees in etcd under {@code /trtllm-disagg/<clusterName>/workers/}. */
public class DiscoveryStatus {

  @JsonPropertyDescription(
      "Whether the operator's etcd watch is live. While false nothing is scaled down.")
  private Boolean reachable;

  @JsonPropertyDescription("Registrations under this cluster's prefix, malformed ones included.")
  private Integer registrations;

  @JsonPropertyDescription(
      "Registrations that match no pod of this DisaggCluster (host:port), at most 10; e.g. another deployment using the same clusterName.")
  private List<String> unmatched = new ArrayList<>();

  @JsonPropertyDescription("Keys whose value is not a TensorRT-LLM registration, at most 10.")
  private List<String> malformed = new ArrayList<>();

  @JsonPropertyDescription(
      "Foreign registrations the operator deleted from etcd (spec.discovery.removeForeignRegistrations), cumulative since this status field first appeared; a registrant that writes its key again is counted again.")
  private Integer removedForeign;

  @JsonPropertyDescription("The last foreign registration deleted.")
  private RemovedRegistration lastRemoved;

  public Boolean getReachable() {
    return reachable;
  }

  public void setReachable(Boolean reachable) {
    this.reachable = reachable;
  }

  public Integer getRegistrations() {
    return registrations;
  }

  public void setRegistrations(Integer registrations) {
    this.registrations = registrations;
  }

  public List<String> getUnmatched() {
    return unmatched;
  }

  public void setUnmatched(List<String> unmatched) {
    this.unmatched = unmatched;
  }

  public Integer getRemovedForeign() {
    return removedForeign;
  }

  public void setRemovedForeign(Integer removedForeign) {
    this.removedForeign = removedForeign;
  }

  public RemovedRegistration getLastRemoved() {
    return lastRemoved;
  }

  public void setLastRemoved(RemovedRegistration lastRemoved) {
    this.lastRemoved = lastRemoved;
  }

  public List<String> getMalformed() {
    return malformed;
  }

  public void setMalformed(List<String> malformed) {
    this.malformed = malformed;
  }
}
