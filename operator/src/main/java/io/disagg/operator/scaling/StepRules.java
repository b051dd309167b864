package io.disagg.operator.scaling;

import java.time.Duration;

/**
 * Resolved rules of one scaling direction.
 *
 * @param stabilizationWindow how far back recommendations count (scale-down: the highest in the
 *     window wins; scale-up: the lowest); zero = only the current one
 * @param maxInstancesPerStep most instances added or removed per {@code period}; null = no such
 *     limit
 * @param maxPercentPerStep most percent of the instances at the start of the period added or
 *     removed per {@code period}; null = no such limit. With both set, the larger change is
 *     allowed.
 * @param period the period of the step limits
 */
public record StepRules(
    Duration stabilizationWindow,
    Integer maxInstancesPerStep,
    Integer maxPercentPerStep,
    Duration period) {

  /**
   * HPA's default scale-up: no window, at most 4 instances or 100% (whichever is more) per 15 s.
   */
  public static final StepRules DEFAULT_UP =
      new StepRules(Duration.ZERO, 4, 100, Duration.ofSeconds(15));

  /** HPA's default scale-down: 300 s window, at most 100% per 15 s. */
  public static final StepRules DEFAULT_DOWN =
      new StepRules(Duration.ofSeconds(300), null, 100, Duration.ofSeconds(15));

  /** Whether any step limit applies. */
  public boolean limited() {
    return maxInstancesPerStep != null || maxPercentPerStep != null;
  }

  /** E.g. {@code 4 instances or 100% per 15s}. */
  String describe() {
    StringBuilder b = new StringBuilder();
    if (maxInstancesPerStep != null) {
      b.append(maxInstancesPerStep).append(maxInstancesPerStep == 1 ? " instance" : " instances");
    }
    if (maxPercentPerStep != null) {
      b.append(b.length() > 0 ? " or " : "").append(maxPercentPerStep).append('%');
    }
    return b.append(" per ").append(period.toSeconds()).append('s').toString();
  }
}
