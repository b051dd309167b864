package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Observed state of the router. */
public class RouterStatus {

  @JsonPropertyDescription("Router pods.")
  private Integer replicas;

  @JsonPropertyDescription("Router pods whose /health answers 200 (enough workers registered).")
  private Integer readyReplicas;

  @JsonPropertyDescription(
      "In-cluster URL of the OpenAI-compatible API, e.g. http://<name>-router.<namespace>.svc:8000.")
  private String endpoint;

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

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }
}
