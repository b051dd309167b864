package io.disagg.operator.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DiscoveryStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.status.Reason;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ClusterTelemetryTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  static DisaggCluster cluster(String ns, String name, DisaggClusterStatus previous) {
    DisaggCluster cr = new DisaggCluster();
    cr.getMetadata().setNamespace(ns);
    cr.getMetadata().setName(name);
    cr.setSpec(new io.disagg.operator.api.v1alpha1.DisaggClusterSpec());
    cr.getSpec().pool(Pool.CONTEXT).setDrainTimeoutSeconds(300);
    cr.getSpec().pool(Pool.GENERATION).setDrainTimeoutSeconds(300);
    cr.setStatus(previous);
    return cr;
  }

  static DisaggClusterStatus status() {
    DisaggClusterStatus s = new DisaggClusterStatus();
    s.getContext().setDesiredReplicas(3);
    s.getContext().setReplicas(3);
    s.getContext().setReadyReplicas(2);
    s.getContext().setRegisteredInstances(1);
    s.getContext().setUnregisteredReadyWorkers(1);
    s.getRouter().setReplicas(1);
    s.getRouter().setReadyReplicas(1);
    s.setConditions(
        Conditions.set(
            List.of(), ConditionType.READY, false, Reason.CONTEXT_NOT_READY, "x", 1L, T0));
    return s;
  }

  static DrainStatus drain(Instant started) {
    DrainStatus d = new DrainStatus();
    d.setFromReplicas(3);
    d.setToReplicas(2);
    d.setStartedAt(started.toString());
    return d;
  }

  static Pod unschedulable(String pool) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(pool + "-0")
        .addToLabels(Labels.COMPONENT, pool)
        .endMetadata()
        .withNewStatus()
        .withPhase("Pending")
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("False")
        .withReason("Unschedulable")
        .endCondition()
        .endStatus()
        .build();
  }

  static double gauge(SimpleMeterRegistry r, String meter, String... tags) {
    Gauge g = r.find(meter).tags(tags).gauge();
    assertThat(g).as("%s %s", meter, List.of(tags)).isNotNull();
    return g.value();
  }

  @Test
  void publishesPoolCountsRouterAndConditions() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    ClusterTelemetry t = new ClusterTelemetry(r);
    t.record(cluster("ns", "a", null), status(), List.of(unschedulable("generation")), T0);

    String[] ctx = {"namespace", "ns", "name", "a", "pool", "context"};
    assertThat(gauge(r, ClusterTelemetry.DESIRED, ctx)).isEqualTo(3);
    assertThat(gauge(r, ClusterTelemetry.READY, ctx)).isEqualTo(2);
    assertThat(gauge(r, ClusterTelemetry.REGISTERED, ctx)).isEqualTo(1);
    assertThat(gauge(r, ClusterTelemetry.UNREGISTERED_READY, ctx)).isEqualTo(1);
    assertThat(gauge(r, ClusterTelemetry.UNSCHEDULABLE, ctx)).isZero();
    assertThat(gauge(r, ClusterTelemetry.UNSCHEDULABLE, "pool", "generation")).isEqualTo(1);
    assertThat(gauge(r, ClusterTelemetry.DESIRED, "pool", "generation")).isNaN();
    assertThat(gauge(r, ClusterTelemetry.DRAINING, ctx)).isZero();
    assertThat(gauge(r, ClusterTelemetry.ROUTER_READY, "name", "a")).isEqualTo(1);
    assertThat(gauge(r, ClusterTelemetry.CONDITION, "condition", "Ready", "status", "False"))
        .isEqualTo(1);
    assertThat(gauge(r, ClusterTelemetry.CONDITION, "condition", "Ready", "status", "True"))
        .isZero();
    assertThat(r.find(ClusterTelemetry.CONDITION).tags("condition", "Stalled").gauges()).isEmpty();

    // The condition turns True; a condition that leaves the status loses its series.
    DisaggClusterStatus next = status();
    next.setConditions(
        Conditions.set(
            List.of(), ConditionType.STALLED, true, Reason.CONTEXT_NOT_READY, "y", 1L, T0));
    t.record(cluster("ns", "a", null), next, List.of(), T0);
    assertThat(r.find(ClusterTelemetry.CONDITION).tags("condition", "Ready").gauges()).isEmpty();
    assertThat(gauge(r, ClusterTelemetry.CONDITION, "condition", "Stalled", "status", "True"))
        .isEqualTo(1);
    assertThat(gauge(r, ClusterTelemetry.UNSCHEDULABLE, "pool", "generation")).isZero();
  }

  @Test
  void countsADrainThatEndedAtItsTimeoutOnce() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    ClusterTelemetry t = new ClusterTelemetry(r);
    DisaggClusterStatus draining = status();
    draining.getContext().setDrain(drain(T0));
    Instant late = T0.plus(Duration.ofSeconds(300));

    // Still draining before the timeout: gauge 1, nothing counted.
    t.record(cluster("ns", "a", draining), draining, List.of(), T0.plusSeconds(10));
    assertThat(gauge(r, ClusterTelemetry.DRAINING, "pool", "context")).isEqualTo(1);
    // Ended at the timeout: counted once; the next reconcile (no drain before) adds nothing.
    t.record(cluster("ns", "a", draining), status(), List.of(), late);
    t.record(cluster("ns", "a", status()), status(), List.of(), late.plusSeconds(2));
    assertThat(r.find(ClusterTelemetry.DRAIN_TIMEOUTS).tags("pool", "context").counter().count())
        .isEqualTo(1);
    assertThat(r.find(ClusterTelemetry.DRAIN_TIMEOUTS).tags("pool", "generation").counter().count())
        .isZero();
    assertThat(gauge(r, ClusterTelemetry.DRAINING, "pool", "context")).isZero();
  }

  @Test
  void aDrainThatEndsBeforeItsTimeoutOrGoesOnIsNotATimeout() {
    assertThat(
            ClusterTelemetry.endedAtTimeout(
                drain(T0), null, Duration.ofSeconds(300), T0.plusSeconds(299)))
        .isFalse();
    assertThat(
            ClusterTelemetry.endedAtTimeout(
                drain(T0), drain(T0), Duration.ofSeconds(300), T0.plusSeconds(400)))
        .isFalse();
    assertThat(
            ClusterTelemetry.endedAtTimeout(
                null, null, Duration.ofSeconds(300), T0.plusSeconds(400)))
        .isFalse();
    // Replaced by a new drain (another target) after the timeout: the old one ended at it.
    assertThat(
            ClusterTelemetry.endedAtTimeout(
                drain(T0),
                drain(T0.plusSeconds(400)),
                Duration.ofSeconds(300),
                T0.plusSeconds(400)))
        .isTrue();
  }

  static DisaggClusterStatus withDiscovery(Integer removedForeign, int unmatched, int malformed) {
    DisaggClusterStatus s = status();
    DiscoveryStatus d = new DiscoveryStatus();
    d.setRemovedForeign(removedForeign);
    d.setUnmatched(IntStream.range(0, unmatched).mapToObj(i -> "10.9.9." + i + ":8000").toList());
    d.setMalformed(IntStream.range(0, malformed).mapToObj(i -> "/k/" + i).toList());
    s.setDiscovery(d);
    return s;
  }

  static double removedForeign(SimpleMeterRegistry r, String name) {
    return r.find(ClusterTelemetry.FOREIGN_REMOVED).tags("name", name).counter().count();
  }

  @Test
  void countsForeignRegistrationsByHowMuchTheStatusCountGrew() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    ClusterTelemetry t = new ClusterTelemetry(r);

    // No discovery status yet: the counter exists at 0, the gauges read NaN.
    t.record(cluster("ns", "a", null), status(), List.of(), T0);
    assertThat(removedForeign(r, "a")).isZero();
    assertThat(gauge(r, ClusterTelemetry.UNMATCHED, "name", "a")).isNaN();
    assertThat(gauge(r, ClusterTelemetry.MALFORMED, "name", "a")).isNaN();

    // First removals: the field appears with 2.
    t.record(cluster("ns", "a", status()), withDiscovery(2, 1, 3), List.of(), T0);
    assertThat(removedForeign(r, "a")).isEqualTo(2);
    assertThat(gauge(r, ClusterTelemetry.UNMATCHED, "name", "a")).isEqualTo(1);
    assertThat(gauge(r, ClusterTelemetry.MALFORMED, "name", "a")).isEqualTo(3);

    // Unchanged: nothing added (an operator restart reads 2 before and after too).
    t.record(cluster("ns", "a", withDiscovery(2, 0, 0)), withDiscovery(2, 0, 0), List.of(), T0);
    assertThat(removedForeign(r, "a")).isEqualTo(2);
    assertThat(gauge(r, ClusterTelemetry.UNMATCHED, "name", "a")).isZero();

    // Grew by 3.
    t.record(cluster("ns", "a", withDiscovery(2, 0, 0)), withDiscovery(5, 0, 0), List.of(), T0);
    assertThat(removedForeign(r, "a")).isEqualTo(5);

    // The status was reset to a lower count: the counter does not go down, nor count it.
    t.record(cluster("ns", "a", withDiscovery(5, 0, 0)), withDiscovery(1, 0, 0), List.of(), T0);
    assertThat(removedForeign(r, "a")).isEqualTo(5);
    // ... and counts from there on.
    t.record(cluster("ns", "a", withDiscovery(1, 0, 0)), withDiscovery(2, 0, 0), List.of(), T0);
    assertThat(removedForeign(r, "a")).isEqualTo(6);

    // Another cluster has its own series.
    t.record(cluster("ns", "b", null), status(), List.of(), T0);
    assertThat(removedForeign(r, "b")).isZero();
  }

  @Test
  void newlyRemovedIsTheGrowthNeverNegative() {
    assertThat(ClusterTelemetry.newlyRemoved(null, null)).isZero();
    assertThat(ClusterTelemetry.newlyRemoved(null, 4)).isEqualTo(4);
    assertThat(ClusterTelemetry.newlyRemoved(4, null)).isZero();
    assertThat(ClusterTelemetry.newlyRemoved(4, 4)).isZero();
    assertThat(ClusterTelemetry.newlyRemoved(4, 7)).isEqualTo(3);
    assertThat(ClusterTelemetry.newlyRemoved(7, 2)).isZero();
  }

  @Test
  void removeDropsEveryMeterOfTheClusterAndOnlyThose() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    ClusterTelemetry t = new ClusterTelemetry(r);
    t.record(cluster("ns", "a", null), status(), List.of(), T0);
    t.record(cluster("ns", "b", null), status(), List.of(), T0);
    int before = r.getMeters().size();

    int removed = t.remove("ns", "a");

    assertThat(removed).isPositive().isEqualTo(before / 2);
    assertThat(r.getMeters()).noneMatch(m -> "a".equals(m.getId().getTag("name")));
    assertThat(t.remove("ns", "a")).isZero();
    // Recording again after a removal registers the meters anew.
    t.record(cluster("ns", "a", null), status(), List.of(), T0);
    assertThat(gauge(r, ClusterTelemetry.READY, "name", "a", "pool", "context")).isEqualTo(2);
  }

  /** The names the dashboard and alerts use, as Micrometer's Prometheus registry exports them. */
  @Test
  void prometheusNames() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    DisaggClusterStatus draining = status();
    draining.getContext().setDrain(drain(T0));
    draining.setDiscovery(withDiscovery(3, 0, 0).getDiscovery());
    new ClusterTelemetry(r)
        .record(
            cluster("ns", "a", draining), withDiscovery(5, 1, 3), List.of(), T0.plusSeconds(301));
    String text = r.scrape();
    assertThat(text)
        .contains(
            "disagg_pool_desired_instances{name=\"a\",namespace=\"ns\",pool=\"context\",} 3.0",
            "disagg_pool_instances{",
            "disagg_pool_ready_instances{",
            "disagg_pool_registered_instances{",
            "disagg_pool_unregistered_ready_workers{",
            "disagg_pool_unschedulable_pods{",
            "disagg_pool_draining{",
            "disagg_pool_drain_timeouts_total{name=\"a\",namespace=\"ns\",pool=\"context\",} 1.0",
            "disagg_router_desired_replicas{",
            "disagg_router_ready_replicas{",
            "disagg_cluster_condition{condition=\"Ready\",name=\"a\",namespace=\"ns\",status=\"False\",} 1.0",
            "disagg_discovery_foreign_registrations_removed_total{name=\"a\",namespace=\"ns\",} 2.0",
            "disagg_discovery_unmatched_registrations{name=\"a\",namespace=\"ns\",} 1.0",
            "disagg_discovery_malformed_registrations{name=\"a\",namespace=\"ns\",} 3.0");
  }
}
