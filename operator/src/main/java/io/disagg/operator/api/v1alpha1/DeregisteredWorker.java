package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A worker registration the operator deleted from etcd to drain a pod, kept so that a cancelled
 * drain can put it back exactly as the worker wrote it.
 */
public class DeregisteredWorker {

  @JsonPropertyDescription("etcd key, /trtllm-disagg/<clusterName>/workers/<workerId>.")
  private String key;

  @JsonPropertyDescription("The registration JSON the worker wrote.")
  private String value;

  @JsonPropertyDescription("The etcd lease the worker keeps refreshing.")
  private Long lease;

  public String getKey() {
    return key;
  }

  public void setKey(String key) {
    this.key = key;
  }

  public String getValue() {
    return value;
  }

  public void setValue(String value) {
    this.value = value;
  }

  public Long getLease() {
    return lease;
  }

  public void setLease(Long lease) {
    this.lease = lease;
  }
}
