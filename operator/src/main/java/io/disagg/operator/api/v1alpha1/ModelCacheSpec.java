package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;

/**
 * {@code spec.modelCache}: a PersistentVolumeClaim that holds the model's weights, filled once by a
 * download Job and mounted read-only in every worker as TensorRT-LLM's Hugging Face cache ({@code
 * HF_HOME}). TensorRT-LLM resolves a model argument that is a Hugging Face id with {@code
 * huggingface_hub.snapshot_download(model, revision=..., local_files_only=HF_HUB_OFFLINE,
 * ignore_patterns=["original/**&#47;*"])} ({@code tensorrt_llm/llmapi/utils.py} {@code
 * download_hf_model}, called by {@code CachedModelLoader._download_hf_model_if_needed} in {@code
 * tensorrt_llm/llmapi/llm_utils.py}), which reads the hub cache under {@code HF_HOME/hub}. See
 * docs/model-cache.md.
 *
 * <p>Exactly one of {@link #claimName} (an existing claim, never changed by the operator) and
 * {@link #size} (a claim {@code <name>-model-cache} the operator creates, ReadWriteMany, of {@link
 * #storageClassName}).
 */
@ValidationRule(
    value = "has(self.claimName) != has(self.size)",
    message =
        "spec.modelCache: set either claimName (an existing PersistentVolumeClaim) or size (with an optional storageClassName: a claim the operator creates), exactly one of them")
@ValidationRule(
    value = "!has(self.storageClassName) || has(self.size)",
    message =
        "spec.modelCache.storageClassName is only for a claim the operator creates: set spec.modelCache.size with it, or use claimName alone")
public class ModelCacheSpec {

  /** Default of {@link #mountPath}. */
  public static final String DEFAULT_MOUNT_PATH = "/models";

  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription(
      "An existing PersistentVolumeClaim in the DisaggCluster's namespace (ReadWriteMany, or ReadOnlyMany when download is off). The operator mounts it and never changes or deletes it.")
  private String claimName;

  @JsonPropertyDescription(
      "StorageClass of the claim the operator creates (it must offer ReadWriteMany: AWS efs.csi.aws.com or FSx for Lustre, GKE Filestore filestore.csi.storage.gke.io, Azure Files file.csi.azure.com or Azure NetApp Files; EBS, PD and Azure Disk are ReadWriteOnce only). Unset: the cluster's default StorageClass. Only with size.")
  private String storageClassName;

  @ValidationRule(
      value = QuantityRules.POSITIVE,
      messageExpression = QuantityRules.POSITIVE_MESSAGE)
  @JsonPropertyDescription(
      "Size of the claim the operator creates (<name>-model-cache, ReadWriteMany), in bytes as a positive Kubernetes quantity, e.g. 200Gi: at least the model's weights (all revisions downloaded over time stay on it).")
  private Quantity size;

  @Pattern("^/.*")
  @JsonPropertyDescription(
      "Where the volume is mounted (read-only in workers, read-write in the download Job); HF_HOME points there, so the Hugging Face hub cache is <mountPath>/hub. Default /models.")
  private String mountPath;

  @JsonPropertyDescription(
      "Delete the claim the operator created when the DisaggCluster is deleted (an owner reference). Default false: the claim and the downloaded weights outlive the DisaggCluster; delete it yourself. Never applies to claimName.")
  private Boolean deleteClaimWithCluster;

  @JsonPropertyDescription(
      "The one-shot download Job that fills the cache before workers start. Default: on, anonymous (no token).")
  private ModelDownloadSpec download;

  public String getClaimName() {
    return claimName;
  }

  public void setClaimName(String claimName) {
    this.claimName = claimName;
  }

  public String getStorageClassName() {
    return storageClassName;
  }

  public void setStorageClassName(String storageClassName) {
    this.storageClassName = storageClassName;
  }

  public Quantity getSize() {
    return size;
  }

  public void setSize(Quantity size) {
    this.size = size;
  }

  public String getMountPath() {
    return mountPath;
  }

  public void setMountPath(String mountPath) {
    this.mountPath = mountPath;
  }

  public Boolean getDeleteClaimWithCluster() {
    return deleteClaimWithCluster;
  }

  public void setDeleteClaimWithCluster(Boolean deleteClaimWithCluster) {
    this.deleteClaimWithCluster = deleteClaimWithCluster;
  }

  public ModelDownloadSpec getDownload() {
    return download;
  }

  public void setDownload(ModelDownloadSpec download) {
    this.download = download;
  }
}
