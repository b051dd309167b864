package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.disagg.operator.core.Pool;

/**
 * One pairing revision present in the cluster ({@code status.revisions[]}): its own worker
 * StatefulSets, router Deployment and {@code cluster_name}. See docs/rollouts.md.
 */
public class RevisionStatus {

  @JsonPropertyDescription(
      "The pairing revision: 10 hex characters of the hash of the fields that decide whether a context and a generation worker can exchange a KV cache (label serving.disagg.io/revision).")
  private String revision;

  @JsonPropertyDescription(
      "Serving (traffic is meant for it; autoscaling and drains act on it), RollingOut (the desired revision, growing) or Retiring (on its way out).")
  private RevisionRole role;

  @JsonPropertyDescription(
      "disagg_cluster.cluster_name of this revision: its workers register under /trtllm-disagg/<clusterName>/ and only its own router sees them.")
  private String clusterName;

  @JsonPropertyDescription("This revision's context pool.")
  private RevisionPoolStatus context;

  @JsonPropertyDescription("This revision's generation pool.")
  private RevisionPoolStatus generation;

  @JsonPropertyDescription(
      "Whether a router pod of this revision is ready (minimalInstances of both pools registered), so the router Service sends it requests.")
  private Boolean routerReady;

  public String getRevision() {
    return revision;
  }

  public void setRevision(String revision) {
    this.revision = revision;
  }

  public RevisionRole getRole() {
    return role;
  }

  public void setRole(RevisionRole role) {
    this.role = role;
  }

  public String getClusterName() {
    return clusterName;
  }

  public void setClusterName(String clusterName) {
    this.clusterName = clusterName;
  }

  public RevisionPoolStatus getContext() {
    return context;
  }

  public void setContext(RevisionPoolStatus context) {
    this.context = context;
  }

  public RevisionPoolStatus getGeneration() {
    return generation;
  }

  public void setGeneration(RevisionPoolStatus generation) {
    this.generation = generation;
  }

  /** One pool: {@link #getContext()} or {@link #getGeneration()}. */
  public RevisionPoolStatus pool(Pool pool) {
    return pool == Pool.CONTEXT ? getContext() : getGeneration();
  }

  /** Sets one pool. */
  public void setPool(Pool pool, RevisionPoolStatus status) {
    if (pool == Pool.CONTEXT) {
      setContext(status);
    } else {
      setGeneration(status);
    }
  }

  public Boolean getRouterReady() {
    return routerReady;
  }

  public void setRouterReady(Boolean routerReady) {
    this.routerReady = routerReady;
  }
}
