package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.disagg.operator.core.Pool;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import java.util.ArrayList;
import java.util.List;

/** Desired state of a {@link DisaggCluster}. */
@ValidationRule(
    value =
        "!has(self.fabric) || !has(self.fabric.efa) || !self.fabric.efa.enabled || !has(self.kvCacheTransfer) || self.kvCacheTransfer.backend in ['NIXL', 'DEFAULT']",
    message =
        "spec.fabric.efa.enabled needs spec.kvCacheTransfer.backend NIXL (or DEFAULT, which means NIXL): EFA is used through NIXL's LIBFABRIC backend")
public class DisaggClusterSpec {

  @Required
  @ValidationRule(
      value = "self.matches('\\\\S')",
      message = "spec.model must not be empty or blank")
  @JsonPropertyDescription(
      "Model served by every worker: a Hugging Face model id or a path inside the container (first argument of trtllm-serve).")
  private String model;

  @Required
  @ValidationRule(
      value = "self.matches('\\\\S')",
      message = "spec.image must not be empty or blank")
  @JsonPropertyDescription(
      "Container image with TensorRT-LLM (trtllm-serve), used by workers and router.")
  private String image;

  @Pattern("^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?([.+_-]?[A-Za-z0-9]+)*$")
  @JsonPropertyDescription(
      "TensorRT-LLM release the image runs, e.g. 1.2 or 1.2.0rc1: the rendered files and command lines follow it (see docs/trtllm-releases.md). Unset: read from the image tag when it is a release tag (1.2.0, v1.1.0rc5, ...); otherwise the operator renders only what every supported release accepts and says so in status.trtllm.")
  private String trtllmVersion;

  @Default("IfNotPresent")
  @JsonPropertyDescription("Image pull policy of all containers.")
  private ImagePullPolicy imagePullPolicy = ImagePullPolicy.IfNotPresent;

  @JsonPropertyDescription("Secrets used to pull the image.")
  private List<LocalObjectReference> imagePullSecrets = new ArrayList<>();

  @Default("pytorch")
  @JsonPropertyDescription("trtllm-serve --backend of the workers.")
  private ModelBackend backend = ModelBackend.PYTORCH;

  @JsonPropertyDescription(
      "trtllm-serve --log_level of workers and router: verbose, info, warning, error or internal_error (tensorrt_llm/logger.py). trace and debug only for a release that has them (none known: see docs/trtllm-releases.md). Unset: TensorRT-LLM's default (info).")
  private LogLevel logLevel;

  @JsonPropertyDescription(
      "ServiceAccount of worker and router pods. Unset: the namespace's default.")
  private String serviceAccountName;

  @JsonPropertyDescription(
      "How the KV cache moves from context to generation workers (cache_transceiver_config).")
  private KvCacheTransferSpec kvCacheTransfer = new KvCacheTransferSpec();

  @JsonPropertyDescription(
      "Network fabric for the KV-cache transfer, e.g. AWS EFA through libfabric.")
  private FabricSpec fabric = new FabricSpec();

  @JsonPropertyDescription(
      "Service discovery through etcd (TensorRT-LLM disagg_cluster). Unset: the operator's default etcd, defaults below.")
  private DiscoverySpec discovery = new DiscoverySpec();

  @JsonPropertyDescription("Placement of the two pools relative to each other.")
  private PlacementSpec placement = new PlacementSpec();

  @JsonPropertyDescription("The disaggregated router (trtllm-serve disaggregated) and its Service.")
  private RouterSpec router = new RouterSpec();

  @Required
  @JsonPropertyDescription("The context (prefill) pool: trtllm-serve --server_role CONTEXT.")
  private PoolSpec context = new PoolSpec();

  @Required
  @JsonPropertyDescription("The generation (decode) pool: trtllm-serve --server_role GENERATION.")
  private PoolSpec generation = new PoolSpec();

  @JsonPropertyDescription(
      "Constraints coupling the autoscaling of both pools (GPU budget, context:generation ratio); each pool enables autoscaling in its own autoscaling block.")
  private ClusterAutoscalingSpec autoscaling;

  @JsonPropertyDescription(
      "How a change of the pairing revision (image, model, KV-cache layout, parallel sizes, transfer settings: see docs/rollouts.md) is rolled out: a new revision with its own workers, router and cluster_name next to the old one, retired once the new one serves. Other changes roll in place. Unset: strategy RevisionSurge, maxSurge 100% per pool.")
  private RolloutSpec rollout;

  @JsonPropertyDescription(
      "What the operator repairs on its own: worker pods that are Ready but serve nobody because they are not registered in etcd (docs/self-healing.md). Unset: on, with the defaults below.")
  private SelfHealingSpec selfHealing;

  @JsonPropertyDescription(
      "Prometheus Operator PodMonitors of the workers and routers (docs/monitoring.md). Unset: the operator's installation-wide default.")
  private MonitoringSpec monitoring;

  @JsonPropertyDescription(
      "Kubernetes NetworkPolicies of the workers and the router (docs/network-policies.md). Unset: on, with the operator's installation-wide defaults.")
  private NetworkPolicySpec networkPolicy;

  @JsonPropertyDescription(
      "A PersistentVolumeClaim holding the model's weights, filled by a one-shot download Job before workers start and mounted read-only in every worker as HF_HOME (docs/model-cache.md). Unset: each worker resolves the model itself.")
  private ModelCacheSpec modelCache;

  @JsonPropertyDescription(
      "Security defaults of the operator's pods (docs/pod-security.md): without EFA every pod meets the Pod Security Standard restricted (runAsNonRoot with runAsUser, seccomp RuntimeDefault, no privilege escalation, all capabilities dropped, read-only root filesystem); EFA worker pods meet privileged only. Unset: runAsUser 1000, readOnlyRootFilesystem true.")
  private PodSecuritySpec podSecurity;

  public PodSecuritySpec getPodSecurity() {
    return podSecurity;
  }

  public void setPodSecurity(PodSecuritySpec podSecurity) {
    this.podSecurity = podSecurity;
  }

  public ModelCacheSpec getModelCache() {
    return modelCache;
  }

  public void setModelCache(ModelCacheSpec modelCache) {
    this.modelCache = modelCache;
  }

  public String getModel() {
    return model;
  }

  public void setModel(String model) {
    this.model = model;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public String getTrtllmVersion() {
    return trtllmVersion;
  }

  public void setTrtllmVersion(String trtllmVersion) {
    this.trtllmVersion = trtllmVersion;
  }

  public ImagePullPolicy getImagePullPolicy() {
    return imagePullPolicy;
  }

  public void setImagePullPolicy(ImagePullPolicy imagePullPolicy) {
    this.imagePullPolicy = imagePullPolicy;
  }

  public List<LocalObjectReference> getImagePullSecrets() {
    return imagePullSecrets;
  }

  public void setImagePullSecrets(List<LocalObjectReference> imagePullSecrets) {
    this.imagePullSecrets = imagePullSecrets;
  }

  public ModelBackend getBackend() {
    return backend;
  }

  public void setBackend(ModelBackend backend) {
    this.backend = backend;
  }

  public LogLevel getLogLevel() {
    return logLevel;
  }

  public void setLogLevel(LogLevel logLevel) {
    this.logLevel = logLevel;
  }

  public String getServiceAccountName() {
    return serviceAccountName;
  }

  public void setServiceAccountName(String serviceAccountName) {
    this.serviceAccountName = serviceAccountName;
  }

  public KvCacheTransferSpec getKvCacheTransfer() {
    return kvCacheTransfer;
  }

  public void setKvCacheTransfer(KvCacheTransferSpec kvCacheTransfer) {
    this.kvCacheTransfer = kvCacheTransfer;
  }

  public FabricSpec getFabric() {
    return fabric;
  }

  public void setFabric(FabricSpec fabric) {
    this.fabric = fabric;
  }

  public DiscoverySpec getDiscovery() {
    return discovery;
  }

  public void setDiscovery(DiscoverySpec discovery) {
    this.discovery = discovery;
  }

  public PlacementSpec getPlacement() {
    return placement;
  }

  public void setPlacement(PlacementSpec placement) {
    this.placement = placement;
  }

  public RouterSpec getRouter() {
    return router;
  }

  public void setRouter(RouterSpec router) {
    this.router = router;
  }

  public PoolSpec getContext() {
    return context;
  }

  public void setContext(PoolSpec context) {
    this.context = context;
  }

  public PoolSpec getGeneration() {
    return generation;
  }

  /** The spec of one pool: {@link #getContext()} or {@link #getGeneration()}. */
  public PoolSpec pool(Pool pool) {
    return pool == Pool.CONTEXT ? getContext() : getGeneration();
  }

  public void setGeneration(PoolSpec generation) {
    this.generation = generation;
  }

  public ClusterAutoscalingSpec getAutoscaling() {
    return autoscaling;
  }

  public void setAutoscaling(ClusterAutoscalingSpec autoscaling) {
    this.autoscaling = autoscaling;
  }

  public RolloutSpec getRollout() {
    return rollout;
  }

  public void setRollout(RolloutSpec rollout) {
    this.rollout = rollout;
  }

  public SelfHealingSpec getSelfHealing() {
    return selfHealing;
  }

  public void setSelfHealing(SelfHealingSpec selfHealing) {
    this.selfHealing = selfHealing;
  }

  public MonitoringSpec getMonitoring() {
    return monitoring;
  }

  public void setMonitoring(MonitoringSpec monitoring) {
    this.monitoring = monitoring;
  }

  public NetworkPolicySpec getNetworkPolicy() {
    return networkPolicy;
  }

  public void setNetworkPolicy(NetworkPolicySpec networkPolicy) {
    this.networkPolicy = networkPolicy;
  }
}
