package io.disagg.operator.runtime;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Leader election of the operator's replicas: only the holder of a {@code coordination.k8s.io}
 * Lease reconciles, so two or more replicas (or an old and a new pod during a rollout) never write
 * the same children at once. The others wait, with their informers stopped. A replica that shuts
 * down releases the Lease ({@link LeaseRelease}), so a standby takes over within one {@code
 * retryPeriod} (plus Fabric8's jitter of up to 1.2 x); a replica that dies without releasing it is
 * replaced within about {@code leaseDuration}.
 *
 * <p>Read from configuration by {@link LeaderElectionProducer}:
 *
 * <ul>
 *   <li>{@code disagg.leader-election.enabled} (env {@code DISAGG_LEADER_ELECTION_ENABLED}),
 *       default {@code false} for a process started by hand; the Helm chart turns it on.
 *   <li>{@code disagg.leader-election.lease-name} (default {@code disagg-operator-leader}).
 *   <li>{@code disagg.leader-election.lease-namespace}: default {@code POD_NAMESPACE}, else the
 *       client's namespace (in a pod: the service account's).
 *   <li>{@code disagg.leader-election.lease-duration-seconds} (default 15), {@code
 *       renew-deadline-seconds} (default 10), {@code retry-period-seconds} (default 2): the
 *       client-go defaults, which Fabric8's elector follows. Renew deadline must be below the lease
 *       duration and above the retry period.
 * </ul>
 *
 * @param enabled whether to elect a leader at all
 * @param leaseName name of the Lease object
 * @param leaseNamespace namespace of the Lease; empty to let the client infer it
 * @param identity this replica's identity in the Lease (the pod name in a cluster); never blank
 *     when enabled, because the replica must recognise its own Lease to release it on shutdown
 * @param leaseDuration how long a lease is valid without renewal
 * @param renewDeadline how long the leader keeps trying to renew before it gives up
 * @param retryPeriod how often candidates try to acquire, and the leader renews
 */
public record LeaderElectionSettings(
    boolean enabled,
    String leaseName,
    Optional<String> leaseNamespace,
    String identity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod) {

  /** Default Lease name, also the Helm chart's. */
  public static final String DEFAULT_LEASE_NAME = "disagg-operator-leader";

  /**
   * @throws IllegalArgumentException when enabled with a blank lease name or identity, or with
   *     durations that violate {@code retryPeriod < renewDeadline < leaseDuration}
   */
  public LeaderElectionSettings {
    Objects.requireNonNull(leaseNamespace, "leaseNamespace");
    if (enabled) {
      if (leaseName == null || leaseName.isBlank()) {
        throw new IllegalArgumentException("disagg.leader-election.lease-name must not be blank");
      }
      if (identity == null || identity.isBlank()) {
        throw new IllegalArgumentException(
            "leader election needs an identity (POD_NAME or HOSTNAME)");
      }
      if (!(retryPeriod.compareTo(renewDeadline) < 0
          && renewDeadline.compareTo(leaseDuration) < 0)) {
        throw new IllegalArgumentException(
            "leader election needs retry-period ("
                + retryPeriod.toSeconds()
                + "s) < renew-deadline ("
                + renewDeadline.toSeconds()
                + "s) < lease-duration ("
                + leaseDuration.toSeconds()
                + "s)");
      }
    }
  }

  /** The Lease namespace, if set and not blank. */
  public Optional<String> namespace() {
    return leaseNamespace.filter(s -> !s.isBlank());
  }

  /**
   * The JOSDK configuration, or empty when leader election is disabled.
   *
   * <p>JOSDK's own reaction to a lost Lease is turned off ({@code exitOnStopLeading = false}):
   * before 5.3.5 its {@code LeaderElectionManager.stopLeading()} calls {@code System.exit(1)} also
   * when {@code Operator.stop()} cancels the election from the JVM's shutdown hook, where it blocks
   * forever on the shutdown lock the hook holds (operator-framework/java-operator-sdk#1614, #3376,
   * fixed by PR #3383 in 5.3.5); and even the fixed version calls it from inside Fabric8's
   * synchronized {@code LeaderElector.tryAcquireOrRenew()}, so the shutdown it starts blocks on
   * that monitor when {@code Operator.stop()} cancels the elector. {@code onStopLeading} is called
   * instead, from that same thread, and must return at once (see {@link
   * ShutdownLifecycle#leaseLost}).
   *
   * @param onStopLeading called whenever this replica stops leading: the Lease was lost, or the
   *     election was cancelled by {@code Operator.stop()}
   */
  public Optional<LeaderElectionConfiguration> toConfiguration(Runnable onStopLeading) {
    if (!enabled) {
      return Optional.empty();
    }
    Objects.requireNonNull(onStopLeading, "onStopLeading");
    LeaderCallbacks callbacks = new LeaderCallbacks(() -> {}, onStopLeading, leader -> {});
    return Optional.of(
        new LeaderElectionConfiguration(
            leaseName,
            namespace().orElse(null),
            leaseDuration,
            renewDeadline,
            retryPeriod,
            identity,
            callbacks,
            false));
  }
}
