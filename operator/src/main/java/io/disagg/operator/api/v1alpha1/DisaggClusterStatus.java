package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.disagg.operator.core.Pool;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/**
 * Observed state. Every condition carries {@code observedGeneration}. {@code Ready}, {@code
 * Progressing} and {@code Degraded} are for people and {@code kubectl wait --for=condition=Ready};
 * {@code Reconciling} and {@code Stalled} follow the kstatus convention, so Flux judges health
 * without configuration; Argo CD needs the health script in {@code config-samples/argocd/} (see
 * docs/gitops.md).
 */
public class DisaggClusterStatus {

  @JsonPropertyDescription("metadata.generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Ready, Progressing, Degraded, DiscoveryAvailable, and the kstatus conditions Reconciling and Stalled (read by Flux).")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The effective disagg_cluster.cluster_name.")
  private String clusterName;

  @JsonPropertyDescription(
      "The TensorRT-LLM release the files and command lines are rendered for, and where the operator learned it.")
  private TrtllmStatus trtllm;

  @JsonPropertyDescription(
      "The highest Pod Security Standard level (restricted, baseline, privileged) that every pod the operator renders for the current spec meets: worker pods of both pools with their sidecars and init containers, router pods, the model download Job's pods (docs/pod-security.md). A namespace may enforce this level.")
  private String podSecurityLevel;

  @JsonPropertyDescription("The context (prefill) pool.")
  private PoolStatus context = new PoolStatus();

  @JsonPropertyDescription("The generation (decode) pool.")
  private PoolStatus generation = new PoolStatus();

  @JsonPropertyDescription("The router.")
  private RouterStatus router = new RouterStatus();

  @JsonPropertyDescription("Worker registrations in etcd, as the router sees them.")
  private DiscoveryStatus discovery;

  @JsonPropertyDescription(
      "The pairing revision traffic is meant for (status.revisions[] with role Serving); unset before the first revision serves.")
  private String servingRevision;

  @JsonPropertyDescription(
      "Every pairing revision present: during a rollout the serving one, the one rolling out and any retiring; otherwise one.")
  private List<RevisionStatus> revisions;

  @JsonPropertyDescription(
      "PodMonitors (spec.monitoring): applied, or wanted but the Prometheus Operator's CRD is missing. Absent when no PodMonitors are wanted.")
  private MonitoringStatus monitoring;

  @JsonPropertyDescription(
      "The model cache (spec.modelCache) of the desired model: claim, model identity, state (Pending, Downloading, Complete, Failed, Prepopulated), download Job, message.")
  private ModelCacheStatus modelCache;

  public ModelCacheStatus getModelCache() {
    return modelCache;
  }

  public void setModelCache(ModelCacheStatus modelCache) {
    this.modelCache = modelCache;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public TrtllmStatus getTrtllm() {
    return trtllm;
  }

  public void setTrtllm(TrtllmStatus trtllm) {
    this.trtllm = trtllm;
  }

  public String getPodSecurityLevel() {
    return podSecurityLevel;
  }

  public void setPodSecurityLevel(String podSecurityLevel) {
    this.podSecurityLevel = podSecurityLevel;
  }

  public String getClusterName() {
    return clusterName;
  }

  public void setClusterName(String clusterName) {
    this.clusterName = clusterName;
  }

  public PoolStatus getContext() {
    return context;
  }

  public void setContext(PoolStatus context) {
    this.context = context;
  }

  public PoolStatus getGeneration() {
    return generation;
  }

  /** The status of one pool: {@link #getContext()} or {@link #getGeneration()}. */
  public PoolStatus pool(Pool pool) {
    return pool == Pool.CONTEXT ? getContext() : getGeneration();
  }

  public void setGeneration(PoolStatus generation) {
    this.generation = generation;
  }

  public RouterStatus getRouter() {
    return router;
  }

  public void setRouter(RouterStatus router) {
    this.router = router;
  }

  public DiscoveryStatus getDiscovery() {
    return discovery;
  }

  public void setDiscovery(DiscoveryStatus discovery) {
    this.discovery = discovery;
  }

  public String getServingRevision() {
    return servingRevision;
  }

  public void setServingRevision(String servingRevision) {
    this.servingRevision = servingRevision;
  }

  public List<RevisionStatus> getRevisions() {
    return revisions;
  }

  public void setRevisions(List<RevisionStatus> revisions) {
    this.revisions = revisions;
  }

  public MonitoringStatus getMonitoring() {
    return monitoring;
  }

  public void setMonitoring(MonitoringStatus monitoring) {
    this.monitoring = monitoring;
  }
}
