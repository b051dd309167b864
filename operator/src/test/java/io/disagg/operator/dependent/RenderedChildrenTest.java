package io.disagg.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.controller.DisaggClusterReconciler;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.render.CrdAdmission;
import io.disagg.operator.render.OfflineRender;
import io.disagg.operator.testing.LocalCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The offline render builds exactly what the reconciler's workflow creates: for each sample, every
 * dependent of {@link DisaggClusterReconciler}'s {@code @Workflow}, given the render's plan,
 * desires the object the render wrote, in the workflow's order. A dependent added to the workflow
 * without the render knowing fails here.
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
        if (dependent instanceof ModelCacheClaimDependent claim) {
          if (ModelCaches.createsClaim(primary)) {
            desired.add(claim.desired(primary, context));
          }
        } else if (dependent instanceof ModelCacheJobDependent job) {
          if (ModelCaches.downloads(primary)) {
            desired.add(job.desired(primary, context));
          }
        } else {
          desired.add(((DesiredHashDependent<?>) dependent).desired(primary, context));
        }
      }
      assertThat(r.objects()).as(sample).isEqualTo(desired);
    }
  }
}
