package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * What became of {@code spec.monitoring}: present while PodMonitors are wanted (or still being
 * deleted), absent otherwise.
 */
public class MonitoringStatus {

  /** {@link #podMonitors}: both PodMonitors are applied. */
  public static final String APPLIED = "Applied";

  /**
   * {@link #podMonitors}: wanted, but the Prometheus Operator's PodMonitor CRD is not installed.
   */
  public static final String CRD_MISSING = "CrdMissing";

  @JsonPropertyDescription(
      "Applied: the PodMonitors <name>-workers and <name>-router exist. CrdMissing: they are wanted but the API server has no podmonitors.monitoring.coreos.com CRD (install the Prometheus Operator; the operator checks again every 15 s). Not an error: the DisaggCluster serves either way.")
  private String podMonitors;

  @JsonPropertyDescription("A sentence for people.")
  private String message;

  public MonitoringStatus() {}

  public MonitoringStatus(String podMonitors, String message) {
    this.podMonitors = podMonitors;
    this.message = message;
  }

  public String getPodMonitors() {
    return podMonitors;
  }

  public void setPodMonitors(String podMonitors) {
    this.podMonitors = podMonitors;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
