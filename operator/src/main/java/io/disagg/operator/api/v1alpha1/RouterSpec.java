package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The router, {@code trtllm-serve disaggregated -c disagg_config.yaml}. It keeps no state of its
 * own (the registry is in etcd), so several replicas behind one Service are safe.
 */
@ValidationRule(
    value =
        "!has(self.maxLocalPrefillLength) || (has(self.generationRouter) && self.generationRouter.type == 'kv_cache_aware')",
    message =
        "spec.router.maxLocalPrefillLength (conditional disaggregation) needs spec.router.generationRouter.type kv_cache_aware")
public class RouterSpec {

  @Default("1")
  @Min(0)
  @Max(100)
  @JsonPropertyDescription("Router replicas.")
  private int replicas = 1;

  @Default("8000")
  @Min(1)
  @Max(65535)
  @JsonPropertyDescription(
      "Port of the OpenAI-compatible API, on the router container and the Service.")
  private int port = 8000;

  @JsonPropertyDescription("The router's Service.")
  private RouterServiceSpec service = new RouterServiceSpec();

  @JsonPropertyDescription("How the router picks a context worker (context_servers.router).")
  private PoolRouterSpec contextRouter = new PoolRouterSpec();

  @JsonPropertyDescription("How the router picks a generation worker (generation_servers.router).")
  private PoolRouterSpec generationRouter = new PoolRouterSpec();

  @Default("1")
  @Min(0)
  @Max(100)
  @JsonPropertyDescription("max_retries: retries of a failed worker call.")
  private int maxRetries = 1;

  @Default("180")
  @Min(1)
  @JsonPropertyDescription(
      "-r/--request_timeout, in seconds, per context or generation call including streaming; long outputs need more.")
  private int requestTimeoutSeconds = 180;

  @Default("180")
  @Min(1)
  @JsonPropertyDescription("-t/--server_start_timeout, in seconds.")
  private int serverStartTimeoutSeconds = 180;

  @Min(1)
  @JsonPropertyDescription(
      "conditional_disagg_config.max_local_prefill_length, in tokens: shorter prompts are prefilled on the generation worker. Needs generationRouter.type kv_cache_aware.")
  private Integer maxLocalPrefillLength;

  @SchemaFrom(type = FreeFormObject.class)
  @JsonPropertyDescription(
      "Further top-level keys of disagg_config.yaml (e.g. perf_metrics_max_requests, schedule_style, otlp_config), merged as given.")
  private Map<String, Object> extraConfig = new LinkedHashMap<>();

  @JsonPropertyDescription("Resources of the router container.")
  private ResourceRequirements resources;

  @JsonPropertyDescription("Extra environment of the router container.")
  private List<EnvVar> env = new ArrayList<>();

  @JsonPropertyDescription("Node selector of router pods.")
  private Map<String, String> nodeSelector = new LinkedHashMap<>();

  @JsonPropertyDescription("Tolerations of router pods.")
  private List<Toleration> tolerations = new ArrayList<>();

  @JsonPropertyDescription("Affinity of router pods.")
  private Affinity affinity;

  public int getReplicas() {
    return replicas;
  }

  public void setReplicas(int replicas) {
    this.replicas = replicas;
  }

  public int getPort() {
    return port;
  }

  public void setPort(int port) {
    this.port = port;
  }

  public RouterServiceSpec getService() {
    return service;
  }

  public void setService(RouterServiceSpec service) {
    this.service = service;
  }

  public PoolRouterSpec getContextRouter() {
    return contextRouter;
  }

  public void setContextRouter(PoolRouterSpec contextRouter) {
    this.contextRouter = contextRouter;
  }

  public PoolRouterSpec getGenerationRouter() {
    return generationRouter;
  }

  public void setGenerationRouter(PoolRouterSpec generationRouter) {
    this.generationRouter = generationRouter;
  }

  public int getMaxRetries() {
    return maxRetries;
  }

  public void setMaxRetries(int maxRetries) {
    this.maxRetries = maxRetries;
  }

  public int getRequestTimeoutSeconds() {
    return requestTimeoutSeconds;
  }

  public void setRequestTimeoutSeconds(int requestTimeoutSeconds) {
    this.requestTimeoutSeconds = requestTimeoutSeconds;
  }

  public int getServerStartTimeoutSeconds() {
    return serverStartTimeoutSeconds;
  }

  public void setServerStartTimeoutSeconds(int serverStartTimeoutSeconds) {
    this.serverStartTimeoutSeconds = serverStartTimeoutSeconds;
  }

  public Integer getMaxLocalPrefillLength() {
    return maxLocalPrefillLength;
  }

  public void setMaxLocalPrefillLength(Integer maxLocalPrefillLength) {
    this.maxLocalPrefillLength = maxLocalPrefillLength;
  }

  public Map<String, Object> getExtraConfig() {
    return extraConfig;
  }

  public void setExtraConfig(Map<String, Object> extraConfig) {
    this.extraConfig = extraConfig;
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
}
