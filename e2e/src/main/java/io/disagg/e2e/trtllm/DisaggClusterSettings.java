package io.disagg.e2e.trtllm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;

/**
 * The {@code disagg_cluster} settings that simulated workers and the simulated router share ({@code
 * DisaggClusterConfig} in {@code tensorrt_llm/llmapi/disagg_utils.py}). The cluster URI is not part
 * of it: simulators are given their (loopback) etcd endpoint directly.
 *
 * @param clusterName {@code cluster_name}: workers register under {@code
 *     /trtllm-disagg/<cluster_name>/workers/}
 * @param heartbeatIntervalSec {@code heartbeat_interval_sec}, seconds between lease refreshes; like
 *     upstream, heartbeats are off unless {@code 0 < heartbeat < inactiveTimeoutSec}
 * @param inactiveTimeoutSec {@code inactive_timeout_sec}, TTL of the registration lease in seconds
 *     (etcd rounds TTLs below its minimum, about 2 s, up)
 * @param minimalContextServers {@code minimal_instances.context_servers} (router readiness)
 * @param minimalGenerationServers {@code minimal_instances.generation_servers}
 */
public record DisaggClusterSettings(
    String clusterName,
    long heartbeatIntervalSec,
    long inactiveTimeoutSec,
    int minimalContextServers,
    int minimalGenerationServers) {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public DisaggClusterSettings {
    if (clusterName == null) {
      throw new IllegalArgumentException("cluster_name must not be null");
    }
  }

  /** Settings with {@code minimal_instances} 1 and 1 (the upstream defaults). */
  public static DisaggClusterSettings of(
      String clusterName, long heartbeatIntervalSec, long inactiveTimeoutSec) {
    return new DisaggClusterSettings(clusterName, heartbeatIntervalSec, inactiveTimeoutSec, 1, 1);
  }

  /** A copy with other {@code minimal_instances}. */
  public DisaggClusterSettings withMinimalInstances(int contextServers, int generationServers) {
    return new DisaggClusterSettings(
        clusterName, heartbeatIntervalSec, inactiveTimeoutSec, contextServers, generationServers);
  }

  /**
   * Reads the {@code disagg_cluster} section of a worker LLM-API YAML ({@code context.yaml}, {@code
   * generation.yaml}) or a router config. Missing fields take the upstream defaults ({@code
   * cluster_name} "", heartbeat 5 s, timeout 10 s, minimal instances 1 and 1).
   *
   * @throws IllegalArgumentException when the YAML has no {@code disagg_cluster} section
   */
  public static DisaggClusterSettings fromYaml(String yaml) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml == null ? "" : yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException("not YAML: " + e.getMessage(), e);
    }
    JsonNode dc = root == null ? null : root.get("disagg_cluster");
    if (dc == null || !dc.isObject()) {
      throw new IllegalArgumentException("no disagg_cluster section in YAML");
    }
    JsonNode min = dc.path("minimal_instances");
    return new DisaggClusterSettings(
        dc.path("cluster_name").asText(""),
        dc.path("heartbeat_interval_sec").asLong(5),
        dc.path("inactive_timeout_sec").asLong(10),
        min.path("context_servers").asInt(1),
        min.path("generation_servers").asInt(1));
  }

  /**
   * {@code /trtllm-disagg/<cluster_name>/workers}, the prefix the router watches (as upstream,
   * without a trailing slash).
   */
  public String workerKeyPrefix() {
    return "/trtllm-disagg/" + clusterName + "/workers";
  }

  /**
   * Whether workers refresh their lease: upstream only when {@code 0 < heartbeat < inactive
   * timeout}.
   */
  public boolean heartbeatEnabled() {
    return heartbeatIntervalSec > 0 && heartbeatIntervalSec < inactiveTimeoutSec;
  }

  /** {@code minimal_instances} of a role. */
  public int minimalInstances(WorkerRole role) {
    return role == WorkerRole.CONTEXT ? minimalContextServers : minimalGenerationServers;
  }
}
