package io.disagg.operator.api.v1alpha1;

/**
 * How a change of the pairing revision (image, model, KV-cache layout, ...; see docs/rollouts.md)
 * reaches the running cluster. Changes outside the pairing revision roll in place either way.
 */
public enum RolloutStrategy {
  /**
   * The new revision (its own workers, router and {@code cluster_name}) is started next to the
   * serving one, within the pools' {@code maxSurge}; the old revision shrinks only by what the new
   * one serves (Ready and registered) and retires once the new one serves alone. Needs spare GPUs
   * of at least one surge step; without them the old revision keeps serving and the status says
   * why.
   */
  RevisionSurge,
  /**
   * The old revision is retired first (router, then context workers drained, then generation
   * workers drained, then its objects deleted), then the new revision is created: no spare GPUs
   * needed, but no service in between. Only when asked for.
   */
  Recreate
}
