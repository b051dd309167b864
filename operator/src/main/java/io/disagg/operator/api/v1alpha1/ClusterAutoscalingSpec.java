package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Constraints that couple the autoscaling of the two pools. */
public class ClusterAutoscalingSpec {

  @Min(1)
  @Max(1000000)
  @JsonPropertyDescription(
      "Most GPUs both pools may use together (instances * tensorParallelSize * pipelineParallelSize, summed over both pools). When both pools want more, the budget is shared so that each gets the same fraction of what it asks for. Unset: no budget.")
  private Integer gpuBudget;

  @JsonPropertyDescription("Bounds of the context : generation instance ratio. Unset: no bounds.")
  private ContextGenerationRatioSpec ratio;

  public Integer getGpuBudget() {
    return gpuBudget;
  }

  public void setGpuBudget(Integer gpuBudget) {
    this.gpuBudget = gpuBudget;
  }

  public ContextGenerationRatioSpec getRatio() {
    return ratio;
  }

  public void setRatio(ContextGenerationRatioSpec ratio) {
    this.ratio = ratio;
  }
}
