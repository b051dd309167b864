package io.disagg.operator.runtime;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Objects;

/**
 * Gives up a leader-election Lease this replica holds, so that a standby leads at its next attempt
 * (within one retry period) instead of waiting for the Lease to expire.
 *
 * <p>The released Lease is what client-go's {@code LeaderElector.release()} ({@code
 * k8s.io/client-go/tools/leaderelection/leaderelection.go}) and Fabric8's {@code
 * LeaderElector.release(...)} write when {@code releaseOnCancel} is set: no holder, a lease
 * duration of one second, renew and acquire time now, the transition count kept. JOSDK creates its
 * elector with {@code releaseOnCancel = false} (so that it always hears {@code onStopLeading}), so
 * nobody else releases it. The update carries the Lease's {@code resourceVersion}: if another
 * replica took the Lease meanwhile, the API server refuses it (409) and nothing is changed.
 */
final class LeaseRelease {

  /** Outcome of {@link #releaseIfHeld}. */
  enum Outcome {
    /** The Lease was held by this identity and is now free. */
    RELEASED,
    /** The Lease does not exist or is held by someone else: left alone. */
    NOT_HELD,
    /** Another writer changed the Lease between the read and the update: left alone. */
    CONFLICT
  }

  private LeaseRelease() {}

  /**
   * Releases {@code namespace/name} if {@code identity} holds it.
   *
   * @throws KubernetesClientException for API errors other than a conflict
   */
  static Outcome releaseIfHeld(
      KubernetesClient client, String namespace, String name, String identity, Clock clock) {
    Objects.requireNonNull(identity, "identity");
    var resource = client.leases().inNamespace(namespace).withName(name);
    Lease current = resource.get();
    if (current == null
        || current.getSpec() == null
        || !identity.equals(current.getSpec().getHolderIdentity())) {
      return Outcome.NOT_HELD;
    }
    ZonedDateTime now = ZonedDateTime.now(clock);
    Lease released =
        new LeaseBuilder(current)
            .editSpec()
            .withHolderIdentity(null)
            .withLeaseDurationSeconds(1)
            .withAcquireTime(now)
            .withRenewTime(now)
            .endSpec()
            .build();
    try {
      client.leases().inNamespace(namespace).resource(released).update();
      return Outcome.RELEASED;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return Outcome.CONFLICT;
      }
      throw e;
    }
  }
}
