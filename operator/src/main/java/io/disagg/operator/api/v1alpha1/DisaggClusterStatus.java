package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/**
 * Observed state. Conditions follow the kstatus convention ({@code Ready}, {@code Progressing},
 * {@code Degraded}, each with {@code observedGeneration}) so Argo CD, Flux and
 * {@code kubectl wait --for=condition=Ready} judge health without custom scripts.
 */
public class DisaggClusterStatus {

  @JsonPropertyDescription("metadata.generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Ready, Progressing and Degraded.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The effective disagg_cluster.cluster_name.")
  private String clusterName;

  @JsonPropertyDescription("The context (prefill) pool.")
  private PoolStatus context = new PoolStatus();

  @JsonPropertyDescription("The generation (decode) pool.")
  private PoolStatus generation = new PoolStatus();

  @JsonPropertyDescription("The router.")
  private RouterStatus router = new RouterStatus();

  @JsonPropertyDescription("Worker registrations in etcd, as the router sees them.")
  private DiscoveryStatus discovery;

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
}
