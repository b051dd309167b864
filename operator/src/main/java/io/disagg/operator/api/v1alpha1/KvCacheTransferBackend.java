package io.disagg.operator.api.v1alpha1;

/**
 * {@code cache_transceiver_config.backend} of the workers' LLM-API options ({@code
 * CacheTransceiverConfig} in {@code tensorrt_llm/llmapi/llm_args.py}). {@code DEFAULT} is rendered
 * as {@code NIXL}: TensorRT-LLM's own {@code DEFAULT} meant NIXL and later UCX (PR #9352, {@code
 * CacheTransceiverFactory} in {@code cpp/tensorrt_llm/batch_manager/cacheTransceiver.cpp}), so the
 * operator always writes the backend by name.
 */
public enum KvCacheTransferBackend {
  DEFAULT,
  UCX,
  NIXL,
  MPI
}
