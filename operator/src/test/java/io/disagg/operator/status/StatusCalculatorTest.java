package io.disagg.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.discovery.DiscoverySnapshot;
import io.disagg.operator.discovery.PodRegistrations;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Public, with the fixtures {@code T0}, {@code cr}, {@code reg}, {@code snapshot} and {@code
 * observed}: the e2e module's GitOpsHealthTest uses them.
 */
public class StatusCalculatorTest {

  public static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  static StatefulSet sts(String name, int replicas, int ready) {
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName(name)
        .withGeneration(1L)
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .endSpec()
        .withNewStatus()
        .withObservedGeneration(1L)
        .withReplicas(replicas)
        .withReadyReplicas(ready)
        .withUpdatedReplicas(replicas)
        .withCurrentRevision("r1")
        .withUpdateRevision("r1")
        .endStatus()
        .build();
  }

  static Deployment router(int ready) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName("c-router")
        .withGeneration(1L)
        .endMetadata()
        .withNewStatus()
        .withObservedGeneration(1L)
        .withReplicas(1)
        .withReadyReplicas(ready)
        .withUpdatedReplicas(1)
        .endStatus()
        .build();
  }

  public static Registration reg(Pool pool, String host) {
    return new Registration(
        "/trtllm-disagg/ns.c/workers/" + pool.serverRole() + "-" + host,
        pool.serverRole() + "-" + host,
        host,
        8000,
        pool,
        1,
        1,
        false,
        "{}");
  }

  public static DiscoverySnapshot snapshot(boolean reachable, Registration... regs) {
    return new DiscoverySnapshot(
        List.of(regs), reachable, reachable ? null : "connection refused", 5, T0);
  }

  public static StatusCalculator.Observed observed(
      DiscoverySnapshot snap,
      List<Pod> pods,
      Map<Pool, DrainStatus> drains,
      List<SpecProblem> problems) {
    return new StatusCalculator.Observed(
        Map.of(Pool.CONTEXT, sts("c-context", 2, 2), Pool.GENERATION, sts("c-generation", 1, 1)),
        router(1),
        pods,
        Map.of(Pool.CONTEXT, 2, Pool.GENERATION, 1),
        problems,
        snap,
        null,
        snap == null ? null : PodRegistrations.match(snap.registrations(), pods),
        drains,
        new ArrayList<>());
  }

  public static DisaggCluster cr() {
    DisaggCluster cr = Fixtures.minimal("ns", "c");
    cr.getSpec().getContext().setReplicas(2);
    cr.getSpec().getGeneration().setReplicas(1);
    return cr;
  }

  public static Condition condition(DisaggClusterStatus s, ConditionType type) {
    return Conditions.find(s.getConditions(), type).orElseThrow();
  }

  @Test
  void readyNeedsMinimalInstancesRegisteredInBothPools() {
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(
                snapshot(true, reg(Pool.CONTEXT, "127.1.0.1")), List.of(), Map.of(), List.of()),
            T0);
    assertThat(condition(s, ConditionType.READY).getStatus()).isEqualTo("False");
    assertThat(condition(s, ConditionType.READY).getReason()).isEqualTo("GenerationNotRegistered");
    assertThat(s.getContext().getRegisteredInstances()).isEqualTo(1);
    assertThat(s.getGeneration().getRegisteredInstances()).isZero();

    DisaggClusterStatus ready =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(
                snapshot(true, reg(Pool.CONTEXT, "127.1.0.1"), reg(Pool.GENERATION, "127.1.0.2")),
                List.of(),
                Map.of(),
                List.of()),
            T0);
    assertThat(condition(ready, ConditionType.READY).getStatus()).isEqualTo("True");
    assertThat(condition(ready, ConditionType.DISCOVERY_AVAILABLE).getStatus()).isEqualTo("True");
  }

  @Test
  void aWatchWhoseFirstListIsUnderWayIsStartingNotUnreachable() {
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(DiscoverySnapshot.initial(T0), List.of(), Map.of(), List.of()),
            T0);
    assertThat(condition(s, ConditionType.DISCOVERY_AVAILABLE).getReason())
        .isEqualTo("WatchStarting");
    assertThat(condition(s, ConditionType.READY).getReason()).isEqualTo("DiscoveryUnavailable");
    // Listed, the watch after the list not established yet, nothing failed: still starting.
    DisaggClusterStatus listed =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(
                new DiscoverySnapshot(List.of(reg(Pool.CONTEXT, "127.1.0.1")), false, null, 7, T0),
                List.of(),
                Map.of(),
                List.of()),
            T0);
    assertThat(condition(listed, ConditionType.DISCOVERY_AVAILABLE).getReason())
        .isEqualTo("WatchStarting");
    // The first list failed: that is a real problem.
    DiscoverySnapshot failed = new DiscoverySnapshot(List.of(), false, "connection refused", 0, T0);
    DisaggClusterStatus f =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(failed, List.of(), Map.of(), List.of()),
            T0);
    assertThat(condition(f, ConditionType.DISCOVERY_AVAILABLE).getReason())
        .isEqualTo("EtcdUnreachable");
  }

  @Test
  void unreachableEtcdIsNotReadyAndSaysSoWithAStableMessage() {
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(
                snapshot(false, reg(Pool.CONTEXT, "127.1.0.1"), reg(Pool.GENERATION, "127.1.0.2")),
                List.of(),
                Map.of(),
                List.of()),
            T0);
    assertThat(condition(s, ConditionType.READY).getReason()).isEqualTo("DiscoveryUnavailable");
    Condition d = condition(s, ConditionType.DISCOVERY_AVAILABLE);
    assertThat(d.getStatus()).isEqualTo("False");
    assertThat(d.getReason()).isEqualTo("EtcdUnreachable");
    assertThat(d.getMessage()).doesNotContain("connection refused");
    assertThat(s.getDiscovery().getReachable()).isFalse();
  }

  @Test
  void registrationsOfNoPodOfThisClusterAreReported() {
    Pod mine =
        new PodBuilder()
            .withNewMetadata()
            .withName("c-context-0")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("worker")
            .addNewPort()
            .withName("http")
            .withContainerPort(8000)
            .endPort()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPodIP("127.1.0.1")
            .endStatus()
            .build();
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(
                snapshot(true, reg(Pool.CONTEXT, "127.1.0.1"), reg(Pool.GENERATION, "127.1.9.9")),
                List.of(mine),
                Map.of(),
                List.of()),
            T0);
    assertThat(s.getDiscovery().getUnmatched()).containsExactly("127.1.9.9:8000");
    assertThat(condition(s, ConditionType.DISCOVERY_AVAILABLE).getReason())
        .isEqualTo("UnmatchedRegistrations");
  }

  @Test
  void aDrainIsProgressingWithItsReason() {
    DrainStatus drain = new DrainStatus();
    drain.setFromReplicas(2);
    drain.setToReplicas(1);
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(
                snapshot(true, reg(Pool.CONTEXT, "127.1.0.1"), reg(Pool.GENERATION, "127.1.0.2")),
                List.of(),
                Map.of(Pool.GENERATION, drain),
                List.of()),
            T0);
    assertThat(condition(s, ConditionType.PROGRESSING).getStatus()).isEqualTo("True");
    assertThat(condition(s, ConditionType.PROGRESSING).getReason()).isEqualTo("Draining");
    assertThat(s.getGeneration().getDrain()).isSameAs(drain);
  }

  @Test
  void unschedulablePodsDegradeWithTheSchedulersMessage() {
    Pod pending =
        new PodBuilder()
            .withNewMetadata()
            .withName("c-generation-1")
            .addToLabels("app.kubernetes.io/component", "generation")
            .endMetadata()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("0/4 nodes are available: 4 Insufficient nvidia.com/gpu.")
            .endCondition()
            .endStatus()
            .build();
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(snapshot(true), List.of(pending), Map.of(), List.of()),
            T0);
    Condition d = condition(s, ConditionType.DEGRADED);
    assertThat(d.getStatus()).isEqualTo("True");
    assertThat(d.getReason()).isEqualTo("Unschedulable");
    assertThat(d.getMessage()).contains("Insufficient nvidia.com/gpu");
  }

  @Test
  void specErrorsDegradeAndStopProgress() {
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr(), List.of()).spec().cluster(),
            observed(
                null,
                List.of(),
                Map.of(),
                List.of(
                    SpecProblem.error("spec.context.resources", "nvidia.com/gpu must equal 1"))),
            T0);
    assertThat(condition(s, ConditionType.DEGRADED).getReason()).isEqualTo("SpecInvalid");
    assertThat(condition(s, ConditionType.DEGRADED).getMessage())
        .contains("spec.context.resources");
    assertThat(condition(s, ConditionType.PROGRESSING).getStatus()).isEqualTo("False");
    // Nothing is watched while the spec is invalid: Ready (and the REASON column) names the spec,
    // not discovery.
    assertThat(condition(s, ConditionType.READY).getReason()).isEqualTo("SpecInvalid");
    assertThat(condition(s, ConditionType.READY).getMessage())
        .startsWith("spec invalid: spec.context.resources");
  }

  @Test
  void anUnchangedObservationGivesAnIdenticalStatus() {
    DisaggCluster cr = cr();
    var o =
        observed(
            snapshot(true, reg(Pool.CONTEXT, "127.1.0.1"), reg(Pool.GENERATION, "127.1.0.2")),
            List.of(),
            Map.of(),
            List.of());
    cr.setStatus(
        StatusCalculator.compute(EffectiveSpecs.of(cr, List.of()).spec().cluster(), o, T0));
    DisaggClusterStatus later =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr, List.of()).spec().cluster(), o, T0.plusSeconds(3600));
    assertThat(later.getConditions())
        .usingRecursiveFieldByFieldElementComparator()
        .isEqualTo(cr.getStatus().getConditions());
  }
}
