package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;

/**
 * The run-time check of the KV-cache transfer speed ({@code spec.fabric.kvTransferCheck},
 * docs/kv-transfer-health.md): the operator reads each ready generation worker's {@code GET
 * /perf_metrics} (TensorRT-LLM {@code OpenAIServer.get_perf_metrics}, {@code
 * tensorrt_llm/serve/openai_server.py}), sums {@code kv_cache_size} and the transfer times over a
 * window and sets the condition {@code KVTransferHealthy} False when the bandwidth stays below
 * {@link #minBandwidth}. With EFA a fallback to TCP is 10-100x slower and nothing fails.
 */
public class KvTransferCheckSpec {

  /** The floor when EFA is enabled and {@link #minBandwidth} is unset: 1 GiB/s. */
  public static final String DEFAULT_EFA_MIN_BANDWIDTH = "1Gi";

  /** Default of {@link #windowSeconds}. */
  public static final int DEFAULT_WINDOW_SECONDS = 300;

  /** Default of {@link #minSamples}. */
  public static final int DEFAULT_MIN_SAMPLES = 20;

  /** Default of {@link #intervalSeconds}. */
  public static final int DEFAULT_INTERVAL_SECONDS = 30;

  @JsonPropertyDescription(
      "Check the KV-cache transfer speed. Unset: on when fabric.efa.enabled or minBandwidth is set. While on, generation workers get perf_metrics_max_requests (1000 unless llmApiOptions sets it) and the operator reads (and so empties) their /perf_metrics every intervalSeconds: do not read the router's /perf_metrics meanwhile, each reader takes the other's entries.")
  private Boolean enabled;

  @ValidationRule(
      value = QuantityRules.POSITIVE,
      messageExpression = QuantityRules.POSITIVE_MESSAGE)
  @JsonPropertyDescription(
      "Floor of the observed KV-cache transfer bandwidth of the generation pool, in BYTES PER SECOND as a positive Kubernetes quantity (1Gi = 1 GiB/s = 1073741824 bytes/s; 500M = 500 MB/s). Unset: 1Gi with fabric.efa.enabled (EFA moves tens of GB/s per pod, a fallback to TCP well under 1 GB/s); without EFA nothing is checked unless set. The observed value is a lower bound: it includes waiting for a transfer buffer and, with tensor parallelism, is rank 0's share.")
  private Quantity minBandwidth;

  @Default("300")
  @Min(30)
  @Max(3600)
  @JsonPropertyDescription(
      "Seconds of transfers the bandwidth is computed over (sum of bytes / sum of transfer times of the requests finished in the window).")
  private Integer windowSeconds = DEFAULT_WINDOW_SECONDS;

  @Default("20")
  @Min(1)
  @Max(100000)
  @JsonPropertyDescription(
      "Transfers the window must hold before the bandwidth is judged; fewer: condition KVTransferHealthy Unknown, reason NoSamples.")
  private Integer minSamples = DEFAULT_MIN_SAMPLES;

  @Default("30")
  @Min(5)
  @Max(600)
  @JsonPropertyDescription("Seconds between two reads of the generation workers' /perf_metrics.")
  private Integer intervalSeconds = DEFAULT_INTERVAL_SECONDS;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public Quantity getMinBandwidth() {
    return minBandwidth;
  }

  public void setMinBandwidth(Quantity minBandwidth) {
    this.minBandwidth = minBandwidth;
  }

  public Integer getWindowSeconds() {
    return windowSeconds;
  }

  public void setWindowSeconds(Integer windowSeconds) {
    this.windowSeconds = windowSeconds;
  }

  public Integer getMinSamples() {
    return minSamples;
  }

  public void setMinSamples(Integer minSamples) {
    this.minSamples = minSamples;
  }

  public Integer getIntervalSeconds() {
    return intervalSeconds;
  }

  public void setIntervalSeconds(Integer intervalSeconds) {
    this.intervalSeconds = intervalSeconds;
  }
}
