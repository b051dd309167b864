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

  public int getInactiveTimeoutSeconds() {
    return inactiveTimeoutSeconds;
  }

  public void setInactiveTimeoutSeconds(int inactiveTimeoutSeconds) {
    this.inactiveTimeoutSeconds = inactiveTimeoutSeconds;
  }
}
