package io.disagg.operator.discovery;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.discovery.Deregistration.DeregistrationException;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.EventHandler;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import org.jboss.logging.Logger;

/**
 * JOSDK event source of worker registrations: one {@link RegistrationWatch} per DisaggCluster,
 * started by the reconciler with {@link #watch}, triggering a reconcile of that DisaggCluster
 * whenever its {@link DiscoverySnapshot} changes (registrations or reachability), and stopped when
 * the DisaggCluster is deleted ({@link #onResourceDeleted}) or by {@link #unwatch}.
 *
 * <p>The snapshot is also this source's secondary resource, so a reconciler can read it with {@code
 * context.getSecondaryResource(DiscoverySnapshot.class)} as well as with {@link
 * #snapshot(ResourceID)}. Register it from {@code prepareEventSources}.
 *
 * <p>Watches share etcd clients through {@link EtcdConnections}: one client per distinct {@link
 * EtcdTarget}.
 */
public class DiscoveryEventSource extends AbstractEventSource<DiscoverySnapshot, DisaggCluster>
    implements ResourceEventAware<DisaggCluster> {

  private static final Logger LOG = Logger.getLogger(DiscoveryEventSource.class);

  /** Name of this event source in JOSDK. */
  public static final String NAME = "discovery";

  private record Entry(
      EtcdTarget target,
      String clusterName,
      EtcdConnections.Handle handle,
      RegistrationWatch watch) {
    void close() {
      watch.close();
      handle.close();
    }
  }

  private final EtcdConnections connections;
  private volatile ScheduledExecutorService scheduler;
  private final Map<ResourceID, Entry> watches = new HashMap<>();

  /** Watches with {@link RegistrationWatch.Options#DEFAULT}, clients from {@code connections}. */
  public DiscoveryEventSource(EtcdConnections connections) {
    super(DiscoverySnapshot.class, NAME);
    this.connections = Objects.requireNonNull(connections);
    this.scheduler = RegistrationWatch.newScheduler("discovery-watch");
  }

  /**
   * Watches the registrations of {@code clusterName} in the etcd of {@code target} for {@code cr}.
   * Idempotent: when {@code cr} is already watched with the same target and cluster name nothing
   * changes; otherwise the previous watch is stopped and replaced (its snapshot starts over as not
   * reachable). Cheap enough to call on every reconcile.
   *
   * @return the current snapshot of the (possibly new) watch
   */
  public DiscoverySnapshot watch(DisaggCluster cr, EtcdTarget target, String clusterName) {
    ResourceID id = ResourceID.fromResource(cr);
    Entry old;
    Entry fresh;
    synchronized (watches) {
      old = watches.get(id);
      if (old != null && old.target().equals(target) && old.clusterName().equals(clusterName)) {
        return old.watch().snapshot();
      }
      EtcdConnections.Handle handle = connections.acquire(target);
      RegistrationWatch w =
          new RegistrationWatch(
              handle.client(),
              clusterName,
              () -> changed(id),
              scheduler,
              RegistrationWatch.Options.DEFAULT);
      fresh = new Entry(target, clusterName, handle, w);
      watches.put(id, fresh);
    }
    if (old != null) {
      LOG.infof(
          "%s: discovery moved to %s in %s", id, Registrations.workersPrefix(clusterName), target);
      old.close();
    }
    fresh.watch().start();
    return fresh.watch().snapshot();
  }

  /** Stops watching for {@code id} (no-op when not watched). */
  public void unwatch(ResourceID id) {
    Entry e;
    synchronized (watches) {
      e = watches.remove(id);
    }
    if (e != null) {
      e.close();
    }
  }

  /** The current snapshot of {@code id}'s watch, or empty when {@code id} is not watched. */
  public Optional<DiscoverySnapshot> snapshot(ResourceID id) {
    synchronized (watches) {
      Entry e = watches.get(id);
      return e == null ? Optional.empty() : Optional.of(e.watch().snapshot());
    }
  }

  /**
   * Deletes registration keys through the etcd client of {@code id}'s watch (see {@link
   * Deregistration#deregister(io.etcd.jetcd.Client, Collection)}: keys only, leases kept; blocks up
   * to 5 seconds).
   *
   * @return how many of the keys existed and were deleted
   * @throws IllegalStateException when {@code id} is not watched
   * @throws DeregistrationException when etcd did not confirm the deletes
   */
  public int deregister(ResourceID id, Collection<String> keys) throws DeregistrationException {
    try (EtcdConnections.Handle handle = clientOf(id)) {
      return Deregistration.deregister(handle.client(), keys);
    }
  }

  /**
   * Restores deregistered registrations through the etcd client of {@code id}'s watch (see {@link
   * Deregistration#restore}).
   *
   * @return the registrations that could not be restored
   * @throws IllegalStateException when {@code id} is not watched
   */
  public List<Registration> restore(ResourceID id, Collection<Registration> registrations) {
    try (EtcdConnections.Handle handle = clientOf(id)) {
      return Deregistration.restore(handle.client(), registrations, Deregistration.DEFAULT_TIMEOUT);
    }
  }

  /**
   * A handle on the etcd client of {@code id}'s watch; it keeps the client open even if the watch
   * is replaced meanwhile. The caller closes it.
   *
   * @throws IllegalStateException when {@code id} is not watched
   */
  private EtcdConnections.Handle clientOf(ResourceID id) {
    synchronized (watches) {
      Entry e = watches.get(id);
      if (e == null) {
        throw new IllegalStateException(id + " has no discovery watch");
      }
      return connections.acquire(e.target());
    }
  }

  @Override
  public Set<DiscoverySnapshot> getSecondaryResources(DisaggCluster primary) {
    return snapshot(ResourceID.fromResource(primary)).map(Set::of).orElse(Set.of());
  }

  @Override
  public void onResourceDeleted(DisaggCluster resource) {
    unwatch(ResourceID.fromResource(resource));
  }

  @Override
  public void start() throws OperatorException {
    synchronized (watches) {
      if (scheduler.isShutdown()) {
        scheduler = RegistrationWatch.newScheduler("discovery-watch");
      }
    }
    super.start();
  }

  @Override
  public void stop() throws OperatorException {
    List<Entry> all;
    synchronized (watches) {
      all = new ArrayList<>(watches.values());
      watches.clear();
    }
    all.forEach(Entry::close);
    scheduler.shutdownNow();
    super.stop();
  }

  private void changed(ResourceID id) {
    EventHandler handler = getEventHandler();
    if (!isRunning() || handler == null) {
      return;
    }
    handler.handleEvent(new Event(id));
  }
}
