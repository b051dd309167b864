package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A foreign worker registration the operator deleted from etcd. */
public class RemovedRegistration {

  @JsonPropertyDescription("The etcd key deleted.")
  private String key;

  @JsonPropertyDescription(
      "The host it named (the value's host, else the one in the worker id of the key); empty when neither could be read.")
  private String host;

  @JsonPropertyDescription("When it was deleted (RFC 3339, seconds).")
  private String time;

  public RemovedRegistration() {}

  public RemovedRegistration(String key, String host, String time) {
    this.key = key;
    this.host = host;
    this.time = time;
  }

  public String getKey() {
    return key;
  }

  public void setKey(String key) {
    this.key = key;
  }

  public String getHost() {
    return host;
  }

  public void setHost(String host) {
    this.host = host;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }
}
