package io.disagg.operator.status;

/**
 * The condition types of a DisaggCluster's status, in the order they are listed. {@link #type()} is
 * the {@code type} field's value.
 */
public enum ConditionType {
  /** True when the cluster serves: both pools and the router are ready. */
  READY("Ready"),
  /** True while the operator is moving the cluster towards its spec (rollout, scaling, drain). */
  PROGRESSING("Progressing"),
  /** True when something is wrong that needs a person: invalid spec, unschedulable pods, errors. */
  DEGRADED("Degraded"),
  /** Whether the operator's etcd watch of the workers' registrations is live, and what it sees. */
  DISCOVERY_AVAILABLE("DiscoveryAvailable"),
  /**
   * kstatus convention (read by Flux): True while the cluster does not yet match its spec or does
   * not serve yet, and is not {@link #STALLED}. Derived by {@link Conditions#withGitOpsSummary}.
   */
  RECONCILING("Reconciling"),
  /**
   * kstatus convention (read by Flux as Failed): True when the cluster does not serve and cannot
   * get there without a person: {@code Degraded} True and {@code Ready} False, for any reason but a
   * {@link Reason#RECONCILE_ERROR} the operator is still retrying.
   */
  STALLED("Stalled"),
  /**
   * Whether KV-cache transfers work: the generation pool's observed bandwidth is at its floor
   * ({@code spec.fabric.kvTransferCheck}; present while that check is on, Unknown until enough
   * transfers were seen), and no worker reports a poisoned transfer buffer (False {@code
   * TransferBufferPoisoned} while one does, check on or not; docs/self-healing.md).
   */
  KV_TRANSFER_HEALTHY("KVTransferHealthy");

  private final String type;

  ConditionType(String type) {
    this.type = type;
  }

  /** The condition's {@code type}. */
  public String type() {
    return type;
  }
}
