package io.disagg.e2e.status;

import static io.disagg.operator.status.StatusCalculatorTest.T0;
import static io.disagg.operator.status.StatusCalculatorTest.observed;
import static io.disagg.operator.status.StatusCalculatorTest.reg;
import static io.disagg.operator.status.StatusCalculatorTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.e2e.testing.GitOpsHealth;
import io.disagg.e2e.testing.GitOpsHealth.Verdict;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.status.Reason;
import io.disagg.operator.status.StatusCalculator;
import io.disagg.operator.status.StatusCalculatorTest;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The statuses the operator writes, judged by Flux's kstatus library and by Argo CD's Lua
 * interpreter running the health script of config-samples/argocd/: what docs/gitops.md promises.
 */
class GitOpsHealthTest {

  private static DisaggCluster cr(long generation) {
    DisaggCluster cr = StatusCalculatorTest.cr();
    cr.getMetadata().setGeneration(generation);
    return cr;
  }

  private static Verdict judge(DisaggCluster cr, StatusCalculator.Observed o) {
    DisaggClusterStatus s =
        StatusCalculator.compute(EffectiveSpecs.of(cr, List.of()).spec().cluster(), o, T0);
    cr.setStatus(s);
    return GitOpsHealth.of(cr);
  }

  private static StatusCalculator.Observed serving() {
    return observed(
        snapshot(true, reg(Pool.CONTEXT, "127.1.0.1"), reg(Pool.GENERATION, "127.1.0.2")),
        List.of(),
        Map.of(),
        List.of());
  }

  @Test
  void aServingClusterIsHealthyForBoth() {
    Verdict v = judge(cr(1), serving());
    assertThat(v.kstatus()).isEqualTo("Current");
    assertThat(v.argocd()).isEqualTo("Healthy");
    assertThat(v.argocdMessage()).contains("context 2/2 ready");
  }

  @Test
  void workersNotYetRegisteredAreInProgress() {
    Verdict v =
        judge(
            cr(1),
            observed(
                snapshot(true, reg(Pool.CONTEXT, "127.1.0.1")), List.of(), Map.of(), List.of()));
    assertThat(v.kstatus()).isEqualTo("InProgress");
    assertThat(v.argocd()).isEqualTo("Progressing");
    assertThat(v.argocdMessage()).startsWith("GenerationNotRegistered");
  }

  @Test
  void aDrainIsInProgressWhileStillServing() {
    DrainStatus drain = new DrainStatus();
    drain.setFromReplicas(2);
    drain.setToReplicas(1);
    Verdict v =
        judge(
            cr(1),
            observed(
                snapshot(true, reg(Pool.CONTEXT, "127.1.0.1"), reg(Pool.GENERATION, "127.1.0.2")),
                List.of(),
                Map.of(Pool.GENERATION, drain),
                List.of()));
    assertThat(v.kstatus()).isEqualTo("InProgress");
    assertThat(v.argocd()).isEqualTo("Progressing");
    assertThat(v.argocdMessage()).startsWith("Draining");
  }

  @Test
  void anInvalidSpecFailsForBoth() {
    Verdict v =
        judge(
            cr(1),
            observed(
                null,
                List.of(),
                Map.of(),
                List.of(
                    SpecProblem.error("spec.context.resources", "nvidia.com/gpu must equal 1"))));
    assertThat(v.kstatus()).isEqualTo("Failed");
    assertThat(v.kstatusMessage()).contains("spec.context.resources");
    assertThat(v.argocd()).isEqualTo("Degraded");
    assertThat(v.argocdMessage()).startsWith("SpecInvalid: spec.context.resources");
  }

  @Test
  void unschedulableWorkersOfAClusterThatDoesNotServeFail() {
    Pod pending =
        new PodBuilder()
            .withNewMetadata()
            .withName("c-generation-0")
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
    Verdict v =
        judge(
            cr(1),
            observed(
                snapshot(true, reg(Pool.CONTEXT, "127.1.0.1")),
                List.of(pending),
                Map.of(),
                List.of()));
    assertThat(v.kstatus()).isEqualTo("Failed");
    assertThat(v.argocd()).isEqualTo("Degraded");
    assertThat(v.argocdMessage()).contains("Insufficient nvidia.com/gpu");
  }

  @Test
  void aReconcileErrorTheOperatorRetriesIsInProgressForFluxAndDegradedForArgo() {
    DisaggCluster cr = cr(1);
    DisaggClusterStatus s =
        StatusCalculator.compute(
            EffectiveSpecs.of(cr, List.of()).spec().cluster(),
            observed(snapshot(true), List.of(), Map.of(), List.of()),
            T0);
    s.setConditions(
        Conditions.withGitOpsSummary(
            Conditions.set(
                s.getConditions(),
                ConditionType.DEGRADED,
                true,
                Reason.RECONCILE_ERROR,
                "Operation: [patch] failed: connection refused",
                1L,
                T0),
            1L,
            T0));
    cr.setStatus(s);
    Verdict v = GitOpsHealth.of(cr);
    assertThat(v.kstatus()).isEqualTo("InProgress");
    assertThat(v.argocd()).isEqualTo("Degraded");
  }

  @Test
  void aSpecChangeNotYetObservedIsInProgressEvenIfTheOldOneServes() {
    DisaggCluster cr = cr(1);
    cr.setStatus(
        StatusCalculator.compute(EffectiveSpecs.of(cr, List.of()).spec().cluster(), serving(), T0));
    cr.getMetadata()
        .setGeneration(2L); // the user applied a change; the operator has not reconciled it
    Verdict v = GitOpsHealth.of(cr);
    assertThat(v.kstatus()).isEqualTo("InProgress");
    assertThat(v.argocd()).isEqualTo("Progressing");
    assertThat(v.argocdMessage()).contains("generation 2");
  }

  @Test
  void deletionIsTerminatingForFluxAndProgressingForArgo() {
    DisaggCluster cr = cr(1);
    cr.setStatus(
        StatusCalculator.compute(EffectiveSpecs.of(cr, List.of()).spec().cluster(), serving(), T0));
    cr.getMetadata().setDeletionTimestamp("2026-11-22T10:05:00Z");
    Verdict v = GitOpsHealth.of(cr);
    assertThat(v.kstatus()).isEqualTo("Terminating");
    assertThat(v.argocd()).isEqualTo("Progressing");
  }

  @Test
  void withoutAnyStatusArgoWaits() {
    Verdict v = GitOpsHealth.of(cr(1));
    assertThat(v.argocd()).isEqualTo("Progressing");
    // kstatus reads an object without status.conditions as Current (its documented rule for types
    // that publish no status); docs/gitops.md says so. The operator writes a status on first
    // reconcile.
    assertThat(v.kstatus()).isEqualTo("Current");
  }
}
