package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The observed KV-cache transfer bandwidth of a pool ({@code status.generation.kvTransfer}), from
 * its workers' {@code /perf_metrics}. The numbers are rewritten at once when the judgement changes,
 * else at most once a minute.
 */
public class KvTransferStatus {

  @JsonPropertyDescription(
      "Observed bandwidth in bytes per second over the window (sum of kv_cache_size / sum of kv_cache_transfer_end - kv_cache_transfer_start), two significant digits. Unset without transfers.")
  private Long bytesPerSecond;

  @JsonPropertyDescription("The floor it is compared with, in bytes per second.")
  private Long minBytesPerSecond;

  @JsonPropertyDescription("KV-cache transfers (finished requests) in the window.")
  private Integer samples;

  @JsonPropertyDescription("Length of the window in seconds.")
  private Integer windowSeconds;

  @JsonPropertyDescription("When the newest transfer in the window was read (RFC 3339).")
  private String lastSampleTime;

  public Long getBytesPerSecond() {
    return bytesPerSecond;
  }

  public void setBytesPerSecond(Long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  public Long getMinBytesPerSecond() {
    return minBytesPerSecond;
  }

  public void setMinBytesPerSecond(Long minBytesPerSecond) {
    this.minBytesPerSecond = minBytesPerSecond;
  }

  public Integer getSamples() {
    return samples;
  }

  public void setSamples(Integer samples) {
    this.samples = samples;
  }

  public Integer getWindowSeconds() {
    return windowSeconds;
  }

  public void setWindowSeconds(Integer windowSeconds) {
    this.windowSeconds = windowSeconds;
  }

  public String getLastSampleTime() {
    return lastSampleTime;
  }

  public void setLastSampleTime(String lastSampleTime) {
    this.lastSampleTime = lastSampleTime;
  }
}
