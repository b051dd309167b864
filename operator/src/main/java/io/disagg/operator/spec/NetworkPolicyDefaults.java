package io.disagg.operator.spec;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * The operator's installation-wide NetworkPolicy settings (docs/network-policies.md), read from
 * configuration by {@code io.disagg.operator.runtime.OperatorBeans} ({@link #fromConfig}); the Helm
 * chart sets them from {@code networkPolicy.*}.
 *
 * @param enabled whether a DisaggCluster that leaves {@code spec.networkPolicy.enabled} unset gets
 *     NetworkPolicies
 * @param monitoringPeers default of {@code spec.networkPolicy.monitoring}: who may scrape the
 *     workers' and routers' serving port; never null
 * @param operatorPeers the operator's own pods, which read the workers' {@code /prometheus/metrics}
 *     and {@code /perf_metrics} and the router's {@code /prometheus/metrics/} (drains, autoscaling,
 *     the KV-transfer check); not a spec field. Empty: no rule for the operator (an operator
 *     running outside the cluster, as {@code e2e/run.sh} runs it, is not a pod and no pod selector
 *     matches it); never null
 */
public record NetworkPolicyDefaults(
    boolean enabled,
    List<NetworkPolicyPeer> monitoringPeers,
    List<NetworkPolicyPeer> operatorPeers) {

  /** Configuration property of {@link #enabled} (env {@code DISAGG_NETWORK_POLICY_ENABLED}). */
  public static final String ENABLED_PROPERTY = "disagg.network-policy.enabled";

  /**
   * Configuration property of {@link #monitoringPeers}: a JSON array of NetworkPolicyPeer (env
   * {@code DISAGG_NETWORK_POLICY_MONITORING_PEERS}).
   */
  public static final String MONITORING_PEERS_PROPERTY = "disagg.network-policy.monitoring-peers";

  /**
   * Configuration property of {@link #operatorPeers}: a JSON array of NetworkPolicyPeer (env {@code
   * DISAGG_NETWORK_POLICY_OPERATOR_PEERS}); the chart sets the operator pods' namespace and
   * selector labels.
   */
  public static final String OPERATOR_PEERS_PROPERTY = "disagg.network-policy.operator-peers";

  /**
   * Pods of a Prometheus run by the Prometheus Operator in any namespace: it labels them {@code
   * app.kubernetes.io/name: prometheus} (the {@code podSelectorLabels} of its StatefulSet builder
   * in prometheus-operator's {@code pkg/prometheus/server}; kube-prometheus-stack included). The
   * default of {@link #monitoringPeers} without configuration, and the chart's default.
   */
  public static final NetworkPolicyPeer PROMETHEUS =
      new NetworkPolicyPeerBuilder()
          .withNamespaceSelector(new LabelSelectorBuilder().build())
          .withPodSelector(
              new LabelSelectorBuilder()
                  .addToMatchLabels("app.kubernetes.io/name", "prometheus")
                  .build())
          .build();

  /** Without configuration: on, Prometheus Operator pods may scrape, no operator peers. */
  public static final NetworkPolicyDefaults DEFAULT =
      new NetworkPolicyDefaults(true, List.of(PROMETHEUS), List.of());

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  public NetworkPolicyDefaults {
    monitoringPeers = List.copyOf(monitoringPeers);
    operatorPeers = List.copyOf(operatorPeers);
  }

  /**
   * The settings from configuration values.
   *
   * @param enabled null means true
   * @param monitoringPeers JSON array of NetworkPolicyPeer; null or blank means [{@link
   *     #PROMETHEUS}]
   * @param operatorPeers JSON array of NetworkPolicyPeer; null or blank means none
   * @throws IllegalArgumentException when a value is not a JSON array of peers
   */
  public static NetworkPolicyDefaults fromConfig(
      Boolean enabled, String monitoringPeers, String operatorPeers) {
    return new NetworkPolicyDefaults(
        !Boolean.FALSE.equals(enabled),
        monitoringPeers == null || monitoringPeers.isBlank()
            ? List.of(PROMETHEUS)
            : peers(MONITORING_PEERS_PROPERTY, monitoringPeers),
        operatorPeers == null || operatorPeers.isBlank()
            ? List.of()
            : peers(OPERATOR_PEERS_PROPERTY, operatorPeers));
  }

  private static List<NetworkPolicyPeer> peers(String property, String json) {
    try {
      NetworkPolicyPeer[] peers = SERIALIZATION.unmarshal(json, NetworkPolicyPeer[].class);
      if (peers == null) {
        throw new IllegalArgumentException("null");
      }
      return List.of(peers);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          property
              + ": not a JSON array of NetworkPolicyPeer: "
              + json
              + " ("
              + e.getMessage()
              + ")",
          e);
    }
  }
}
