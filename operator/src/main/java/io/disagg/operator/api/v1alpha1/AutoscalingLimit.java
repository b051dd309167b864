package io.disagg.operator.api.v1alpha1;

/** What held an autoscaling decision below (or above) what the load asked for. */
public enum AutoscalingLimit {
  /** Raised to {@code minimalInstances}. */
  MinimalInstances,
  /** Capped at {@code maxInstances}. */
  MaxInstances,
  /**
   * Held by a stabilization window ({@code behavior.scaleUp/scaleDown.stabilizationWindowSeconds}).
   */
  Stabilization,
  /**
   * Cut by a step limit ({@code maxInstancesPerStep}, {@code maxPercentPerStep} per {@code
   * periodSeconds}).
   */
  StepLimit,
  /** Not grown while pods of the pool are Pending as Unschedulable. */
  Unschedulable,
  /** Cut to fit {@code spec.autoscaling.gpuBudget}. */
  GpuBudget,
  /** Raised or lowered to keep {@code spec.autoscaling.ratio}. */
  Ratio,
  /** Not lowered because metrics were missing or stale. */
  MissingMetrics
}
