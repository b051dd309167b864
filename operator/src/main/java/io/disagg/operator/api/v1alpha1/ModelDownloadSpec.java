package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * {@code spec.modelCache.download}: the Job {@code <name>-model-<identity>} that runs {@code
 * huggingface_hub.snapshot_download} in the worker image (the library TensorRT-LLM itself calls,
 * {@code tensorrt_llm/llmapi/utils.py} {@code download_hf_model}, with the same {@code
 * ignore_patterns}) and writes a completion marker last.
 */
public class ModelDownloadSpec {

  /** Default of {@link #backoffLimit}. */
  public static final int DEFAULT_BACKOFF_LIMIT = 2;

  /** Default key of the token in {@link #tokenSecretRef}. */
  public static final String DEFAULT_TOKEN_KEY = "HF_TOKEN";

  @JsonPropertyDescription(
      "Download the model into the cache before workers start. false: the volume is pre-populated by you (HF_HOME layout, or set spec.model to a path on it); workers mount it and start at once. Default true.")
  private Boolean enabled;

  @JsonPropertyDescription(
      "Secret with the Hugging Face token (gated or private models), given to the download Job only as HF_TOKEN. Unset: anonymous.")
  private TokenSecretRef tokenSecretRef;

  @JsonPropertyDescription(
      "Hugging Face revision (branch, tag or commit) to download; also written as the workers' LLM-API option revision (CachedModelLoader passes llm_args.revision to download_hf_model), so they read the same one. Unset: the default branch.")
  private String revision;

  @JsonPropertyDescription(
      "Resources of the download container. Unset: requests cpu 500m, memory 1Gi.")
  private ResourceRequirements resources;

  @Min(0)
  @Max(100)
  @JsonPropertyDescription(
      "Retries of the download pod before the Job fails (Job backoffLimit). Default 2.")
  private Integer backoffLimit;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public TokenSecretRef getTokenSecretRef() {
    return tokenSecretRef;
  }

  public void setTokenSecretRef(TokenSecretRef tokenSecretRef) {
    this.tokenSecretRef = tokenSecretRef;
  }

  public String getRevision() {
    return revision;
  }

  public void setRevision(String revision) {
    this.revision = revision;
  }

  public ResourceRequirements getResources() {
    return resources;
  }

  public void setResources(ResourceRequirements resources) {
    this.resources = resources;
  }

  public Integer getBackoffLimit() {
    return backoffLimit;
  }

  public void setBackoffLimit(Integer backoffLimit) {
    this.backoffLimit = backoffLimit;
  }

  /** A key of a Secret in the DisaggCluster's namespace. */
  public static class TokenSecretRef {
    @io.fabric8.generator.annotation.Required
    @JsonPropertyDescription("Name of the Secret.")
    private String name;

    @JsonPropertyDescription("Key of the token in the Secret. Default HF_TOKEN.")
    private String key;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getKey() {
      return key;
    }

    public void setKey(String key) {
      this.key = key;
    }
  }
}
