package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/**
 * The autoscaler's view of one pool: what it observed, what it decided and why, plus the little
 * history it needs (recommendations for the stabilization windows, recent changes for the step
 * limits), kept here so that an operator restart does not lose it.
 */
public class PoolAutoscalingStatus {

  @JsonPropertyDescription("Instances the autoscaler decided at the last evaluation.")
  private Integer desiredReplicas;

  @JsonPropertyDescription(
      "When the autoscaler last evaluated the pool (RFC 3339, whole seconds). Written with the status writes that happen anyway (at once after a change, else at most once a minute); a restarted operator evaluates next one evaluationIntervalSeconds after it instead of at once.")
  private String lastEvaluationTime;

  @JsonPropertyDescription(
      "Per metric: the per-instance average observed, its target and the instances it asks for.")
  private List<MetricLoadStatus> observedLoad = new ArrayList<>();

  @JsonPropertyDescription(
      "What kept the decision from following the load: MinimalInstances, MaxInstances, Stabilization, StepLimit, Unschedulable, GpuBudget, Ratio, MissingMetrics. Empty: not limited.")
  private List<AutoscalingLimit> limitedBy = new ArrayList<>();

  @JsonPropertyDescription("The last evaluation, with its numbers.")
  private String message;

  @JsonPropertyDescription(
      "Set while pods of the pool are Pending as Unschedulable: how many and the scheduler's message. The pool is not grown meanwhile.")
  private String unschedulable;

  @JsonPropertyDescription("When the autoscaler last changed the pool's target (RFC 3339).")
  private String lastScaleTime;

  @JsonPropertyDescription("Why it did.")
  private String lastScaleReason;

  @JsonPropertyDescription(
      "Start of the recommendation history (RFC 3339): no scale-down before a full scale-down window of history exists.")
  private String recommendationsSince;

  @JsonPropertyDescription(
      "Recent recommendations still relevant to the stabilization windows (dominated ones are dropped).")
  private List<ReplicaRecommendation> recommendations = new ArrayList<>();

  @JsonPropertyDescription("Target changes within the step-limit periods.")
  private List<ScaleEvent> scaleEvents = new ArrayList<>();

  public Integer getDesiredReplicas() {
    return desiredReplicas;
  }

  public void setDesiredReplicas(Integer desiredReplicas) {
    this.desiredReplicas = desiredReplicas;
  }

  public String getLastEvaluationTime() {
    return lastEvaluationTime;
  }

  public void setLastEvaluationTime(String lastEvaluationTime) {
    this.lastEvaluationTime = lastEvaluationTime;
  }

  public List<MetricLoadStatus> getObservedLoad() {
    return observedLoad;
  }

  public void setObservedLoad(List<MetricLoadStatus> observedLoad) {
    this.observedLoad = observedLoad;
  }

  public List<AutoscalingLimit> getLimitedBy() {
    return limitedBy;
  }

  public void setLimitedBy(List<AutoscalingLimit> limitedBy) {
    this.limitedBy = limitedBy;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getUnschedulable() {
    return unschedulable;
  }

  public void setUnschedulable(String unschedulable) {
    this.unschedulable = unschedulable;
  }

  public String getLastScaleTime() {
    return lastScaleTime;
  }

  public void setLastScaleTime(String lastScaleTime) {
    this.lastScaleTime = lastScaleTime;
  }

  public String getLastScaleReason() {
    return lastScaleReason;
  }

  public void setLastScaleReason(String lastScaleReason) {
    this.lastScaleReason = lastScaleReason;
  }

  public String getRecommendationsSince() {
    return recommendationsSince;
  }

  public void setRecommendationsSince(String recommendationsSince) {
    this.recommendationsSince = recommendationsSince;
  }

  public List<ReplicaRecommendation> getRecommendations() {
    return recommendations;
  }

  public void setRecommendations(List<ReplicaRecommendation> recommendations) {
    this.recommendations = recommendations;
  }

  public List<ScaleEvent> getScaleEvents() {
    return scaleEvents;
  }

  public void setScaleEvents(List<ScaleEvent> scaleEvents) {
    this.scaleEvents = scaleEvents;
  }
}
