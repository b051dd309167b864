package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * The security defaults of the pods the operator renders (workers, router, model download Job),
 * docs/pod-security.md. Without EFA every pod meets the Pod Security Standard {@code restricted};
 * with EFA the worker pods need {@code IPC_LOCK} and {@code SYS_RESOURCE}, which only {@code
 * privileged} allows, and run as the image's user (root in TensorRT-LLM images). A pool's {@code
 * podTemplate.securityContext} wins field by field over these defaults.
 */
public class PodSecuritySpec {

  /** Default of {@link #runAsUser}: an unprivileged UID (not verified with real GPUs). */
  public static final long DEFAULT_RUN_AS_USER = 1000L;

  @Min(0)
  @Max(2147483647)
  @JsonPropertyDescription(
      "UID of the worker (without EFA), router and model-download containers; with runAsNonRoot: true. TensorRT-LLM images run as root by default, so an explicit non-root UID is needed for the restricted level. 0 runs them as root (baseline level). Unset: 1000. With EFA, worker pods get no runAsUser (the image's user) unless a pool's podTemplate.securityContext sets one: EFA's IPC_LOCK is effective only for root.")
  private Long runAsUser;

  @JsonPropertyDescription(
      "readOnlyRootFilesystem of the operator's containers; writable emptyDir volumes are mounted at /tmp and at HOME (/home/trtllm), where TensorRT-LLM, PyTorch and Hugging Face write caches. false if your image writes elsewhere. Unset: true.")
  private Boolean readOnlyRootFilesystem;

  public Long getRunAsUser() {
    return runAsUser;
  }

  public void setRunAsUser(Long runAsUser) {
    this.runAsUser = runAsUser;
  }

  public Boolean getReadOnlyRootFilesystem() {
    return readOnlyRootFilesystem;
  }

  public void setReadOnlyRootFilesystem(Boolean readOnlyRootFilesystem) {
    this.readOnlyRootFilesystem = readOnlyRootFilesystem;
  }
}
