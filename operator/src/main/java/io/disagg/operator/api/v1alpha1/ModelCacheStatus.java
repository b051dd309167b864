package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** {@code status.modelCache}: the state of the model cache of the desired model. */
public class ModelCacheStatus {

  /** Values of {@link #state}. */
  public static final String PENDING = "Pending";

  public static final String DOWNLOADING = "Downloading";
  public static final String COMPLETE = "Complete";
  public static final String FAILED = "Failed";

  /** Without a download: the volume is filled by the user. */
  public static final String PREPOPULATED = "Prepopulated";

  @JsonPropertyDescription("The PersistentVolumeClaim mounted as the cache.")
  private String claimName;

  @JsonPropertyDescription(
      "Identity of the cached model: a hash of spec.model and spec.modelCache.download.revision; the download Job and the completion marker are named after it.")
  private String modelIdentity;

  @JsonPropertyDescription(
      "Pending (Job created, no pod running yet, or the claim is not bound), Downloading, Complete, Failed, or Prepopulated (no download).")
  private String state;

  @JsonPropertyDescription("The download Job of this model identity.")
  private String jobName;

  @JsonPropertyDescription("Why, for Pending and Failed: the Job's or its pod's message.")
  private String message;

  @JsonPropertyDescription("When the download Job completed (RFC 3339).")
  private String completionTime;

  public ModelCacheStatus() {}

  public String getClaimName() {
    return claimName;
  }

  public void setClaimName(String claimName) {
    this.claimName = claimName;
  }

  public String getModelIdentity() {
    return modelIdentity;
  }

  public void setModelIdentity(String modelIdentity) {
    this.modelIdentity = modelIdentity;
  }

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public String getJobName() {
    return jobName;
  }

  public void setJobName(String jobName) {
    this.jobName = jobName;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getCompletionTime() {
    return completionTime;
  }

  public void setCompletionTime(String completionTime) {
    this.completionTime = completionTime;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelCacheStatus m
        && Objects.equals(claimName, m.claimName)
        && Objects.equals(modelIdentity, m.modelIdentity)
        && Objects.equals(state, m.state)
        && Objects.equals(jobName, m.jobName)
        && Objects.equals(message, m.message)
        && Objects.equals(completionTime, m.completionTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(claimName, modelIdentity, state, jobName, message, completionTime);
  }
}
