package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.disagg.operator.core.Pool;

/**
 * How a change of the pairing revision is rolled out ({@code spec.rollout}); see docs/rollouts.md.
 * Every field is optional; {@code EffectiveSpec} applies the defaults.
 */
public class RolloutSpec {

  @JsonPropertyDescription(
      "RevisionSurge: start the new revision next to the old one and move traffic once it serves (needs spare GPUs of one surge step). Recreate: retire the old revision first, then start the new one (no spare GPUs, no service in between). Unset: RevisionSurge.")
  private RolloutStrategy strategy;

  @JsonPropertyDescription("The context pool's surge.")
  private PoolRolloutSpec context;

  @JsonPropertyDescription("The generation pool's surge.")
  private PoolRolloutSpec generation;

  public RolloutStrategy getStrategy() {
    return strategy;
  }

  public void setStrategy(RolloutStrategy strategy) {
    this.strategy = strategy;
  }

  public PoolRolloutSpec getContext() {
    return context;
  }

  public void setContext(PoolRolloutSpec context) {
    this.context = context;
  }

  public PoolRolloutSpec getGeneration() {
    return generation;
  }

  public void setGeneration(PoolRolloutSpec generation) {
    this.generation = generation;
  }

  /** The rollout of one pool: {@link #getContext()} or {@link #getGeneration()}. */
  public PoolRolloutSpec pool(Pool pool) {
    return pool == Pool.CONTEXT ? getContext() : getGeneration();
  }

  /** Sets the rollout of one pool. */
  public void setPool(Pool pool, PoolRolloutSpec spec) {
    if (pool == Pool.CONTEXT) {
      setContext(spec);
    } else {
      setGeneration(spec);
    }
  }
}
