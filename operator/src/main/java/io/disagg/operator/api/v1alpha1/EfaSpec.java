package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;

/**
 * AWS EFA for the KV-cache transfer. When enabled, worker pods request {@code
 * vpc.amazonaws.com/efa} and {@code hugepages-2Mi}, get {@code IPC_LOCK} and {@code SYS_RESOURCE},
 * and read the libfabric environment ({@code FI_PROVIDER=efa}, ...) from the fabric ConfigMap.
 * Follows the TensorRT-LLM AWS EFA guide and NVIDIA Dynamo's EFA docs.
 */
public class EfaSpec {

  @Default("false")
  @JsonPropertyDescription("Use EFA.")
  private boolean enabled;

  @Default("32")
  @Min(1)
  @JsonPropertyDescription(
      "EFA devices per worker pod (resource vpc.amazonaws.com/efa); 32 on p5.48xlarge.")
  private int devicesPerPod = 32;

  @Default("true")
  @JsonPropertyDescription("GPU-direct RDMA over EFA (FI_EFA_USE_DEVICE_RDMA=1).")
  private boolean gpuDirectRdma = true;

  @Default("warn")
  @JsonPropertyDescription("libfabric log level (FI_LOG_LEVEL), e.g. warn, info, debug.")
  private String logLevel = "warn";

  @JsonPropertyDescription(
      "NIXL_PLUGIN_DIR (the variable NIXL reads; the field keeps its plural name): directory holding libplugin_LIBFABRIC.so (not in the stock TensorRT-LLM image). Unset: the image's default.")
  private String nixlPluginsDir;

  @Default("/opt/amazon/efa/lib64")
  @JsonPropertyDescription(
      "Directory of the EFA libraries, prepended to LD_LIBRARY_PATH at worker start.")
  private String libraryPath = "/opt/amazon/efa/lib64";

  @ValidationRule(
      value = QuantityRules.POSITIVE,
      messageExpression = QuantityRules.POSITIVE_MESSAGE)
  @JsonPropertyDescription(
      "hugepages-2Mi request and limit per worker pod, in bytes (positive Kubernetes quantity, e.g. 5120Mi). Unset: 512Mi.")
  private Quantity hugepages2Mi;

  @Default("false")
  @JsonPropertyDescription(
      "Run workers privileged; some EFA set-ups need it. Prefer the default capabilities (IPC_LOCK, SYS_RESOURCE).")
  private boolean privileged;

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public int getDevicesPerPod() {
    return devicesPerPod;
  }

  public void setDevicesPerPod(int devicesPerPod) {
    this.devicesPerPod = devicesPerPod;
  }

  public boolean isGpuDirectRdma() {
    return gpuDirectRdma;
  }

  public void setGpuDirectRdma(boolean gpuDirectRdma) {
    this.gpuDirectRdma = gpuDirectRdma;
  }

  public String getLogLevel() {
    return logLevel;
  }

  public void setLogLevel(String logLevel) {
    this.logLevel = logLevel;
  }

  public String getNixlPluginsDir() {
    return nixlPluginsDir;
  }

  public void setNixlPluginsDir(String nixlPluginsDir) {
    this.nixlPluginsDir = nixlPluginsDir;
  }

  public String getLibraryPath() {
    return libraryPath;
  }

  public void setLibraryPath(String libraryPath) {
    this.libraryPath = libraryPath;
  }

  public Quantity getHugepages2Mi() {
    return hugepages2Mi;
  }

  public void setHugepages2Mi(Quantity hugepages2Mi) {
    this.hugepages2Mi = hugepages2Mi;
  }

  public boolean isPrivileged() {
    return privileged;
  }

  public void setPrivileged(boolean privileged) {
    this.privileged = privileged;
  }
}
