package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code trtllm-serve --log_level}. */
public enum LogLevel {
  @JsonProperty("trace")
  TRACE,
  @JsonProperty("debug")
  DEBUG,
  @JsonProperty("info")
  INFO,
  @JsonProperty("warning")
  WARNING,
  @JsonProperty("error")
  ERROR;

  /** The value passed to {@code --log_level}. */
  public String flag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
