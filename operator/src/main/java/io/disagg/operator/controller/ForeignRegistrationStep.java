package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DiscoverySpec;
import io.disagg.operator.api.v1alpha1.DiscoveryStatus;
import io.disagg.operator.api.v1alpha1.RemovedRegistration;
import io.disagg.operator.api.v1alpha1.RevisionStatus;
import io.disagg.operator.discovery.DiscoverySnapshot;
import io.disagg.operator.discovery.ForeignRegistrations;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.status.Reason;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The reconciler's foreign-registration step (docs/foreign-registrations.md): deletes from etcd the
 * registrations under the DisaggCluster's prefixes whose host is not one of its pods' IPs ({@link
 * ForeignRegistrations}, pure), while {@code spec.discovery.removeForeignRegistrations} is on.
 *
 * <p>Observe: the registrations of every revision's {@code cluster_name} whose watch is live, and
 * the IPs of every pod of the DisaggCluster in the pod cache (worker, router and download pods, any
 * revision, terminating ones included). Plan: {@link ForeignRegistrations#decide}. Act: before any
 * delete the DisaggCluster's pods are listed once from the API server (not the cache, which may not
 * have seen a new pod yet) and a registration whose host is among their IPs is kept; the others are
 * deleted with a transaction conditioned on their observed {@code modRevision}, the key only, never
 * the lease ({@link io.disagg.operator.discovery.Deregistration#deleteIfUnchanged}). A Warning
 * Event {@value #REMOVED_EVENT} names the keys and hosts, at most one per host every {@link
 * #EVENT_INTERVAL} (a registrant that writes its key again is deleted again each time and counted,
 * but not reported each time); {@code status.discovery.removedForeign} counts every deletion.
 *
 * <p>Nothing is deleted while the spec is invalid, while another DisaggCluster the operator sees
 * uses one of the same {@code cluster_name}s on the same etcd (each would delete the other's
 * workers: condition {@code DiscoveryAvailable} reason {@code ClusterNameShared} instead), nor from
 * a prefix whose watch is not live (its registrations may be stale).
 *
 * <p>State: the sightings (grace, remembered hosts), the pods' IPs seen recently and the Events'
 * times live in memory; after an operator restart every foreign host waits out the grace again and
 * is reported again, which errs on the safe side.
 */
final class ForeignRegistrationStep {
  private static final Logger LOG = Logger.getLogger(ForeignRegistrationStep.class);

  /** Event reason of a deletion. */
  static final String REMOVED_EVENT = "ForeignRegistrationRemoved";

  /** At most one Event per host within this time. */
  static final Duration EVENT_INTERVAL = Duration.ofMinutes(10);

  /** Keys named in one Event, at most. */
  static final int KEYS_PER_EVENT = 5;

  /** How soon to try again after the pods could not be listed or a delete failed. */
  static final Duration RETRY = Duration.ofSeconds(2);

  /** Deletes registrations whose keys are unchanged ({@code DiscoveryEventSource}). */
  @FunctionalInterface
  interface Etcd {
    List<Registration> deleteIfUnchanged(List<Registration> registrations);
  }

  /** Lists the DisaggCluster's pods from the API server, not from the cache. */
  @FunctionalInterface
  interface UncachedPods {
    List<Pod> list();

    /**
     * The pods with the DisaggCluster's labels ({@code app.kubernetes.io/managed-by}, {@code
     * app.kubernetes.io/instance}) in its namespace, one list request (the chart grants {@code pods
     * list}).
     */
    static UncachedPods of(KubernetesClient k8s, DisaggCluster cr) {
      return () ->
          k8s.pods()
              .inNamespace(cr.getMetadata().getNamespace())
              .withLabel(Labels.MANAGED_BY, Labels.MANAGER)
              .withLabel(Labels.INSTANCE, cr.getMetadata().getName())
              .list()
              .getItems();
    }
  }

  /** Another DisaggCluster's claim on {@code cluster_name}s in an etcd. */
  record Claim(String namespace, String name, Set<String> clusterNames, Set<String> endpoints) {

    /**
     * The claim of DisaggCluster {@code o}: its effective {@code spec.discovery.clusterName} and
     * etcd endpoints (from {@code effective}, {@code o} with the defaults applied), and every
     * {@code cluster_name} its status names (the shown one and every revision's).
     */
    static Claim of(DisaggCluster o, DisaggCluster effective) {
      Set<String> names = new HashSet<>();
      names.add(effective.getSpec().getDiscovery().getClusterName());
      if (o.getStatus() != null) {
        Optional.ofNullable(o.getStatus().getClusterName()).ifPresent(names::add);
        Optional.ofNullable(o.getStatus().getRevisions())
            .ifPresent(
                rs ->
                    rs.stream()
                        .map(RevisionStatus::getClusterName)
                        .filter(Objects::nonNull)
                        .forEach(names::add));
      }
      List<String> endpoints = effective.getSpec().getDiscovery().getEtcd().getEndpoints();
      return new Claim(
          o.getMetadata().getNamespace(),
          o.getMetadata().getName(),
          names,
          endpoints == null ? Set.of() : Set.copyOf(endpoints));
    }
  }

  /**
   * What the step did.
   *
   * @param removedKeys the keys deleted now (the status leaves them out)
   * @param requeueAfter when to look again (a grace runs out, a retry), or null
   * @param removedForeign {@code status.discovery.removedForeign} to write, null for none
   * @param lastRemoved {@code status.discovery.lastRemoved} to write, null for none
   * @param sharedWith the other DisaggCluster using one of the same {@code cluster_name}s, null
   */
  record Result(
      Set<String> removedKeys,
      Duration requeueAfter,
      Integer removedForeign,
      RemovedRegistration lastRemoved,
      String sharedWith) {

    /**
     * Writes the counters into {@code status.discovery} (created when the discovery status is
     * absent but something was removed before) and, with a shared {@code cluster_name}, replaces a
     * True {@code DiscoveryAvailable} with reason {@code ClusterNameShared}.
     */
    /** {@code snapshot} without the registrations deleted now (null stays null). */
    DiscoverySnapshot visible(DiscoverySnapshot snapshot) {
      if (snapshot == null || removedKeys.isEmpty()) {
        return snapshot;
      }
      return new DiscoverySnapshot(
          snapshot.registrations().stream().filter(r -> !removedKeys.contains(r.key())).toList(),
          snapshot.reachable(),
          snapshot.lastError(),
          snapshot.revision(),
          snapshot.observedAt());
    }

    void applyTo(DisaggClusterStatus status, Long generation, Instant now) {
      if (removedForeign != null) {
        DiscoveryStatus d = status.getDiscovery();
        if (d == null) {
          d = new DiscoveryStatus();
          status.setDiscovery(d);
        }
        d.setRemovedForeign(removedForeign);
        d.setLastRemoved(lastRemoved);
      }
      if (sharedWith != null
          && Conditions.isTrue(status.getConditions(), ConditionType.DISCOVERY_AVAILABLE)) {
        status.setConditions(
            Conditions.set(
                status.getConditions(),
                ConditionType.DISCOVERY_AVAILABLE,
                true,
                Reason.CLUSTER_NAME_SHARED,
                "DisaggCluster "
                    + sharedWith
                    + " uses the same clusterName on the same etcd: foreign registrations are not"
                    + " removed (each would remove the other's workers) and the router of each"
                    + " routes to both; give each DisaggCluster its own spec.discovery.clusterName",
                generation,
                now));
      }
    }
  }

  private static final class Memory {
    Map<String, ForeignRegistrations.Seen> seen = Map.of();
    final Map<String, Instant> lastOurs = new HashMap<>();
    final Map<String, Instant> lastEvent = new HashMap<>();
  }

  private final Map<ResourceID, Memory> memory = new ConcurrentHashMap<>();

  /** Forgets a deleted DisaggCluster. */
  void forget(DisaggCluster cr) {
    memory.remove(ResourceID.fromResource(cr));
  }

  /**
   * Runs the step.
   *
   * @param cr the cluster with its previous status
   * @param discovery the effective {@code spec.discovery} (every field set)
   * @param snapshots the registrations of each of the cluster's {@code cluster_name}s
   * @param pods every pod of the cluster in the pod cache
   * @param sharedWith another DisaggCluster ({@code namespace/name}) using one of the same {@code
   *     cluster_name}s on the same etcd, computed only when something would be removed
   * @param act false while the spec is invalid: nothing is deleted
   * @param uncached lists the cluster's pods from the API server before a delete
   * @param k8s where Events go
   * @param etcd deletes keys
   */
  Result run(
      DisaggCluster cr,
      DiscoverySpec discovery,
      Map<String, DiscoverySnapshot> snapshots,
      List<Pod> pods,
      Supplier<Optional<String>> sharedWith,
      boolean act,
      UncachedPods uncached,
      KubernetesClient k8s,
      Etcd etcd,
      Instant now) {
    ResourceID id = ResourceID.fromResource(cr);
    DiscoveryStatus before = cr.getStatus() == null ? null : cr.getStatus().getDiscovery();
    Integer count = before == null ? null : before.getRemovedForeign();
    RemovedRegistration last = before == null ? null : before.getLastRemoved();
    if (!Boolean.TRUE.equals(discovery.getRemoveForeignRegistrations())) {
      memory.remove(id);
      return new Result(Set.of(), null, count, last, null);
    }
    if (!act) {
      return new Result(Set.of(), null, count, last, null);
    }
    Memory m = memory.computeIfAbsent(id, k -> new Memory());
    Duration recent = Duration.ofSeconds(2L * discovery.getInactiveTimeoutSeconds());
    Set<String> ips = ips(pods);
    ips.forEach(ip -> m.lastOurs.put(ip, now));
    m.lastOurs.values().removeIf(at -> at.plus(recent).isBefore(now));
    List<Registration> live = new ArrayList<>();
    snapshots.values().stream()
        .filter(Objects::nonNull)
        .filter(DiscoverySnapshot::reachable)
        .forEach(s -> live.addAll(s.registrations()));
    ForeignRegistrations.Decision d =
        ForeignRegistrations.decide(
            new ForeignRegistrations.Input(
                live,
                ips,
                Map.copyOf(m.lastOurs),
                m.seen,
                Duration.ofSeconds(discovery.getForeignGraceSeconds()),
                recent,
                now));
    m.seen = d.firstSeen();
    if (d.remove().isEmpty()) {
      return new Result(Set.of(), d.recheckAfter(), count, last, null);
    }
    Optional<String> shared = sharedWith.get();
    if (shared.isPresent()) {
      return new Result(Set.of(), null, count, last, shared.get());
    }
    // Confirm with the API server: a pod the cache has not seen yet may own the host.
    Set<String> fresh;
    try {
      fresh = ips(uncached.list());
    } catch (KubernetesClientException e) {
      LOG.warnf(
          "%s/%s: could not list the pods to confirm foreign registrations, will retry: %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), e.getMessage());
      return new Result(Set.of(), RETRY, count, last, null);
    }
    fresh.forEach(ip -> m.lastOurs.put(ip, now));
    List<ForeignRegistrations.Foreign> doomed =
        d.remove().stream().filter(f -> f.host() == null || !fresh.contains(f.host())).toList();
    List<Registration> deleted;
    try {
      deleted =
          doomed.isEmpty()
              ? List.of()
              : etcd.deleteIfUnchanged(
                  doomed.stream().map(ForeignRegistrations.Foreign::registration).toList());
    } catch (RuntimeException e) {
      LOG.warnf(
          "%s/%s: deleting foreign registrations failed, will retry: %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), e.getMessage());
      deleted = List.of();
    }
    Duration next = d.recheckAfter();
    if (deleted.size() < doomed.size()) {
      next = next == null || RETRY.compareTo(next) < 0 ? RETRY : next;
    }
    if (deleted.isEmpty()) {
      return new Result(Set.of(), next, count, last, null);
    }
    Map<String, String> hostByKey = new LinkedHashMap<>();
    for (ForeignRegistrations.Foreign f : doomed) {
      hostByKey.put(f.registration().key(), f.host());
    }
    Set<String> keys = new HashSet<>();
    deleted.forEach(r -> keys.add(r.key()));
    Registration newest = deleted.get(deleted.size() - 1);
    String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
    RemovedRegistration lastNow =
        new RemovedRegistration(
            newest.key(), Objects.toString(hostByKey.get(newest.key()), ""), time);
    report(cr, k8s, m, deleted, hostByKey, now);
    return new Result(
        Set.copyOf(keys), next, (count == null ? 0 : count) + deleted.size(), lastNow, null);
  }

  /** A log line per deletion, and Warning Events for the hosts not reported recently. */
  private static void report(
      DisaggCluster cr,
      KubernetesClient k8s,
      Memory m,
      List<Registration> deleted,
      Map<String, String> hostByKey,
      Instant now) {
    m.lastEvent.values().removeIf(at -> at.plus(EVENT_INTERVAL).isBefore(now));
    List<String> named = new ArrayList<>();
    Set<String> reportedNow = new HashSet<>();
    int unnamed = 0;
    for (Registration r : deleted) {
      String host = hostByKey.get(r.key());
      String what = r.key() + " (host " + (host == null ? "unknown" : host) + ")";
      LOG.warnf(
          "%s/%s: deleted foreign registration %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), what);
      String eventKey = host == null ? r.key() : host;
      if (m.lastEvent.containsKey(eventKey) && !reportedNow.contains(eventKey)) {
        continue; // reported within EVENT_INTERVAL: counted in the status only
      }
      m.lastEvent.put(eventKey, now);
      reportedNow.add(eventKey);
      if (named.size() < KEYS_PER_EVENT) {
        named.add(what);
      } else {
        unnamed++;
      }
    }
    if (named.isEmpty()) {
      return;
    }
    EventRecorder.warning(
        k8s,
        cr,
        REMOVED_EVENT,
        "deleted from etcd "
            + String.join(", ", named)
            + (unnamed > 0 ? " and " + unnamed + " more" : "")
            + ": no pod of this DisaggCluster has that host, and the router would send it user"
            + " requests (spec.discovery.removeForeignRegistrations; a host deleted again within "
            + EVENT_INTERVAL.toMinutes()
            + " minutes is only counted in status.discovery.removedForeign)");
  }

  /**
   * The first other DisaggCluster, as {@code namespace/name}, that claims one of {@code mine} on
   * the same etcd (the same endpoints, compared as sets ignoring case; an empty set, endpoints not
   * resolved, counts as the same etcd).
   */
  static Optional<String> sharing(
      String namespace,
      String name,
      Collection<String> mine,
      Collection<String> myEndpoints,
      Collection<Claim> others) {
    Set<String> endpoints = lower(myEndpoints);
    for (Claim c : others) {
      if (c.namespace().equals(namespace) && c.name().equals(name)) {
        continue;
      }
      Set<String> theirs = lower(c.endpoints());
      boolean sameEtcd = endpoints.isEmpty() || theirs.isEmpty() || endpoints.equals(theirs);
      if (sameEtcd && c.clusterNames().stream().anyMatch(mine::contains)) {
        return Optional.of(c.namespace() + "/" + c.name());
      }
    }
    return Optional.empty();
  }

  private static Set<String> lower(Collection<String> s) {
    Set<String> out = new HashSet<>();
    s.forEach(x -> out.add(x.toLowerCase(Locale.ROOT)));
    return out;
  }

  /** Every IP of the pods, lower-case ({@code status.podIP}, {@code status.podIPs}). */
  static Set<String> ips(Collection<Pod> pods) {
    Set<String> ips = new HashSet<>();
    for (Pod p : pods) {
      if (p.getStatus() == null) {
        continue;
      }
      if (p.getStatus().getPodIP() != null && !p.getStatus().getPodIP().isBlank()) {
        ips.add(p.getStatus().getPodIP().toLowerCase(Locale.ROOT));
      }
      if (p.getStatus().getPodIPs() != null) {
        for (PodIP ip : p.getStatus().getPodIPs()) {
          if (ip.getIp() != null && !ip.getIp().isBlank()) {
            ips.add(ip.getIp().toLowerCase(Locale.ROOT));
          }
        }
      }
    }
    return ips;
  }
}
