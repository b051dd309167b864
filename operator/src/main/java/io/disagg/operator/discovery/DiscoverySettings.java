package io.disagg.operator.discovery;

import io.disagg.operator.spec.EffectiveSpec;
import java.util.Arrays;
import java.util.List;

/**
 * Installation-wide discovery settings of the operator, read from configuration by {@code
 * io.disagg.operator.runtime.OperatorBeans} (and by the offline render, {@code
 * io.disagg.operator.render}, from its command line) through {@link #fromConfig}.
 *
 * @param defaultEtcdEndpoints etcd endpoints ({@code host:port}, optionally prefixed {@code
 *     etcd://}, {@code http://} or {@code https://}) used for a DisaggCluster whose {@code
 *     spec.discovery.etcd.endpoints} is empty; may be empty (then such a DisaggCluster is an error)
 */
public record DiscoverySettings(List<String> defaultEtcdEndpoints) {

  /**
   * Configuration property of {@link #defaultEtcdEndpoints}: comma-separated, e.g. {@code
   * etcd.infra.svc:2379}.
   */
  public static final String DEFAULT_ETCD_ENDPOINTS = EffectiveSpec.DEFAULT_ENDPOINTS_PROPERTY;

  public DiscoverySettings {
    defaultEtcdEndpoints =
        defaultEtcdEndpoints == null ? List.of() : List.copyOf(defaultEtcdEndpoints);
  }

  /**
   * The settings from the value of {@link #DEFAULT_ETCD_ENDPOINTS}: comma-separated endpoints,
   * blanks around them ignored, empty entries dropped; null or blank means none. The endpoints are
   * parsed later, per DisaggCluster ({@code EffectiveSpec}), so a malformed one is reported on the
   * resources that use it.
   */
  public static DiscoverySettings fromConfig(String commaSeparated) {
    if (commaSeparated == null) {
      return new DiscoverySettings(List.of());
    }
    return new DiscoverySettings(
        Arrays.stream(commaSeparated.split(","))
            .map(String::strip)
            .filter(e -> !e.isEmpty())
            .toList());
  }
}
