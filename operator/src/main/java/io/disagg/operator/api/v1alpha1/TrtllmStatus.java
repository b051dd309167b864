package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The TensorRT-LLM release a DisaggCluster is rendered for ({@code status.trtllm}). */
public class TrtllmStatus {

  @JsonPropertyDescription(
      "Release line the rendering follows, e.g. 1.2; empty when the release is not known and only what every supported release accepts is rendered.")
  private String release;

  @JsonPropertyDescription(
      "Where the release comes from: Spec (spec.trtllmVersion), ImageTag (the image's tag) or Assumed (neither names a release).")
  private String source;

  @JsonPropertyDescription("How the release was decided, in words.")
  private String message;

  public TrtllmStatus() {}

  public TrtllmStatus(String release, String source, String message) {
    this.release = release;
    this.source = source;
    this.message = message;
  }

  public String getRelease() {
    return release;
  }

  public void setRelease(String release) {
    this.release = release;
  }

  public String getSource() {
    return source;
  }

  public void setSource(String source) {
    this.source = source;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
