package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code trtllm-serve --log_level}: a key of the severity map of {@code tensorrt_llm/logger.py}
 * ({@code internal_error, error, warning, info, verbose} in every release read). {@code trace} and
 * {@code debug} are kept for releases that add them; the operator refuses them for a release that
 * does not have them ({@code io.disagg.operator.release.Feature#LOG_LEVEL_TRACE_DEBUG}).
 */
public enum LogLevel {
  @JsonProperty("trace")
  TRACE,
  @JsonProperty("debug")
  DEBUG,
  @JsonProperty("verbose")
  VERBOSE,
  @JsonProperty("info")
  INFO,
  @JsonProperty("warning")
  WARNING,
  @JsonProperty("error")
  ERROR,
  @JsonProperty("internal_error")
  INTERNAL_ERROR;

  /** The value passed to {@code --log_level}. */
  public String flag() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
