package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The load observed for one autoscaling metric at the last evaluation. */
public class MetricLoadStatus {

  @JsonPropertyDescription("The metric.")
  private AutoscalingMetricType type;

  @JsonPropertyDescription(
      "Per-instance average over the instances with fresh samples (requests per instance, or a fraction 0..1 for KvCacheUtilization); unset when no fresh sample was had.")
  private Double average;

  @JsonPropertyDescription("Per-instance target (same unit as average).")
  private Double target;

  @JsonPropertyDescription("Instances the average covers (fresh samples).")
  private Integer instances;

  @JsonPropertyDescription(
      "Instances this metric alone asks for; unset when it gave no recommendation.")
  private Integer desiredReplicas;

  public MetricLoadStatus() {}

  public MetricLoadStatus(
      AutoscalingMetricType type,
      Double average,
      Double target,
      Integer instances,
      Integer desiredReplicas) {
    this.type = type;
    this.average = average;
    this.target = target;
    this.instances = instances;
    this.desiredReplicas = desiredReplicas;
  }

  public AutoscalingMetricType getType() {
    return type;
  }

  public void setType(AutoscalingMetricType type) {
    this.type = type;
  }

  public Double getAverage() {
    return average;
  }

  public void setAverage(Double average) {
    this.average = average;
  }

  public Double getTarget() {
    return target;
  }

  public void setTarget(Double target) {
    this.target = target;
  }

  public Integer getInstances() {
    return instances;
  }

  public void setInstances(Integer instances) {
    this.instances = instances;
  }

  public Integer getDesiredReplicas() {
    return desiredReplicas;
  }

  public void setDesiredReplicas(Integer desiredReplicas) {
    this.desiredReplicas = desiredReplicas;
  }
}
