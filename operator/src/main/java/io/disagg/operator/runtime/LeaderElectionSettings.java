package io.disagg.operator.runtime;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import java.time.Duration;
import java.util.Optional;

/**
 * Leader election of the operator's replicas: only the holder of a {@code coordination.k8s.io}
 * Lease reconciles, so two or more replicas (or an old and a new pod during a rollout) never
 * write the same children at once. The others wait, with their informers stopped, and take over
 * within about {@code leaseDuration} after the leader stops renewing.
 *
 * <p>Read from configuration by {@link LeaderElectionProducer}:
 * <ul>
 *   <li>{@code disagg.leader-election.enabled} (env {@code DISAGG_LEADER_ELECTION_ENABLED}), default
 *       {@code false} for a process started by hand; the Helm chart turns it on.
 *   <li>{@code disagg.leader-election.lease-name} (default {@code disagg-operator-leader}).
 *   <li>{@code disagg.leader-election.lease-namespace}: default {@code POD_NAMESPACE}, else the
 *       client's namespace (in a pod: the service account's).
 *   <li>{@code disagg.leader-election.lease-duration-seconds} (default 15),
 *       {@code renew-deadline-seconds} (default 10), {@code retry-period-seconds} (default 2): the
 *       client-go defaults, which Fabric8's elector follows. Renew deadline must be below the
 *       lease duration and above the retry period.
 * </ul>
 *
 * @param enabled whether to elect a leader at all
 * @param leaseName name of the Lease object
 * @param leaseNamespace namespace of the Lease; empty to let the client infer it
 * @param identity this replica's identity in the Lease; empty for JOSDK's default (the
 *     {@code HOSTNAME}, i.e. the pod name, else a random UUID)
 * @param leaseDuration how long a lease is valid without renewal
 * @param renewDeadline how long the leader keeps trying to renew before it gives up
 * @param retryPeriod how often candidates try to acquire, and the leader renews
 * @param exitOnStopLeading whether the process exits when it loses the lease (true in
 *     production: a replica that lost the lease must not keep reconciling; the pod restarts and
 *     becomes a candidate again)
 */
public record LeaderElectionSettings(boolean enabled, String leaseName, Optional<String> leaseNamespace,
    Optional<String> identity, Duration leaseDuration, Duration renewDeadline, Duration retryPeriod,
    boolean exitOnStopLeading) {

  /** Default Lease name, also the Helm chart's. */
  public static final String DEFAULT_LEASE_NAME = "disagg-operator-leader";

  /**
   * @throws IllegalArgumentException when enabled with a blank lease name or with durations that
   *     violate {@code retryPeriod < renewDeadline < leaseDuration}
   */
  public LeaderElectionSettings {
    if (enabled) {
      if (leaseName == null || leaseName.isBlank()) {
        throw new IllegalArgumentException("disagg.leader-election.lease-name must not be blank");
      }
      if (!(retryPeriod.compareTo(renewDeadline) < 0 && renewDeadline.compareTo(leaseDuration) < 0)) {
        throw new IllegalArgumentException("leader election needs retry-period (" + retryPeriod.toSeconds()
            + "s) < renew-deadline (" + renewDeadline.toSeconds() + "s) < lease-duration ("
            + leaseDuration.toSeconds() + "s)");
      }
    }
  }

  /** The JOSDK configuration, or empty when leader election is disabled. */
  public Optional<LeaderElectionConfiguration> toConfiguration() {
    if (!enabled) {
      return Optional.empty();
    }
    LeaderElectionConfigurationBuilder b = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(leaseName)
        .withLeaseDuration(leaseDuration)
        .withRenewDeadline(renewDeadline)
        .withRetryPeriod(retryPeriod)
        .withExitOnStopLeading(exitOnStopLeading);
    leaseNamespace.filter(s -> !s.isBlank()).ifPresent(b::withLeaseNamespace);
    identity.filter(s -> !s.isBlank()).ifPresent(b::withIdentity);
    return Optional.of(b.build());
  }
}
