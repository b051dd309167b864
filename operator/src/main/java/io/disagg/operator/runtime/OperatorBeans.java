package io.disagg.operator.runtime;

import io.disagg.operator.discovery.DiscoverySettings;
import io.disagg.operator.metrics.PrometheusQueryClient;
import io.disagg.operator.metrics.RouterMetricsClient;
import io.disagg.operator.metrics.WorkerMetricsClient;
import io.disagg.operator.spec.MonitoringDefaults;
import io.disagg.operator.spec.NetworkPolicyDefaults;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The reconciler's collaborators as CDI beans, so that it has one constructor: the clock, the
 * installation-wide discovery settings and the HTTP clients of the load sources. Tests build the
 * same objects themselves.
 */
public class OperatorBeans {

  @Produces
  @Singleton
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * {@code disagg.discovery.default-etcd-endpoints} (env {@code
   * DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS}): comma-separated etcd endpoints for DisaggClusters
   * that name none; unset means none.
   */
  @Produces
  @Singleton
  DiscoverySettings discoverySettings(
      @ConfigProperty(name = DiscoverySettings.DEFAULT_ETCD_ENDPOINTS) Optional<String> endpoints) {
    return DiscoverySettings.fromConfig(endpoints.orElse(null));
  }

  /**
   * {@code disagg.monitoring.pod-monitors} (env {@code DISAGG_MONITORING_POD_MONITORS}, default
   * false) and {@code disagg.monitoring.pod-monitor-labels} (env {@code
   * DISAGG_MONITORING_POD_MONITOR_LABELS}, comma-separated {@code key=value}): the defaults of
   * {@code spec.monitoring}.
   */
  @Produces
  @Singleton
  MonitoringDefaults monitoringDefaults(
      @ConfigProperty(name = MonitoringDefaults.POD_MONITORS_PROPERTY, defaultValue = "false")
          boolean podMonitors,
      @ConfigProperty(name = MonitoringDefaults.LABELS_PROPERTY) Optional<String> labels) {
    return MonitoringDefaults.fromConfig(podMonitors, labels.orElse(null));
  }

  /**
   * {@code disagg.network-policy.enabled} (env {@code DISAGG_NETWORK_POLICY_ENABLED}, default
   * true), {@code disagg.network-policy.monitoring-peers} and {@code
   * disagg.network-policy.operator-peers} (env {@code DISAGG_NETWORK_POLICY_MONITORING_PEERS},
   * {@code DISAGG_NETWORK_POLICY_OPERATOR_PEERS}; JSON arrays of NetworkPolicyPeer): {@link
   * NetworkPolicyDefaults#fromConfig}.
   */
  @Produces
  @Singleton
  NetworkPolicyDefaults networkPolicyDefaults(
      @ConfigProperty(name = NetworkPolicyDefaults.ENABLED_PROPERTY, defaultValue = "true")
          boolean enabled,
      @ConfigProperty(name = NetworkPolicyDefaults.MONITORING_PEERS_PROPERTY)
          Optional<String> monitoringPeers,
      @ConfigProperty(name = NetworkPolicyDefaults.OPERATOR_PEERS_PROPERTY)
          Optional<String> operatorPeers) {
    return NetworkPolicyDefaults.fromConfig(
        enabled, monitoringPeers.orElse(null), operatorPeers.orElse(null));
  }

  @Produces
  @Singleton
  WorkerMetricsClient workerMetricsClient() {
    return new WorkerMetricsClient();
  }

  @Produces
  @Singleton
  RouterMetricsClient routerMetricsClient() {
    return new RouterMetricsClient();
  }

  @Produces
  @Singleton
  PrometheusQueryClient prometheusQueryClient() {
    return new PrometheusQueryClient();
  }
}
