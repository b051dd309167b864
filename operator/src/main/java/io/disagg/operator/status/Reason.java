package io.disagg.operator.status;

/**
 * Every {@code reason} the operator writes into a condition (and uses for the Event it records when
 * the condition changes). {@link #reason()} is the CamelCase value.
 */
public enum Reason {
  // Ready (False): the first thing that blocks readiness, in the order StatusCalculator checks
  // them.
  READY("Ready"),
  SPEC_INVALID("SpecInvalid"),
  DISCOVERY_UNAVAILABLE("DiscoveryUnavailable"),
  CONTEXT_NOT_READY("ContextNotReady"),
  CONTEXT_NOT_REGISTERED("ContextNotRegistered"),
  GENERATION_NOT_READY("GenerationNotReady"),
  GENERATION_NOT_REGISTERED("GenerationNotRegistered"),
  ROUTER_NOT_READY("RouterNotReady"),
  // Progressing
  COMPLETE("Complete"),
  RECONCILING("Reconciling"),
  DRAINING("Draining"),
  /**
   * More than one pairing revision is present: a new one is started or an old one retires ({@code
   * RolloutPlan.progressing()} is the message).
   */
  ROLLING_OUT("RollingOut"),
  // Degraded
  AS_EXPECTED("AsExpected"),
  UNSCHEDULABLE("Unschedulable"),
  // Degraded: a worker pod's fabric pre-flight init container failed (FabricPreflight)
  EFA_DEVICES_MISSING("EfaDevicesMissing"),
  EFA_PROVIDER_UNAVAILABLE("EfaProviderUnavailable"),
  HUGEPAGES_MISSING("HugepagesMissing"),
  NIXL_PLUGIN_MISSING("NixlPluginMissing"),
  /** The pre-flight failed without one of the reasons above (its own crash, a truncated log). */
  FABRIC_PREFLIGHT_FAILED("FabricPreflightFailed"),
  CRASH_LOOP_BACK_OFF("CrashLoopBackOff"),
  /** The model cache's download Job failed (ModelCacheState); workers keep waiting for it. */
  MODEL_DOWNLOAD_FAILED("ModelDownloadFailed"),
  RECONCILE_ERROR("ReconcileError"),
  // DiscoveryAvailable
  WATCHING("Watching"),
  /** The watch is not established yet and nothing failed: not a problem, no Warning. */
  WATCH_STARTING("WatchStarting"),
  ETCD_UNREACHABLE("EtcdUnreachable"),
  UNMATCHED_REGISTRATIONS("UnmatchedRegistrations"),
  MALFORMED_REGISTRATIONS("MalformedRegistrations"),
  DISCOVERY_CONFIG_INVALID("DiscoveryConfigInvalid"),
  /**
   * Another DisaggCluster uses the same {@code cluster_name} on the same etcd: foreign
   * registrations are not removed (each would remove the other's workers).
   */
  CLUSTER_NAME_SHARED("ClusterNameShared"),
  // Stalled and Reconciling (the kstatus summary) when they are False
  NOT_STALLED("NotStalled"),
  STALLED("Stalled"),
  RECONCILED("Reconciled"),
  // KVTransferHealthy (AS_EXPECTED when True)
  /** A worker logged that its KV-cache transfer buffer is poisoned and it must restart. */
  TRANSFER_BUFFER_POISONED("TransferBufferPoisoned"),
  /** The observed KV-cache transfer bandwidth is below the floor. */
  SLOW_TRANSFER("SlowTransfer"),
  /** Too few KV-cache transfers in the window to judge (status Unknown). */
  NO_SAMPLES("NoSamples");

  private final String reason;

  Reason(String reason) {
    this.reason = reason;
  }

  /** The condition's {@code reason}. */
  public String reason() {
    return reason;
  }
}
