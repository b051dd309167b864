package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * KV-cache transfer between the pools: {@code cache_transceiver_config} plus NIXL/UCX environment.
 */
@ValidationRule(
    value =
        "!has(self.env) || self.env.all(k, !(k in ['TRTLLM_NIXL_KVCACHE_BACKEND', 'FI_PROVIDER', 'FI_EFA_USE_DEVICE_RDMA', 'FI_LOG_LEVEL', 'NIXL_PLUGIN_DIR']))",
    message =
        "spec.kvCacheTransfer.env must not set TRTLLM_NIXL_KVCACHE_BACKEND, FI_PROVIDER, FI_EFA_USE_DEVICE_RDMA, FI_LOG_LEVEL or NIXL_PLUGIN_DIR: use spec.kvCacheTransfer.nixlBackend and spec.fabric.efa")
public class KvCacheTransferSpec {

  @Default("NIXL")
  @JsonPropertyDescription(
      "cache_transceiver_config.backend: NIXL, UCX, MPI, or DEFAULT (written as NIXL: TensorRT-LLM changed what its own DEFAULT means). Always written by name: without it TensorRT-LLM starts with disaggregation disabled.")
  private KvCacheTransferBackend backend = KvCacheTransferBackend.NIXL;

  @Default("UCX")
  @JsonPropertyDescription(
      "NIXL transport (TRTLLM_NIXL_KVCACHE_BACKEND): UCX or LIBFABRIC (AWS EFA). Used when backend is NIXL or DEFAULT.")
  private NixlBackend nixlBackend = NixlBackend.UCX;

  @Min(1)
  @JsonPropertyDescription(
      "cache_transceiver_config.max_tokens_in_buffer, in tokens; should be >= the longest input sequence. Unset: TensorRT-LLM's default.")
  private Integer maxTokensInBuffer;

  @Min(1)
  @JsonPropertyDescription(
      "cache_transceiver_config.kv_transfer_timeout_ms, in milliseconds (> 0). Unset: TensorRT-LLM's default.")
  private Integer kvTransferTimeoutMs;

  @Min(1)
  @JsonPropertyDescription(
      "cache_transceiver_config.kv_transfer_sender_future_timeout_ms, in milliseconds (> 0). Unset: TensorRT-LLM's default.")
  private Integer kvTransferSenderFutureTimeoutMs;

  @JsonPropertyDescription(
      "Extra transfer tuning environment for every worker, e.g. UCX_MAX_RNDV_RAILS, UCX_NET_DEVICES, TRTLLM_KVCACHE_TRANSFER_BUFFER_SIZE. Written into the fabric ConfigMap.")
  private Map<String, String> env = new LinkedHashMap<>();

  public KvCacheTransferBackend getBackend() {
    return backend;
  }

  public void setBackend(KvCacheTransferBackend backend) {
    this.backend = backend;
  }

  public NixlBackend getNixlBackend() {
    return nixlBackend;
  }

  public void setNixlBackend(NixlBackend nixlBackend) {
    this.nixlBackend = nixlBackend;
  }

  public Integer getMaxTokensInBuffer() {
    return maxTokensInBuffer;
  }

  public void setMaxTokensInBuffer(Integer maxTokensInBuffer) {
    this.maxTokensInBuffer = maxTokensInBuffer;
  }

  public Integer getKvTransferTimeoutMs() {
    return kvTransferTimeoutMs;
  }

  public void setKvTransferTimeoutMs(Integer kvTransferTimeoutMs) {
    this.kvTransferTimeoutMs = kvTransferTimeoutMs;
  }

  public Integer getKvTransferSenderFutureTimeoutMs() {
    return kvTransferSenderFutureTimeoutMs;
  }

  public void setKvTransferSenderFutureTimeoutMs(Integer kvTransferSenderFutureTimeoutMs) {
    this.kvTransferSenderFutureTimeoutMs = kvTransferSenderFutureTimeoutMs;
  }

  public Map<String, String> getEnv() {
    return env;
  }

  public void setEnv(Map<String, String> env) {
    this.env = env;
  }
}
