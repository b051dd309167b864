package io.disagg.operator.discovery;

import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Installation-wide discovery settings of the operator. Plain class (no CDI): build it with
 * {@link #fromConfig()} in the running operator, or with the constructor in tests.
 *
 * @param defaultEtcdEndpoints etcd endpoints ({@code host:port}, optionally prefixed
 *     {@code etcd://}, {@code http://} or {@code https://}) used for a DisaggCluster whose
 *     {@code spec.discovery.etcd.endpoints} is empty; may be empty (then such a DisaggCluster is an
 *     error)
 */
public record DiscoverySettings(List<String> defaultEtcdEndpoints) {

  /** Configuration property of {@link #defaultEtcdEndpoints}: comma-separated, e.g. {@code etcd.infra.svc:2379}. */
  public static final String DEFAULT_ETCD_ENDPOINTS = "disagg.discovery.default-etcd-endpoints";

  public DiscoverySettings {
    defaultEtcdEndpoints = defaultEtcdEndpoints == null ? List.of() : List.copyOf(defaultEtcdEndpoints);
  }

  /**
   * Reads {@value #DEFAULT_ETCD_ENDPOINTS} from MicroProfile Config (application.properties, or
   * the environment variable {@code DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS}). Unset: no default.
   */
  public static DiscoverySettings fromConfig() {
    return fromConfig(ConfigProvider.getConfig());
  }

  /** As {@link #fromConfig()}, from the given configuration. */
  public static DiscoverySettings fromConfig(Config config) {
    return new DiscoverySettings(splitEndpoints(config.getOptionalValue(DEFAULT_ETCD_ENDPOINTS, String.class).orElse("")));
  }

  /** Splits a comma-separated endpoint list, dropping blanks and surrounding white space. */
  public static List<String> splitEndpoints(String commaSeparated) {
    List<String> out = new ArrayList<>();
    if (commaSeparated != null) {
      for (String part : commaSeparated.split(",")) {
        if (!part.isBlank()) {
          out.add(part.strip());
        }
      }
    }
    return List.copyOf(out);
  }
}
