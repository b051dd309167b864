package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import java.util.Map;

/**
 * Prometheus Operator {@code PodMonitor}s of the DisaggCluster (docs/monitoring.md): one for the
 * workers of both pools and every pairing revision ({@code <name>-workers}), one for the routers
 * ({@code <name>-router}). Created only when the {@code podmonitors.monitoring.coreos.com} CRD is
 * installed; without it {@code status.monitoring} says so and nothing fails.
 */
public class MonitoringSpec {

  /** Default of {@link #interval}. */
  public static final String DEFAULT_INTERVAL = "30s";

  /**
   * A Prometheus duration, exactly as the Prometheus Operator's CRDs validate {@code interval}
   * ({@code monitoring.coreos.com_podmonitors.yaml}, type {@code Duration}).
   */
  public static final String DURATION_PATTERN =
      "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";

  @JsonPropertyDescription(
      "Create PodMonitors for the workers' /prometheus/metrics and the router's /prometheus/metrics/. Unset: the operator's installation-wide default (Helm value monitoring.podMonitors.enabled, off unless set). Without the Prometheus Operator's PodMonitor CRD nothing is created and status.monitoring says so; false deletes PodMonitors created before.")
  private Boolean podMonitors;

  @Default(DEFAULT_INTERVAL)
  @Pattern(DURATION_PATTERN)
  @JsonPropertyDescription(
      "Scrape interval of both PodMonitors, a Prometheus duration such as 15s, 1m or 1m30s.")
  private String interval = DEFAULT_INTERVAL;

  @JsonPropertyDescription(
      "Labels of the PodMonitor objects (not of the series), so that a Prometheus's podMonitorSelector picks them up, e.g. release: kube-prometheus-stack. Added to the operator's installation-wide labels (Helm value monitoring.podMonitors.labels); these win on the same key.")
  private Map<String, String> labels;

  public Boolean getPodMonitors() {
    return podMonitors;
  }

  public void setPodMonitors(Boolean podMonitors) {
    this.podMonitors = podMonitors;
  }

  public String getInterval() {
    return interval;
  }

  public void setInterval(String interval) {
    this.interval = interval;
  }

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }
}
