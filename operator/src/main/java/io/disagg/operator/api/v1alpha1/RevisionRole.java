package io.disagg.operator.api.v1alpha1;

/** What a revision of a DisaggCluster is doing ({@code status.revisions[].role}). */
public enum RevisionRole {
  /** The revision traffic is meant for; autoscaling and drains act on it. */
  Serving,
  /** The desired revision while it is started and grows; not yet serving alone. */
  RollingOut,
  /** An older revision on its way out: shrinking, its router leaving, then drained and deleted. */
  Retiring
}
