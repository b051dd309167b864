package io.disagg.operator.discovery;

import io.etcd.jetcd.Client;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Cuts short the gRPC reconnect back-off of a jetcd client's channel, so that a client whose etcd
 * was down reconnects when its user retries, not when gRPC's own timer fires.
 *
 * <p>Why: jetcd builds its gRPC channel with no reconnect setting (jetcd 0.8.5, {@code
 * io.etcd.jetcd.impl.ClientConnectionManager#defaultChannelBuilder}), so gRPC's default reconnect
 * back-off applies: 1 s, growing x1.6 with +-20 % jitter up to 120 s (grpc-java 1.76, {@code
 * io.grpc.internal.ExponentialBackoffPolicy}). While the channel waits out that back-off in {@code
 * TRANSIENT_FAILURE}, every request fails at once (the operator's clients do not wait for ready,
 * {@link EtcdConnections#newClient}), even after etcd is back: measured on the local etcd, an
 * outage of ~25 s left the channel unusable for ~10 s more, longer outages up to 2 minutes. gRPC's
 * remedy is {@link ManagedChannel#resetConnectBackoff()} ("so that gRPC does not wait up to 2
 * minutes before attempting to reconnect"), which jetcd does not expose: its channel is reached by
 * reflection, jetcd's {@code ClientImpl.connectionManager.getChannel()} (jetcd 0.8.5). If a jetcd
 * release moves it, {@link #resetConnectBackoff} does nothing (logged once) and reconnecting falls
 * back to gRPC's own back-off; {@code RegistrationWatchRestartTest} then fails its time bound.
 */
final class EtcdChannels {
  private static final Logger LOG = Logger.getLogger(EtcdChannels.class);
  private static final AtomicBoolean UNREACHABLE_LOGGED = new AtomicBoolean();

  private EtcdChannels() {}

  /**
   * When the client's channel is in {@code TRANSIENT_FAILURE} (waiting out a reconnect back-off),
   * makes it try to connect now; a request sent right after waits for that attempt instead of
   * failing at once. Otherwise (connected, connecting, idle) nothing happens. Never throws.
   */
  static void resetConnectBackoff(Client client) {
    channel(client)
        .filter(c -> c.getState(false) == ConnectivityState.TRANSIENT_FAILURE)
        .ifPresent(ManagedChannel::resetConnectBackoff);
  }

  /** The client's gRPC channel, where jetcd 0.8.5 keeps it; empty elsewhere (e.g. a test proxy). */
  private static Optional<ManagedChannel> channel(Client client) {
    try {
      Field manager = client.getClass().getDeclaredField("connectionManager");
      manager.setAccessible(true);
      Object connections = manager.get(client);
      Method getChannel = connections.getClass().getDeclaredMethod("getChannel");
      getChannel.setAccessible(true);
      return Optional.of((ManagedChannel) getChannel.invoke(connections));
    } catch (ReflectiveOperationException | RuntimeException e) {
      if (UNREACHABLE_LOGGED.compareAndSet(false, true)) {
        LOG.infof(
            "cannot reach the gRPC channel of etcd client %s (%s): after an etcd outage it"
                + " reconnects on gRPC's own back-off (up to 120 s)",
            client.getClass().getName(), e);
      }
      return Optional.empty();
    }
  }
}
