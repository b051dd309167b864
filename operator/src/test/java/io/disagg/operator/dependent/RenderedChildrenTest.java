package io.disagg.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.controller.DisaggClusterReconciler;
import io.disagg.operator.render.CrdAdmission;
import io.disagg.operator.render.OfflineRender;
import io.disagg.operator.testing.LocalCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The offline render builds exactly what the reconciler's workflow creates: for each sample, every
 * dependent of {@link DisaggClusterReconciler}'s {@code @Workflow}, given the render's plan,
 * desires the object the render wrote, in the workflow's order (a dependent whose reconcile
 * precondition is not met, such as the PodMonitors of a cluster that does not ask for them, none).
 * A dependent added to the workflow without the render knowing fails here.
 */
class RenderedChildrenTest {

  @Test
  void theRenderWritesWhatEveryWorkflowDependentDesires() throws Exception {
    Workflow workflow = DisaggClusterReconciler.class.getAnnotation(Workflow.class);
    for (String sample : List.of("minimal.yaml", "aws-efa-p5.yaml")) {
      String yaml =
          Files.readString(LocalCluster.repoRoot().resolve("config-samples").resolve(sample));
      OfflineRender.Rendered r =
          (OfflineRender.Rendered)
              new OfflineRender(
                      CrdAdmission.builtIn(), new OfflineRender.Settings(List.of(), "serving"))
                  .render(yaml);
      DisaggCluster primary = r.plan().cluster();
      var context = new FakeApiServer().context(primary, r.plan());
      List<HasMetadata> desired = new ArrayList<>();
      for (Dependent d : workflow.dependents()) {
        Object dependent = d.type().getDeclaredConstructor().newInstance();
        if (d.reconcilePrecondition() != Condition.class) {
          // A dependent the workflow reconciles only on a condition (PodMonitors, model cache).
          @SuppressWarnings({"unchecked", "rawtypes"})
          Condition<HasMetadata, DisaggCluster> pre =
              (Condition) d.reconcilePrecondition().getDeclaredConstructor().newInstance();
          @SuppressWarnings({"unchecked", "rawtypes"})
          DependentResource<HasMetadata, DisaggCluster> dr = (DependentResource) dependent;
          if (!pre.isMet(dr, primary, context)) {
            continue;
          }
        }
        if (dependent instanceof ModelCacheClaimDependent claim) {
          desired.add(claim.desired(primary, context));
        } else {
          desired.add(((DesiredHashDependent<?>) dependent).desired(primary, context));
        }
      }
      assertThat(r.objects()).as(sample).isEqualTo(desired);
    }
  }
}
