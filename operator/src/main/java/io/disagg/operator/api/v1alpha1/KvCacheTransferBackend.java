package io.disagg.operator.api.v1alpha1;

/**
 * {@code cache_transceiver_config.backend} of the workers' LLM-API options. {@code DEFAULT} means
 * NIXL in current TensorRT-LLM ({@code tensorrt_llm/llmapi/llm_args.py}, CacheTransceiverConfig).
 */
public enum KvCacheTransferBackend {
  DEFAULT,
  UCX,
  NIXL,
  MPI
}
