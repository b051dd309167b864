package io.disagg.operator.runtime;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Gives the Quarkus Operator SDK its {@link LeaderElectionConfiguration} (it looks the bean up at
 * start, in the profiles of {@code quarkus.operator-sdk.activate-leader-election-for-profiles}, by
 * default {@code prod}). Produces {@code null}, i.e. no leader election, when {@code
 * disagg.leader-election.enabled} is false. The identity in the Lease is {@code POD_NAME} (the
 * chart sets it from the downward API), else {@code HOSTNAME} (a pod's name too), else a random
 * one. See {@link LeaderElectionSettings} and {@link ShutdownLifecycle}.
 */
public class LeaderElectionProducer {
  private static final Logger LOG = Logger.getLogger(LeaderElectionProducer.class);

  @Produces
  @Singleton
  LeaderElectionSettings settings(
      @ConfigProperty(name = "disagg.leader-election.enabled", defaultValue = "false")
          boolean enabled,
      @ConfigProperty(
              name = "disagg.leader-election.lease-name",
              defaultValue = LeaderElectionSettings.DEFAULT_LEASE_NAME)
          String leaseName,
      @ConfigProperty(name = "disagg.leader-election.lease-namespace")
          Optional<String> leaseNamespace,
      @ConfigProperty(name = "pod.namespace") Optional<String> podNamespace,
      @ConfigProperty(name = "pod.name") Optional<String> podName,
      @ConfigProperty(name = "hostname") Optional<String> hostname,
      @ConfigProperty(name = "disagg.leader-election.lease-duration-seconds", defaultValue = "15")
          long leaseSeconds,
      @ConfigProperty(name = "disagg.leader-election.renew-deadline-seconds", defaultValue = "10")
          long renewSeconds,
      @ConfigProperty(name = "disagg.leader-election.retry-period-seconds", defaultValue = "2")
          long retrySeconds) {
    String identity =
        podName
            .or(() -> hostname)
            .filter(s -> !s.isBlank())
            .orElseGet(() -> "disagg-operator-" + UUID.randomUUID());
    LeaderElectionSettings settings =
        new LeaderElectionSettings(
            enabled,
            leaseName,
            leaseNamespace.or(() -> podNamespace),
            identity,
            Duration.ofSeconds(leaseSeconds),
            Duration.ofSeconds(renewSeconds),
            Duration.ofSeconds(retrySeconds));
    LOG.infof(
        "leader election %s",
        enabled
            ? "enabled: Lease "
                + settings.namespace().orElse("<client namespace>")
                + "/"
                + leaseName
                + " as "
                + identity
            : "disabled");
    return settings;
  }

  @Produces
  @Dependent
  @Unremovable
  LeaderElectionConfiguration leaderElection(
      LeaderElectionSettings settings, ShutdownLifecycle shutdown) {
    return settings.toConfiguration(shutdown::leaseLost).orElse(null);
  }
}
