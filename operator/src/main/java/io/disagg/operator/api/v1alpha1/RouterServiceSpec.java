package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import java.util.LinkedHashMap;
import java.util.Map;

/** The Service in front of the router. */
public class RouterServiceSpec {

  @Default("ClusterIP")
  @JsonPropertyDescription("Service type.")
  private ServiceType type = ServiceType.ClusterIP;

  @JsonPropertyDescription("Annotations of the Service, e.g. for a cloud load balancer.")
  private Map<String, String> annotations = new LinkedHashMap<>();

  public ServiceType getType() {
    return type;
  }

  public void setType(ServiceType type) {
    this.type = type;
  }

  public Map<String, String> getAnnotations() {
    return annotations;
  }

  public void setAnnotations(Map<String, String> annotations) {
    this.annotations = annotations;
  }

  /** Kubernetes Service types the router may use. */
  public enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer
  }
}
