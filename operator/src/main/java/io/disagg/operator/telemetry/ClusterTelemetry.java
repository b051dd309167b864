package io.disagg.operator.telemetry;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DiscoveryStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.PoolStatus;
import io.disagg.operator.api.v1alpha1.RouterStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Labels;
import io.disagg.operator.scaling.UnschedulablePods;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state of each DisaggCluster as operator metrics, for dashboards and alerts (Prometheus names
 * after the registry's conversion; every series has the labels {@code namespace} and {@code name}
 * of the DisaggCluster; docs/monitoring.md, "Metrics reference"):
 *
 * <ul>
 *   <li>{@code disagg_pool_desired_instances{pool}}: {@code status.<pool>.desiredReplicas};
 *   <li>{@code disagg_pool_instances{pool}}: {@code status.<pool>.replicas};
 *   <li>{@code disagg_pool_ready_instances{pool}}: {@code status.<pool>.readyReplicas};
 *   <li>{@code disagg_pool_registered_instances{pool}}: {@code status.<pool>.registeredInstances},
 *       registrations in etcd matched to the pool's pods;
 *   <li>{@code disagg_pool_unregistered_ready_workers{pool}}: {@code
 *       status.<pool>.unregisteredReadyWorkers}, Ready workers the router cannot see;
 *   <li>{@code disagg_pool_unschedulable_pods{pool}}: the pool's pods (every revision) the
 *       scheduler could not place ({@link UnschedulablePods});
 *   <li>{@code disagg_pool_draining{pool}}: 1 while a scale-down drains ({@code
 *       status.<pool>.drain}), else 0;
 *   <li>{@code disagg_pool_drain_timeouts_total{pool}}: drains that ended because {@code
 *       spec.<pool>.drainTimeoutSeconds} passed (the pods were removed with requests possibly still
 *       in flight, {@code io.disagg.operator.scaling.DrainPlanner});
 *   <li>{@code disagg_router_desired_replicas}, {@code disagg_router_ready_replicas}: {@code
 *       status.router};
 *   <li>{@code disagg_cluster_condition{condition,status}}: 1 for the status ({@code True}, {@code
 *       False}, {@code Unknown}) a condition has, 0 for the two others; absent for a condition the
 *       status does not list;
 *   <li>{@code disagg_discovery_foreign_registrations_removed_total}: foreign registrations the
 *       operator deleted from etcd ({@code status.discovery.removedForeign}, docs/
 *       foreign-registrations.md), counted by how much that field grew in a reconcile, so the
 *       counter never goes down within the process (a status that was reset, and then counts from 0
 *       again, adds nothing until it grows);
 *   <li>{@code disagg_discovery_unmatched_registrations}: registrations under the cluster's prefix
 *       that match no pod of it and were kept ({@code status.discovery.unmatched}; that list holds
 *       at most 10, so the gauge too);
 *   <li>{@code disagg_discovery_malformed_registrations}: keys whose value is not a TensorRT-LLM
 *       registration ({@code status.discovery.malformed}, at most 10 as well).
 * </ul>
 *
 * A gauge whose status field is unset reads NaN. The meters of a DisaggCluster live until {@link
 * #remove}.
 */
public final class ClusterTelemetry {

  public static final String DESIRED = "disagg.pool.desired.instances";
  public static final String INSTANCES = "disagg.pool.instances";
  public static final String READY = "disagg.pool.ready.instances";
  public static final String REGISTERED = "disagg.pool.registered.instances";
  public static final String UNREGISTERED_READY = "disagg.pool.unregistered.ready.workers";
  public static final String UNSCHEDULABLE = "disagg.pool.unschedulable.pods";
  public static final String DRAINING = "disagg.pool.draining";
  public static final String DRAIN_TIMEOUTS = "disagg.pool.drain.timeouts";
  public static final String ROUTER_DESIRED = "disagg.router.desired.replicas";
  public static final String ROUTER_READY = "disagg.router.ready.replicas";
  public static final String CONDITION = "disagg.cluster.condition";
  public static final String FOREIGN_REMOVED = "disagg.discovery.foreign.registrations.removed";
  public static final String UNMATCHED = "disagg.discovery.unmatched.registrations";
  public static final String MALFORMED = "disagg.discovery.malformed.registrations";

  private static final Set<String> NAMES =
      Set.of(
          DESIRED,
          INSTANCES,
          READY,
          REGISTERED,
          UNREGISTERED_READY,
          UNSCHEDULABLE,
          DRAINING,
          DRAIN_TIMEOUTS,
          ROUTER_DESIRED,
          ROUTER_READY,
          CONDITION,
          FOREIGN_REMOVED,
          UNMATCHED,
          MALFORMED);

  private static final List<String> CONDITION_STATUSES = List.of("True", "False", "Unknown");

  private final MeterRegistry registry;
  private final Map<Tags, double[]> gauges = new ConcurrentHashMap<>();

  public ClusterTelemetry(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /**
   * Publishes a DisaggCluster's state after a reconcile computed its status.
   *
   * @param cr the DisaggCluster as the reconcile read it: its spec (drain timeouts) and its
   *     previous status (a drain that ends now was recorded there, and the foreign registrations
   *     removed before)
   * @param status the status just computed
   * @param pods the DisaggCluster's pods (every revision; the pool is their {@code
   *     app.kubernetes.io/component} label)
   * @param now the reconcile's time
   */
  public void record(DisaggCluster cr, DisaggClusterStatus status, List<Pod> pods, Instant now) {
    String namespace = cr.getMetadata().getNamespace();
    String name = cr.getMetadata().getName();
    Tags cluster = Tags.of("namespace", namespace, "name", name);
    for (Pool pool : Pool.values()) {
      Tags tags = cluster.and("pool", pool.id());
      PoolStatus s = status.pool(pool);
      set(DESIRED, tags, s.getDesiredReplicas());
      set(INSTANCES, tags, s.getReplicas());
      set(READY, tags, s.getReadyReplicas());
      set(REGISTERED, tags, s.getRegisteredInstances());
      set(UNREGISTERED_READY, tags, s.getUnregisteredReadyWorkers());
      set(UNSCHEDULABLE, tags, UnschedulablePods.of(poolPods(pods, pool)).count());
      set(DRAINING, tags, s.getDrain() == null ? 0 : 1);
      Counter timeouts =
          Counter.builder(DRAIN_TIMEOUTS)
              .description("Drains that ended at their timeout (drainTimeoutSeconds)")
              .tags(tags)
              .register(registry);
      DrainStatus before = cr.getStatus() == null ? null : cr.getStatus().pool(pool).getDrain();
      if (endedAtTimeout(
          before,
          s.getDrain(),
          Duration.ofSeconds(cr.getSpec().pool(pool).getDrainTimeoutSeconds()),
          now)) {
        timeouts.increment();
      }
    }
    RouterStatus router = status.getRouter();
    set(ROUTER_DESIRED, cluster, router == null ? null : router.getReplicas());
    set(ROUTER_READY, cluster, router == null ? null : router.getReadyReplicas());
    for (ConditionType type : ConditionType.values()) {
      Condition c = Conditions.find(status.getConditions(), type).orElse(null);
      for (String value : CONDITION_STATUSES) {
        Tags tags = cluster.and("condition", type.type(), "status", value);
        if (c == null) {
          remove(CONDITION, tags);
        } else {
          set(CONDITION, tags, value.equals(c.getStatus()) ? 1 : 0);
        }
      }
    }
    DiscoveryStatus discovery = status.getDiscovery();
    set(UNMATCHED, cluster, discovery == null ? null : size(discovery.getUnmatched()));
    set(MALFORMED, cluster, discovery == null ? null : size(discovery.getMalformed()));
    Counter removed =
        Counter.builder(FOREIGN_REMOVED)
            .description(
                "Foreign registrations deleted from etcd (status.discovery.removedForeign)")
            .tags(cluster)
            .register(registry);
    DiscoveryStatus previous = cr.getStatus() == null ? null : cr.getStatus().getDiscovery();
    int newlyRemoved =
        newlyRemoved(
            previous == null ? null : previous.getRemovedForeign(),
            discovery == null ? null : discovery.getRemovedForeign());
    if (newlyRemoved > 0) {
      removed.increment(newlyRemoved);
    }
  }

  /**
   * How many foreign registrations this reconcile removed: how much the cumulative {@code
   * status.discovery.removedForeign} grew from the status the reconcile read ({@code before}, null
   * for none: 0) to the one it computed ({@code after}, null: nothing removed). Never negative: a
   * count that went down (a status that was reset starts again from 0) adds nothing.
   */
  static int newlyRemoved(Integer before, Integer after) {
    if (after == null) {
      return 0;
    }
    return Math.max(0, after - (before == null ? 0 : before));
  }

  private static Integer size(Collection<?> c) {
    return c == null ? 0 : c.size();
  }

  /**
   * Whether the drain recorded before this reconcile ended in it at or after its timeout: it is no
   * longer in the status (or a different one is), and {@code timeout} has passed since it started.
   * DrainPlanner lowers the replicas at the first reconcile past the timeout whatever the in-flight
   * requests; a drain that finished earlier ended because its workers were idle.
   */
  static boolean endedAtTimeout(
      DrainStatus before, DrainStatus after, Duration timeout, Instant now) {
    if (before == null || before.getStartedAt() == null) {
      return false;
    }
    if (after != null && Objects.equals(after.getStartedAt(), before.getStartedAt())) {
      return false;
    }
    try {
      return !now.isBefore(Instant.parse(before.getStartedAt()).plus(timeout));
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  /**
   * Removes every meter of the DisaggCluster {@code namespace/name}, e.g. when it is deleted.
   * Meters of other clusters are kept. Idempotent.
   *
   * @return the number of meters removed
   */
  public int remove(String namespace, String name) {
    gauges.keySet().removeIf(t -> matches(t, namespace, name));
    List<Meter> mine = new ArrayList<>();
    for (Meter m : registry.getMeters()) {
      if (NAMES.contains(m.getId().getName())
          && matches(Tags.of(m.getId().getTags()), namespace, name)) {
        mine.add(m);
      }
    }
    mine.forEach(registry::remove);
    return mine.size();
  }

  private static List<Pod> poolPods(List<Pod> pods, Pool pool) {
    return pods.stream()
        .filter(
            p ->
                p.getMetadata() != null
                    && p.getMetadata().getLabels() != null
                    && pool.id().equals(p.getMetadata().getLabels().get(Labels.COMPONENT)))
        .toList();
  }

  private static boolean matches(Tags tags, String namespace, String name) {
    String ns = null;
    String n = null;
    for (Tag t : tags) {
      switch (t.getKey()) {
        case "namespace" -> ns = t.getValue();
        case "name" -> n = t.getValue();
        default -> {}
      }
    }
    return Objects.equals(ns, namespace) && Objects.equals(n, name);
  }

  private void set(String meter, Tags tags, Integer value) {
    set(meter, tags, value == null ? Double.NaN : value.doubleValue());
  }

  private void set(String meter, Tags tags, double value) {
    double[] holder =
        gauges.computeIfAbsent(
            tags.and("__meter", meter),
            k -> {
              double[] h = {Double.NaN};
              Gauge.builder(meter, h, x -> x[0]).tags(tags).register(registry);
              return h;
            });
    holder[0] = value;
  }

  private void remove(String meter, Tags tags) {
    if (gauges.remove(tags.and("__meter", meter)) != null) {
      Meter m = registry.find(meter).tags(tags).gauge();
      if (m != null) {
        registry.remove(m);
      }
    }
  }
}
