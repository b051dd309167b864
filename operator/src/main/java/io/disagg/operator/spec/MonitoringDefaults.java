package io.disagg.operator.spec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operator's installation-wide defaults of {@code spec.monitoring}, read from configuration by
 * {@code io.disagg.operator.runtime.OperatorBeans} ({@link #fromConfig}); the Helm chart sets them
 * from {@code monitoring.podMonitors.enabled} and {@code monitoring.podMonitors.labels}.
 *
 * @param podMonitors whether a DisaggCluster that leaves {@code spec.monitoring.podMonitors} unset
 *     gets PodMonitors
 * @param labels labels of every PodMonitor object (a DisaggCluster's {@code spec.monitoring.labels}
 *     win on the same key); never null
 */
public record MonitoringDefaults(boolean podMonitors, Map<String, String> labels) {

  /**
   * Configuration property of {@link #podMonitors} (env {@code DISAGG_MONITORING_POD_MONITORS}).
   */
  public static final String POD_MONITORS_PROPERTY = "disagg.monitoring.pod-monitors";

  /**
   * Configuration property of {@link #labels}: comma-separated {@code key=value} (env {@code
   * DISAGG_MONITORING_POD_MONITOR_LABELS}).
   */
  public static final String LABELS_PROPERTY = "disagg.monitoring.pod-monitor-labels";

  /** No PodMonitors unless a DisaggCluster asks, no extra labels. */
  public static final MonitoringDefaults OFF = new MonitoringDefaults(false, Map.of());

  public MonitoringDefaults {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /**
   * The defaults from configuration values.
   *
   * @param podMonitors {@code true} or {@code false}; null means false
   * @param labels comma-separated {@code key=value} pairs, blanks around them ignored; null or
   *     blank means none
   * @throws IllegalArgumentException when a pair has no {@code =} or an empty key
   */
  public static MonitoringDefaults fromConfig(Boolean podMonitors, String labels) {
    Map<String, String> l = new LinkedHashMap<>();
    if (labels != null) {
      for (String pair : labels.split(",")) {
        String p = pair.strip();
        if (p.isEmpty()) {
          continue;
        }
        int eq = p.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(
              LABELS_PROPERTY + ": '" + p + "' is not key=value (in '" + labels + "')");
        }
        l.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
      }
    }
    return new MonitoringDefaults(Boolean.TRUE.equals(podMonitors), l);
  }
}
