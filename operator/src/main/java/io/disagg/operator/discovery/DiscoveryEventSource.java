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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import org.jboss.logging.Logger;

/**
 * JOSDK event source of worker registrations: one {@link RegistrationWatch} per DisaggCluster and
 * {@code cluster_name} (one per pairing revision present), started by the reconciler with {@link
 * #watch}, triggering a reconcile of that DisaggCluster whenever its {@link DiscoverySnapshot}
 * changes (registrations or reachability), and stopped when the DisaggCluster is deleted ({@link
 * #onResourceDeleted}) or by {@link #unwatch}.
 *
 * <p>The snapshots are also this source's secondary resources (one per {@code cluster_name}), so a
 * reconciler can read them with {@code context.getSecondaryResources(DiscoverySnapshot.class)} as
 * well as with {@link #snapshots(ResourceID)}. Register it from {@code prepareEventSources}.
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
  private final Map<ResourceID, Map<String, Entry>> watches = new HashMap<>();

  /** Watches with {@link RegistrationWatch.Options#DEFAULT}, clients from {@code connections}. */
  public DiscoveryEventSource(EtcdConnections connections) {
    super(DiscoverySnapshot.class, NAME);
    this.connections = Objects.requireNonNull(connections);
    this.scheduler = RegistrationWatch.newScheduler("discovery-watch");
  }

  /**
   * Watches the registrations of each of {@code clusterNames} in the etcd of {@code target} for
   * {@code cr}: one {@link RegistrationWatch} per {@code cluster_name} (a DisaggCluster has one per
   * pairing revision present, docs/rollouts.md; the key prefixes {@code
   * /trtllm-disagg/<clusterName>/workers/} of {@code <ns>.<name>} and {@code <ns>.<name>.<rev>} do
   * not overlap, since each ends with {@code /workers/}). Idempotent: a name already watched with
   * the same target keeps its watch; a watch of a name no longer listed, or of another target, is
   * stopped (a moved name's snapshot starts over as not reachable). Cheap enough to call on every
   * reconcile.
   *
   * @return the current snapshot of each name's (possibly new) watch, by name
   */
  public Map<String, DiscoverySnapshot> watch(
      DisaggCluster cr, EtcdTarget target, Collection<String> clusterNames) {
    ResourceID id = ResourceID.fromResource(cr);
    List<Entry> stopped = new ArrayList<>();
    List<Entry> started = new ArrayList<>();
    Map<String, DiscoverySnapshot> out = new LinkedHashMap<>();
    synchronized (watches) {
      Map<String, Entry> mine = watches.computeIfAbsent(id, k -> new LinkedHashMap<>());
      for (var it = mine.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        if (!clusterNames.contains(e.getKey()) || !e.getValue().target().equals(target)) {
          stopped.add(e.getValue());
          it.remove();
        }
      }
      for (String clusterName : clusterNames) {
        Entry e = mine.get(clusterName);
        if (e == null) {
          EtcdConnections.Handle handle = connections.acquire(target);
          RegistrationWatch w =
              new RegistrationWatch(
                  handle.client(),
                  clusterName,
                  () -> changed(id),
                  scheduler,
                  RegistrationWatch.Options.DEFAULT);
          e = new Entry(target, clusterName, handle, w);
          mine.put(clusterName, e);
          started.add(e);
        }
      }
      if (mine.isEmpty()) {
        watches.remove(id);
      }
    }
    for (Entry e : stopped) {
      LOG.infof(
          "%s: stopped watching %s in %s",
          id, Registrations.workersPrefix(e.clusterName()), e.target());
      e.close();
    }
    for (Entry e : started) {
      e.watch().start();
    }
    synchronized (watches) {
      Map<String, Entry> mine = watches.getOrDefault(id, Map.of());
      for (String clusterName : clusterNames) {
        Entry e = mine.get(clusterName);
        if (e != null) {
          out.put(clusterName, e.watch().snapshot());
        }
      }
    }
    return out;
  }

  /** Stops watching for {@code id} (no-op when not watched). */
  public void unwatch(ResourceID id) {
    Map<String, Entry> e;
    synchronized (watches) {
      e = watches.remove(id);
    }
    if (e != null) {
      e.values().forEach(Entry::close);
    }
  }

  /**
   * The current snapshot of each of {@code id}'s watches, by {@code cluster_name}; empty when
   * {@code id} is not watched.
   */
  public Map<String, DiscoverySnapshot> snapshots(ResourceID id) {
    synchronized (watches) {
      Map<String, DiscoverySnapshot> out = new LinkedHashMap<>();
      watches.getOrDefault(id, Map.of()).forEach((n, e) -> out.put(n, e.watch().snapshot()));
      return out;
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
   * Writes registrations again through the etcd client of {@code id}'s watch (see {@link
   * Deregistration#reannounce}).
   *
   * @return how many were written again
   * @throws IllegalStateException when {@code id} is not watched
   */
  public int reannounce(ResourceID id, Collection<Registration> registrations) {
    try (EtcdConnections.Handle handle = clientOf(id)) {
      return Deregistration.reannounce(
          handle.client(), registrations, Deregistration.DEFAULT_TIMEOUT);
    }
  }

  /**
   * Deletes registrations whose keys are unchanged since observed, through the etcd client of
   * {@code id}'s watch (see {@link Deregistration#deleteIfUnchanged}: keys only, leases kept).
   *
   * @return the registrations whose keys were deleted
   * @throws IllegalStateException when {@code id} is not watched
   */
  public List<Registration> deleteIfUnchanged(
      ResourceID id, Collection<Registration> registrations) {
    try (EtcdConnections.Handle handle = clientOf(id)) {
      return Deregistration.deleteIfUnchanged(
          handle.client(), registrations, Deregistration.DEFAULT_TIMEOUT);
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
      Map<String, Entry> e = watches.get(id);
      if (e == null || e.isEmpty()) {
        throw new IllegalStateException(id + " has no discovery watch");
      }
      return connections.acquire(e.values().iterator().next().target());
    }
  }

  @Override
  public Set<DiscoverySnapshot> getSecondaryResources(DisaggCluster primary) {
    return Set.copyOf(snapshots(ResourceID.fromResource(primary)).values());
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
    List<Entry> all = new ArrayList<>();
    synchronized (watches) {
      watches.values().forEach(m -> all.addAll(m.values()));
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
