package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * How fast one direction (up or down) may move, in the spirit of the HorizontalPodAutoscaler's
 * {@code behavior.scaleUp/scaleDown}. When both step limits are set the larger change is allowed
 * (HPA's default {@code selectPolicy: Max}); when neither is set, HPA's defaults apply.
 */
public class ScalingRules {

  @Min(0)
  @Max(3600)
  @JsonPropertyDescription(
      "Seconds of past recommendations considered: scaling down uses the highest recommendation of the window, scaling up the lowest. Unset: 0 for scaleUp (react at once), 300 for scaleDown (as HPA).")
  private Integer stabilizationWindowSeconds;

  @Min(1)
  @Max(10000)
  @JsonPropertyDescription(
      "At most this many instances added (scaleUp) or removed (scaleDown) per periodSeconds. Unset with maxPercentPerStep unset: scaleUp 4, scaleDown no instance limit (HPA's defaults).")
  private Integer maxInstancesPerStep;

  @Min(1)
  @Max(10000)
  @JsonPropertyDescription(
      "At most this percentage of the instances at the start of the period added (scaleUp) or removed (scaleDown, at most 100) per periodSeconds. Unset with maxInstancesPerStep unset: 100 (HPA's default).")
  private Integer maxPercentPerStep;

  @Default("15")
  @Min(1)
  @Max(1800)
  @JsonPropertyDescription("Length in seconds of the period the step limits apply to.")
  private int periodSeconds = 15;

  public Integer getStabilizationWindowSeconds() {
    return stabilizationWindowSeconds;
  }

  public void setStabilizationWindowSeconds(Integer stabilizationWindowSeconds) {
    this.stabilizationWindowSeconds = stabilizationWindowSeconds;
  }

  public Integer getMaxInstancesPerStep() {
    return maxInstancesPerStep;
  }

  public void setMaxInstancesPerStep(Integer maxInstancesPerStep) {
    this.maxInstancesPerStep = maxInstancesPerStep;
  }

  public Integer getMaxPercentPerStep() {
    return maxPercentPerStep;
  }

  public void setMaxPercentPerStep(Integer maxPercentPerStep) {
    this.maxPercentPerStep = maxPercentPerStep;
  }

  public int getPeriodSeconds() {
    return periodSeconds;
  }

  public void setPeriodSeconds(int periodSeconds) {
    this.periodSeconds = periodSeconds;
  }
}
