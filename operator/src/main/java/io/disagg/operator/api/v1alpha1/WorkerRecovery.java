package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A worker pod the operator restarted to repair it (status.&lt;pool&gt;.lastRecovery). */
public class WorkerRecovery {

  @JsonPropertyDescription("The pod deleted (its StatefulSet creates it again).")
  private String pod;

  @JsonPropertyDescription("UID of the deleted pod; the recreated pod has another.")
  private String uid;

  @JsonPropertyDescription("Why: Unregistered (Ready but not in etcd).")
  private String reason;

  @JsonPropertyDescription("When the operator deleted it (RFC 3339).")
  private String time;

  @JsonPropertyDescription("What was observed, with the numbers.")
  private String message;

  public WorkerRecovery() {}

  public WorkerRecovery(String pod, String uid, String reason, String time, String message) {
    this.pod = pod;
    this.uid = uid;
    this.reason = reason;
    this.time = time;
    this.message = message;
  }

  public String getPod() {
    return pod;
  }

  public void setPod(String pod) {
    this.pod = pod;
  }

  public String getUid() {
    return uid;
  }

  public void setUid(String uid) {
    this.uid = uid;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
