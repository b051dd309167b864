package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/**
 * Keeps the context and generation pools in one topology domain (by default one availability zone):
 * EFA does not cross availability zones, and cross-zone KV-cache transfer is slow and billed.
 * Implemented as pod affinity of every worker to the workers of the same DisaggCluster.
 */
public class PlacementSpec {

  @JsonPropertyDescription(
      "Required: all workers in one topology domain (pods stay Pending otherwise). Preferred: best effort. Disabled: no constraint. Unset: Required with EFA, Preferred without.")
  private Colocation colocation;

  @Default("topology.kubernetes.io/zone")
  @JsonPropertyDescription("Node label that defines the topology domain.")
  private String topologyKey = "topology.kubernetes.io/zone";

  public Colocation getColocation() {
    return colocation;
  }

  public void setColocation(Colocation colocation) {
    this.colocation = colocation;
  }

  public String getTopologyKey() {
    return topologyKey;
  }

  public void setTopologyKey(String topologyKey) {
    this.topologyKey = topologyKey;
  }

  /** How strictly the pools are kept together. */
  public enum Colocation {
    Required,
    Preferred,
    Disabled
  }
}
