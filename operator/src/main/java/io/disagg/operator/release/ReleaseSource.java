package io.disagg.operator.release;

/** Where the operator learned which TensorRT-LLM release a DisaggCluster runs. */
public enum ReleaseSource {
  /** {@code spec.trtllmVersion}. */
  SPEC("Spec"),
  /** The tag of {@code spec.image}, e.g. {@code nvcr.io/nvidia/tensorrt-llm/release:1.2.0rc1}. */
  IMAGE_TAG("ImageTag"),
  /** Neither names a release: only what every supported release accepts is rendered. */
  ASSUMED("Assumed");

  private final String value;

  ReleaseSource(String value) {
    this.value = value;
  }

  /** As written in {@code status.trtllm.source}. */
  public String value() {
    return value;
  }
}
