package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pool of workers (context or generation): a StatefulSet of {@code trtllm-serve} instances, one
 * instance per pod, {@code tensorParallelSize * pipelineParallelSize} GPUs per pod.
 */
@ValidationRule(
    value = "!has(self.maxInstances) || self.minimalInstances <= self.maxInstances",
    message = "minimalInstances must be less than or equal to maxInstances")
@ValidationRule(
    value = "!has(self.replicas) || self.replicas >= self.minimalInstances",
    message =
        "replicas must be greater than or equal to minimalInstances (the router refuses requests below it)")
@ValidationRule(
    value = "!has(self.replicas) || !has(self.maxInstances) || self.replicas <= self.maxInstances",
    message = "replicas must be less than or equal to maxInstances")
@ValidationRule(
    value = "!has(self.autoscaling) || !self.autoscaling.enabled || has(self.maxInstances)",
    message = "autoscaling.enabled needs maxInstances: the autoscaler's ceiling")
public class PoolSpec {

  @Min(0)
  @Max(10000)
  @JsonPropertyDescription(
      "Instances (pods) to run; with autoscaling, the initial count. Unset: minimalInstances. Lowering it drains the removed instances first.")
  private Integer replicas;

  @Default("1")
  @Min(1)
  @Max(10000)
  @JsonPropertyDescription(
      "disagg_cluster.minimal_instances of this pool: the router answers requests only while at least this many instances are registered; the scaler's floor.")
  private int minimalInstances = 1;

  @Min(1)
  @Max(10000)
  @JsonPropertyDescription(
      "The scaler's ceiling. Unset: the larger of replicas and minimalInstances.")
  private Integer maxInstances;

  @Default("1")
  @Min(1)
  @Max(64)
  @JsonPropertyDescription("--tp_size: tensor parallelism of one instance.")
  private int tensorParallelSize = 1;

  @Default("1")
  @Min(1)
  @Max(64)
  @JsonPropertyDescription(
      "--pp_size: pipeline parallelism of one instance. GPUs per pod = tensorParallelSize * pipelineParallelSize.")
  private int pipelineParallelSize = 1;

  @Default("8000")
  @Min(1)
  @Max(65535)
  @JsonPropertyDescription("--port of the worker's HTTP server.")
  private int port = 8000;

  @SchemaFrom(type = FreeFormObject.class)
  @JsonPropertyDescription(
      "LLM-API options (the --extra_llm_api_options YAML), e.g. kv_cache_config, max_batch_size, max_num_tokens; merged with the operator's keys, which win.")
  private Map<String, Object> llmApiOptions = new LinkedHashMap<>();

  @JsonPropertyDescription(
      "Resources of the worker container. nvidia.com/gpu is set from the parallel sizes; EFA and hugepages from spec.fabric.efa.")
  private ResourceRequirements resources;

  @JsonPropertyDescription("Extra environment of the worker container.")
  private List<EnvVar> env = new ArrayList<>();

  @JsonPropertyDescription("Node selector of the pool's pods.")
  private Map<String, String> nodeSelector = new LinkedHashMap<>();

  @JsonPropertyDescription("Tolerations of the pool's pods.")
  private List<Toleration> tolerations = new ArrayList<>();

  @JsonPropertyDescription(
      "Affinity of the pool's pods, merged with the operator's colocation affinity.")
  private Affinity affinity;

  @ValidationRule(
      value = QuantityRules.POSITIVE,
      messageExpression = QuantityRules.POSITIVE_MESSAGE)
  @JsonPropertyDescription(
      "Size of the memory-backed /dev/shm, in bytes (positive Kubernetes quantity, e.g. 16Gi). Unset: 16Gi.")
  private Quantity shmSize;

  @Default("1800")
  @Min(60)
  @Max(86400)
  @JsonPropertyDescription(
      "Startup budget in seconds: how long model loading may take before Kubernetes restarts the pod (startup probe on /health).")
  private int startupTimeoutSeconds = 1800;

  @Default("300")
  @Min(1)
  @Max(86400)
  @JsonPropertyDescription(
      "Seconds a stopping worker gets to finish in-flight requests after it has left discovery.")
  private int terminationGracePeriodSeconds = 300;

  @Default("300")
  @Min(0)
  @Max(86400)
  @JsonPropertyDescription(
      "Scale-down: after a removed instance has left etcd discovery, how long to wait, in seconds, for its in-flight requests to finish before the pod is stopped anyway.")
  private int drainTimeoutSeconds = 300;

  @JsonPropertyDescription("Further pod settings for this pool.")
  private PodTemplateOverrides podTemplate = new PodTemplateOverrides();

  @JsonPropertyDescription(
      "Size the pool from its load between minimalInstances and maxInstances. Unset or disabled: replicas is kept.")
  private PoolAutoscalingSpec autoscaling;

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public int getMinimalInstances() {
    return minimalInstances;
  }

  public void setMinimalInstances(int minimalInstances) {
    this.minimalInstances = minimalInstances;
  }

  public Integer getMaxInstances() {
    return maxInstances;
  }

  public void setMaxInstances(Integer maxInstances) {
    this.maxInstances = maxInstances;
  }

  public int getTensorParallelSize() {
    return tensorParallelSize;
  }

  public void setTensorParallelSize(int tensorParallelSize) {
    this.tensorParallelSize = tensorParallelSize;
  }

  public int getPipelineParallelSize() {
    return pipelineParallelSize;
  }

  /**
   * GPUs one instance of this pool uses: {@code tensorParallelSize x pipelineParallelSize}, the
   * world size of one {@code trtllm-serve} process (not a field of the resource).
   */
  public int gpusPerInstance() {
    return tensorParallelSize * pipelineParallelSize;
  }

  public void setPipelineParallelSize(int pipelineParallelSize) {
    this.pipelineParallelSize = pipelineParallelSize;
  }

  public int getPort() {
    return port;
  }

  public void setPort(int port) {
    this.port = port;
  }

  public Map<String, Object> getLlmApiOptions() {
    return llmApiOptions;
  }

  public void setLlmApiOptions(Map<String, Object> llmApiOptions) {
    this.llmApiOptions = llmApiOptions;
  }

  public ResourceRequirements getResources() {
    return resources;
  }

  public void setResources(ResourceRequirements resources) {
    this.resources = resources;
  }

  public List<EnvVar> getEnv() {
    return env;
  }

  public void setEnv(List<EnvVar> env) {
    this.env = env;
  }

  public Map<String, String> getNodeSelector() {
    return nodeSelector;
  }

  public void setNodeSelector(Map<String, String> nodeSelector) {
    this.nodeSelector = nodeSelector;
  }

  public List<Toleration> getTolerations() {
    return tolerations;
  }

  public void setTolerations(List<Toleration> tolerations) {
    this.tolerations = tolerations;
  }

  public Affinity getAffinity() {
    return affinity;
  }

  public void setAffinity(Affinity affinity) {
    this.affinity = affinity;
  }

  public Quantity getShmSize() {
    return shmSize;
  }

  public void setShmSize(Quantity shmSize) {
    this.shmSize = shmSize;
  }

  public int getStartupTimeoutSeconds() {
    return startupTimeoutSeconds;
  }

  public void setStartupTimeoutSeconds(int startupTimeoutSeconds) {
    this.startupTimeoutSeconds = startupTimeoutSeconds;
  }

  public int getTerminationGracePeriodSeconds() {
    return terminationGracePeriodSeconds;
  }

  public void setTerminationGracePeriodSeconds(int terminationGracePeriodSeconds) {
    this.terminationGracePeriodSeconds = terminationGracePeriodSeconds;
  }

  public PodTemplateOverrides getPodTemplate() {
    return podTemplate;
  }

  public void setPodTemplate(PodTemplateOverrides podTemplate) {
    this.podTemplate = podTemplate;
  }

  public int getDrainTimeoutSeconds() {
    return drainTimeoutSeconds;
  }

  public void setDrainTimeoutSeconds(int drainTimeoutSeconds) {
    this.drainTimeoutSeconds = drainTimeoutSeconds;
  }

  public PoolAutoscalingSpec getAutoscaling() {
    return autoscaling;
  }

  public void setAutoscaling(PoolAutoscalingSpec autoscaling) {
    this.autoscaling = autoscaling;
  }
}
