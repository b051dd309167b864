package io.disagg.operator.discovery;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.jboss.logging.Logger;

/**
 * One shared jetcd {@link Client} per distinct {@link EtcdTarget}, reference-counted: every {@link
 * #acquire} returns a {@link Handle}; the client is closed when the last handle of its target is
 * closed. Thread-safe. A jetcd client owns a gRPC channel and a Vert.x instance with its own
 * threads, so DisaggClusters sharing an etcd share one.
 */
public final class EtcdConnections implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EtcdConnections.class);

  /**
   * gRPC keep-alive ping interval, in seconds: a dead connection is noticed within this plus {@link
   * #KEEPALIVE_TIMEOUT}.
   */
  static final long KEEPALIVE_SECONDS = 15;

  static final Duration KEEPALIVE_TIME = Duration.ofSeconds(KEEPALIVE_SECONDS);

  /** gRPC keep-alive ping timeout. */
  static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

  /** TCP connect timeout. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** A use of a shared client; {@link #close()} releases it (idempotent). */
  public interface Handle extends AutoCloseable {
    /** The shared client: do not close it. */
    Client client();

    EtcdTarget target();

    @Override
    void close();
  }

  private static final class Entry {
    final Client client;
    int references;

    Entry(Client client) {
      this.client = client;
    }
  }

  private final Map<EtcdTarget, Entry> entries = new HashMap<>();
  private boolean closed;

  /**
   * A handle on the client of {@code target}, creating one with {@link #newClient(EtcdTarget)} when
   * none is open.
   *
   * @throws IllegalStateException after {@link #close()}
   * @throws IllegalArgumentException when the target's PEM material cannot be read
   */
  public Handle acquire(EtcdTarget target) {
    Objects.requireNonNull(target);
    Entry e;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("EtcdConnections is closed");
      }
      e = entries.get(target);
      if (e == null) {
        e = new Entry(newClient(target));
        entries.put(target, e);
        LOG.debugf("opened etcd client for %s", target);
      }
      e.references++;
    }
    Entry entry = e;
    AtomicBoolean released = new AtomicBoolean();
    return new Handle() {
      @Override
      public Client client() {
        return entry.client;
      }

      @Override
      public EtcdTarget target() {
        return target;
      }

      @Override
      public void close() {
        if (released.compareAndSet(false, true)) {
          release(target, entry);
        }
      }

      @Override
      public String toString() {
        return "EtcdConnections.Handle[" + target + "]";
      }
    };
  }

  /**
   * Closes every client, whether handles are still open or not; later {@link #acquire} calls fail.
   */
  @Override
  public void close() {
    List<Client> toClose;
    synchronized (this) {
      closed = true;
      toClose = new ArrayList<>();
      entries.values().forEach(e -> toClose.add(e.client));
      entries.clear();
    }
    toClose.forEach(EtcdConnections::closeQuietly);
  }

  private void release(EtcdTarget target, Entry entry) {
    synchronized (this) {
      if (entries.get(target) != entry) {
        return; // closed with close()
      }
      if (--entry.references > 0) {
        return;
      }
      entries.remove(target);
    }
    LOG.debugf("closing etcd client for %s", target);
    closeQuietly(entry.client);
  }

  private static void closeQuietly(Client c) {
    try {
      c.close();
    } catch (RuntimeException ex) {
      LOG.debugf(ex, "closing etcd client");
    }
  }

  /**
   * A new jetcd client for {@code target}: its endpoints; user and password when set; TLS with the
   * target's CA (and client certificate) when set, verifying each endpoint's server certificate for
   * that endpoint's host (jetcd's {@code ip://} name resolver sets the authority per address as
   * long as the client has no overall authority, so none is set). Requests fail at once while no
   * endpoint is reachable instead of waiting for one (gRPC {@code waitForReady} off); gRPC
   * keep-alive pings every {@value #KEEPALIVE_SECONDS} seconds find dead connections.
   *
   * @throws IllegalArgumentException when the PEM material cannot be read
   */
  public static Client newClient(EtcdTarget target) {
    ClientBuilder b =
        Client.builder()
            .endpoints(target.endpoints().stream().map(URI::create).toArray(URI[]::new))
            .waitForReady(false)
            .keepaliveTime(KEEPALIVE_TIME)
            .keepaliveTimeout(KEEPALIVE_TIMEOUT)
            .keepaliveWithoutCalls(true)
            .connectTimeout(CONNECT_TIMEOUT);
    if (target.authenticated()) {
      b.user(ByteSequence.from(target.username(), StandardCharsets.UTF_8))
          .password(ByteSequence.from(target.password(), StandardCharsets.UTF_8));
    }
    if (target.tls()) {
      try {
        b.sslContext(
            ssl -> {
              ssl.trustManager(new ByteArrayInputStream(target.caPem()));
              if (target.certPem() != null) {
                ssl.keyManager(
                    new ByteArrayInputStream(target.certPem()),
                    new ByteArrayInputStream(PrivateKeys.toPkcs8Pem(target.keyPem())));
              }
            });
      } catch (SSLException | RuntimeException e) {
        throw new IllegalArgumentException(
            "cannot use the TLS material of " + target + ": " + e.getMessage(), e);
      }
    }
    return b.build();
  }
}
