package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

/** How one pool moves to a new revision under {@link RolloutStrategy#RevisionSurge}. */
public class PoolRolloutSpec {

  /** CEL rule of {@link #maxSurge}: a count of 1-10000 or a percentage of 1%-100%. */
  static final String MAX_SURGE_RULE =
      "type(self) == int ? self >= 1 && self <= 10000 : self.matches('^([1-9][0-9]?|100)%$')";

  @ValidationRule(
      value = MAX_SURGE_RULE,
      message =
          "maxSurge must be a number of instances from 1 to 10000 or a percentage from 1% to 100% of the pool, such as 2 or \"25%\"")
  @JsonPropertyDescription(
      "Instances of this pool the new revision may run beyond the pool's size while the old revision still runs: a count (1-10000) or a percentage (1%-100%) of the pool's current size, rounded up. Never less than minimalInstances (a revision serves only with that many). Unset: 100% (the new revision starts at full size next to the old one).")
  private IntOrString maxSurge;

  public IntOrString getMaxSurge() {
    return maxSurge;
  }

  public void setMaxSurge(IntOrString maxSurge) {
    this.maxSurge = maxSurge;
  }
}
