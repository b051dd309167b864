package io.disagg.operator.runtime;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * How the operator process stops: on SIGTERM (the kubelet's, on a rollout, a node drain or a
 * scale-in) it stops reconciling, gives in-flight reconciles up to {@code
 * quarkus.operator-sdk.termination-timeout-seconds} to finish, releases the leader Lease so a
 * standby leads at once, and exits with code 0.
 *
 * <p>The steps, in the order Quarkus calls the {@link ShutdownEvent} observers:
 *
 * <ol>
 *   <li>{@link #beginning} (before the Quarkus Operator SDK's own observer, priority 2500) marks
 *       the shutdown, so the leader election's stop is no longer taken for a lost Lease ({@link
 *       #leaseLost}).
 *   <li>The Quarkus Operator SDK's {@code AppEventListener.onShutdown} calls {@code
 *       Operator.stop()}: informers and event processing stop, the reconcile executors are shut
 *       down and awaited, then the leader election is cancelled.
 *   <li>{@link #releaseLease} (after it) releases the Lease if this replica still holds it. Only
 *       now, when this process reconciles nothing any more, may another replica lead. A drain
 *       interrupted on the way is recorded in the status and resumed by the next leader.
 * </ol>
 *
 * <p>SIGTERM is handled by asking Quarkus for an orderly exit with code 0 ({@link
 * Quarkus#asyncExit}); the JVM's own handling would run the same shutdown from a shutdown hook but
 * exit with 143.
 */
@Singleton
public class ShutdownLifecycle {
  private static final Logger LOG = Logger.getLogger(ShutdownLifecycle.class);

  private final AtomicBoolean stopping = new AtomicBoolean();
  private final LeaderElectionSettings election;
  private final KubernetesClient client;

  ShutdownLifecycle(LeaderElectionSettings election, KubernetesClient client) {
    this.election = election;
    this.client = client;
  }

  /**
   * Called when this replica stops leading. While the operator runs, that means another replica
   * took the Lease: this one must not reconcile any more, so it exits with code 1 and its pod
   * restarts as a candidate. The exit is asked of Quarkus asynchronously: this runs on Fabric8's
   * elector thread inside its synchronized renewal, and the shutdown cancels that elector. During a
   * shutdown (the stop cancelled the election) it does nothing.
   */
  void leaseLost() {
    if (stopping.get()) {
      return;
    }
    LOG.errorf(
        "lost the leader Lease %s to another replica: exiting so that two replicas never reconcile at once",
        election.leaseName());
    Quarkus.asyncExit(1);
  }

  void onStart(@Observes StartupEvent event) {
    try {
      Signal.handle(
          new Signal("TERM"),
          signal -> {
            LOG.info("SIGTERM: stopping the operator");
            Quarkus.asyncExit(0);
          });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.warnf(
          "SIGTERM handler not installed (%s); the JVM's default applies (exit code 143)",
          e.getMessage());
    }
  }

  void beginning(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
    stopping.set(true);
    LOG.info("operator shutting down: reconciles stop, then the leader Lease is released");
  }

  void releaseLease(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent event) {
    if (!election.enabled()) {
      return;
    }
    String namespace =
        election.namespace().orElseGet(() -> client.getConfiguration().getNamespace());
    try {
      LeaseRelease.Outcome outcome =
          LeaseRelease.releaseIfHeld(
              client, namespace, election.leaseName(), election.identity(), Clock.systemUTC());
      LOG.infof(
          "leader Lease %s/%s: %s",
          namespace,
          election.leaseName(),
          switch (outcome) {
            case RELEASED -> "released; a standby replica leads at its next attempt";
            case NOT_HELD -> "not held by " + election.identity() + ", left alone";
            case CONFLICT -> "changed by another replica meanwhile, left alone";
          });
    } catch (RuntimeException e) {
      LOG.warnf(
          "could not release the leader Lease %s/%s (a standby leads when it expires, within %ss): %s",
          namespace, election.leaseName(), election.leaseDuration().toSeconds(), e.getMessage());
    }
  }
}
