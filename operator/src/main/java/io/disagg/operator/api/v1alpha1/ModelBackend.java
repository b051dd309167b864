package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code trtllm-serve --backend}: the model runtime of the workers. */
public enum ModelBackend {
  @JsonProperty("pytorch")
  PYTORCH("pytorch"),
  @JsonProperty("tensorrt")
  TENSORRT("tensorrt"),
  @JsonProperty("_autodeploy")
  AUTODEPLOY("_autodeploy");

  private final String flag;

  ModelBackend(String flag) {
    this.flag = flag;
  }

  /** The value passed to {@code --backend}. */
  public String flag() {
    return flag;
  }
}
