package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Scale-up and scale-down rules of a pool, like the HorizontalPodAutoscaler's {@code behavior}. */
public class AutoscalingBehavior {

  @JsonPropertyDescription(
      "Adding instances. Defaults: no stabilization window, at most 4 instances or 100% (whichever is more) per 15 s.")
  private ScalingRules scaleUp = new ScalingRules();

  @JsonPropertyDescription(
      "Removing instances (each removal is drained first). Defaults: 300 s stabilization window, at most 100% per 15 s.")
  private ScalingRules scaleDown = new ScalingRules();

  public ScalingRules getScaleUp() {
    return scaleUp;
  }

  public void setScaleUp(ScalingRules scaleUp) {
    this.scaleUp = scaleUp;
  }

  public ScalingRules getScaleDown() {
    return scaleDown;
  }

  public void setScaleDown(ScalingRules scaleDown) {
    this.scaleDown = scaleDown;
  }
}
