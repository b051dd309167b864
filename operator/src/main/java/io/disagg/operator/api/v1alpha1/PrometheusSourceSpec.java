package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A Prometheus server the autoscaler queries (HTTP API {@code /api/v1/query}). */
public class PrometheusSourceSpec {

  @Required
  @Pattern("^https?://.+")
  @JsonPropertyDescription(
      "Base URL of the Prometheus HTTP API, e.g. http://prometheus-operated.monitoring.svc:9090.")
  private String url;

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }
}
