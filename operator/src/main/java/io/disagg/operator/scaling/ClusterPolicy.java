package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.ClusterAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.ContextGenerationRatioSpec;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import java.util.ArrayList;
import java.util.List;

/**
 * Constraints coupling both pools.
 *
 * @param gpuBudget most GPUs both pools may use together (instances * GPUs per instance, summed);
 *     null = no budget
 * @param minContextPerGeneration lowest context:generation instance ratio; null = none
 * @param maxContextPerGeneration highest context:generation instance ratio; null = none
 */
public record ClusterPolicy(
    Integer gpuBudget, Double minContextPerGeneration, Double maxContextPerGeneration) {

  /** No budget, no ratio bounds. */
  public static final ClusterPolicy NONE = new ClusterPolicy(null, null, null);

  public ClusterPolicy {
    if (gpuBudget != null && gpuBudget < 0) {
      throw new IllegalArgumentException("gpuBudget must not be negative");
    }
    if (minContextPerGeneration != null && !(minContextPerGeneration > 0)) {
      throw new IllegalArgumentException("minContextPerGeneration must be positive");
    }
    if (maxContextPerGeneration != null && !(maxContextPerGeneration > 0)) {
      throw new IllegalArgumentException("maxContextPerGeneration must be positive");
    }
  }

  /** From {@code spec.autoscaling}; invalid values (see {@link #problems}) are ignored. */
  public static ClusterPolicy of(DisaggClusterSpec spec) {
    ClusterAutoscalingSpec a = spec.getAutoscaling();
    if (a == null) {
      return NONE;
    }
    Integer budget = a.getGpuBudget() != null && a.getGpuBudget() > 0 ? a.getGpuBudget() : null;
    ContextGenerationRatioSpec r = a.getRatio();
    Double min =
        r != null && r.getMinContextPerGeneration() != null && r.getMinContextPerGeneration() > 0
            ? r.getMinContextPerGeneration()
            : null;
    Double max =
        r != null && r.getMaxContextPerGeneration() != null && r.getMaxContextPerGeneration() > 0
            ? r.getMaxContextPerGeneration()
            : null;
    if (min != null && max != null && min > max) {
      min = null;
      max = null;
    }
    return new ClusterPolicy(budget, min, max);
  }

  /** Whether a ratio bound is set. */
  public boolean hasRatio() {
    return minContextPerGeneration != null || maxContextPerGeneration != null;
  }

  /** Problems of {@code spec.autoscaling}, with the field named. */
  public static List<SpecProblem> problems(DisaggClusterSpec spec) {
    List<SpecProblem> out = new ArrayList<>();
    ClusterAutoscalingSpec a = spec.getAutoscaling();
    if (a == null) {
      return out;
    }
    if (a.getGpuBudget() != null) {
      if (a.getGpuBudget() < 1) {
        out.add(SpecProblem.error("spec.autoscaling.gpuBudget", "must be at least 1"));
      } else if (spec.getContext() != null && spec.getGeneration() != null) {
        long floor = 0;
        for (Pool p : Pool.values()) {
          var ps = spec.pool(p);
          floor += (long) ps.getMinimalInstances() * ps.gpusPerInstance();
        }
        if (floor > a.getGpuBudget()) {
          out.add(
              SpecProblem.error(
                  "spec.autoscaling.gpuBudget",
                  "("
                      + a.getGpuBudget()
                      + ") is below the "
                      + floor
                      + " GPUs that minimalInstances of both pools need (minimalInstances * tensorParallelSize * pipelineParallelSize)"));
        }
      }
    }
    ContextGenerationRatioSpec r = a.getRatio();
    if (r != null) {
      if (r.getMinContextPerGeneration() != null && !(r.getMinContextPerGeneration() > 0)) {
        out.add(
            SpecProblem.error(
                "spec.autoscaling.ratio.minContextPerGeneration", "must be greater than 0"));
      }
      if (r.getMaxContextPerGeneration() != null && !(r.getMaxContextPerGeneration() > 0)) {
        out.add(
            SpecProblem.error(
                "spec.autoscaling.ratio.maxContextPerGeneration", "must be greater than 0"));
      }
      if (r.getMinContextPerGeneration() != null
          && r.getMaxContextPerGeneration() != null
          && r.getMinContextPerGeneration() > r.getMaxContextPerGeneration()) {
        out.add(
            SpecProblem.error(
                "spec.autoscaling.ratio.minContextPerGeneration",
                "("
                    + r.getMinContextPerGeneration()
                    + ") must be less than or equal to maxContextPerGeneration ("
                    + r.getMaxContextPerGeneration()
                    + ")"));
      }
    }
    return out;
  }
}
