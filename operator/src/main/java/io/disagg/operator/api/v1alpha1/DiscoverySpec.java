package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The {@code disagg_cluster} section shared by router and workers ({@code DisaggClusterConfig} in
 * {@code tensorrt_llm/llmapi/disagg_utils.py}).
 */
@ValidationRule(
    value = "self.heartbeatIntervalSeconds < self.inactiveTimeoutSeconds",
    message =
        "spec.discovery.heartbeatIntervalSeconds must be less than spec.discovery.inactiveTimeoutSeconds: otherwise TensorRT-LLM silently disables heartbeats")
public class DiscoverySpec {

  @JsonPropertyDescription(
      "The etcd the workers register in. Unset: the operator's default (disagg.discovery.default-etcd-endpoints).")
  private EtcdSpec etcd = new EtcdSpec();

  @Size(min = 1, max = 63)
  @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]*$")
  @JsonPropertyDescription(
      "disagg_cluster.cluster_name: the etcd key namespace /trtllm-disagg/<clusterName>/. Unset: <namespace>.<name>, so two DisaggClusters never collide.")
  private String clusterName;

  @Default("5")
  @Min(1)
  @Max(3600)
  @JsonPropertyDescription(
      "disagg_cluster.heartbeat_interval_sec, in seconds: how often workers refresh their registration.")
  private int heartbeatIntervalSeconds = 5;

  @Default("10")
  @Min(2)
  @Max(86400)
  @JsonPropertyDescription(
      "disagg_cluster.inactive_timeout_sec, in seconds: lease TTL after which a silent worker is dropped. Must exceed heartbeatIntervalSeconds.")
  private int inactiveTimeoutSeconds = 10;

  /** Default of {@link #foreignGraceSeconds}, in seconds. */
  public static final int DEFAULT_FOREIGN_GRACE_SECONDS = 2;

  @Default("true")
  @JsonPropertyDescription(
      "Delete registrations under this cluster's etcd prefix whose host is not the IP of one of this DisaggCluster's pods (they would receive user prompts from the router): key only, never the lease, with a Warning Event ForeignRegistrationRemoved, counted in status.discovery.removedForeign. Malformed values too, unless their host is one of this DisaggCluster's pods. false: such registrations are only reported (status.discovery.unmatched, condition DiscoveryAvailable), for workers registered by hand.")
  private Boolean removeForeignRegistrations = Boolean.TRUE;

  @Default("2")
  @Min(0)
  @Max(300)
  @JsonPropertyDescription(
      "Seconds a host must have been seen as foreign before its registrations are deleted (and the operator's pod cache is re-read from the API server first), so a new pod the cache has not seen yet is not mistaken for a foreign one. The router routes to a registration as soon as it is written, so requests sent in this time (plus one reconcile) can reach a foreign endpoint; keep it small.")
  private Integer foreignGraceSeconds = DEFAULT_FOREIGN_GRACE_SECONDS;

  public EtcdSpec getEtcd() {
    return etcd;
  }

  public void setEtcd(EtcdSpec etcd) {
    this.etcd = etcd;
  }

  public String getClusterName() {
    return clusterName;
  }

  public void setClusterName(String clusterName) {
    this.clusterName = clusterName;
  }

  public int getHeartbeatIntervalSeconds() {
    return heartbeatIntervalSeconds;
  }

  public void setHeartbeatIntervalSeconds(int heartbeatIntervalSeconds) {
    this.heartbeatIntervalSeconds = heartbeatIntervalSeconds;
  }

  public Boolean getRemoveForeignRegistrations() {
    return removeForeignRegistrations;
  }

  public void setRemoveForeignRegistrations(Boolean removeForeignRegistrations) {
    this.removeForeignRegistrations = removeForeignRegistrations;
  }

  public Integer getForeignGraceSeconds() {
    return foreignGraceSeconds;
  }

  public void setForeignGraceSeconds(Integer foreignGraceSeconds) {
    this.foreignGraceSeconds = foreignGraceSeconds;
  }

  public int getInactiveTimeoutSeconds() {
    return inactiveTimeoutSeconds;
  }

  public void setInactiveTimeoutSeconds(int inactiveTimeoutSeconds) {
    this.inactiveTimeoutSeconds = inactiveTimeoutSeconds;
  }
}
