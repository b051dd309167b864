package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** Bounds of the instance ratio context : generation, kept by the autoscaler. */
@ValidationRule(
    value =
        "!has(self.minContextPerGeneration) || !has(self.maxContextPerGeneration) || self.minContextPerGeneration <= self.maxContextPerGeneration",
    message =
        "autoscaling.ratio.minContextPerGeneration must be less than or equal to maxContextPerGeneration")
public class ContextGenerationRatioSpec {

  @Min(value = 0, inclusive = false)
  @Max(1000)
  @JsonPropertyDescription(
      "Lowest context instances per generation instance, e.g. 0.25 = at least one context instance per four generation instances.")
  private Double minContextPerGeneration;

  @Min(value = 0, inclusive = false)
  @Max(1000)
  @JsonPropertyDescription(
      "Highest context instances per generation instance, e.g. 2 = at most two context instances per generation instance.")
  private Double maxContextPerGeneration;

  public ContextGenerationRatioSpec() {}

  public ContextGenerationRatioSpec(
      Double minContextPerGeneration, Double maxContextPerGeneration) {
    this.minContextPerGeneration = minContextPerGeneration;
    this.maxContextPerGeneration = maxContextPerGeneration;
  }

  public Double getMinContextPerGeneration() {
    return minContextPerGeneration;
  }

  public void setMinContextPerGeneration(Double minContextPerGeneration) {
    this.minContextPerGeneration = minContextPerGeneration;
  }

  public Double getMaxContextPerGeneration() {
    return maxContextPerGeneration;
  }

  public void setMaxContextPerGeneration(Double maxContextPerGeneration) {
    this.maxContextPerGeneration = maxContextPerGeneration;
  }
}
