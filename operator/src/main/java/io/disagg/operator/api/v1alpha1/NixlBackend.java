package io.disagg.operator.api.v1alpha1;

/**
 * NIXL's own transport, chosen by the environment variable {@code TRTLLM_NIXL_KVCACHE_BACKEND}.
 * TensorRT-LLM falls back to UCX silently on an unknown value, so only these two are accepted.
 */
public enum NixlBackend {
  UCX,
  LIBFABRIC
}
