package io.disagg.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PodSecuritySpec;
import io.disagg.operator.api.v1alpha1.PodTemplateOverrides;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.core.SpecProblem.Severity;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Settings below the Pod Security level docs/pod-security.md promises are spec warnings. */
class PodSecurityLevelsTest {

  private static List<SpecProblem> security(DisaggCluster cr) {
    return SpecValidatorTest.validate(cr).stream()
        .filter(p -> p.field().startsWith("spec.podSecurity") || p.field().endsWith("podTemplate"))
        .toList();
  }

  @Test
  void theDefaultsAndEfaDefaultsWarnNothing() {
    assertThat(security(Fixtures.minimal("ml", "qwen"))).isEmpty();
    assertThat(security(Fixtures.efa("ml", "qwen"))).isEmpty();
  }

  @Test
  void rootBySpecIsAWarning() {
    DisaggCluster cr = Fixtures.minimal("ml", "qwen");
    cr.getSpec().setPodSecurity(new PodSecuritySpec());
    cr.getSpec().getPodSecurity().setRunAsUser(0L);
    assertThat(security(cr))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo("spec.podSecurity.runAsUser");
              assertThat(p.severity()).isEqualTo(Severity.WARNING);
              assertThat(p.message())
                  .contains("worker pods run as root", "baseline, not restricted");
            });
  }

  @Test
  void aPortBelow1024ForANonRootProcessIsAWarning() {
    DisaggCluster cr = Fixtures.minimal("ml", "qwen");
    cr.getSpec().getRouter().setPort(80);
    assertThat(SpecValidatorTest.validate(cr))
        .extracting(SpecProblem::field)
        .containsExactly("spec.router.port");
    cr.getSpec().setPodSecurity(new PodSecuritySpec());
    cr.getSpec().getPodSecurity().setRunAsUser(0L);
    assertThat(SpecValidatorTest.validate(cr))
        .extracting(SpecProblem::field)
        .containsExactly("spec.podSecurity.runAsUser");
  }

  @Test
  void aPodTemplateThatLowersAPoolIsAWarningNamingTheChecks() {
    DisaggCluster cr = Fixtures.minimal("ml", "qwen");
    PodTemplateOverrides o = new PodTemplateOverrides();
    o.setSecurityContext(new PodSecurityContextBuilder().withRunAsUser(0L).build());
    o.getSidecars().add(new ContainerBuilder().withName("log").withImage("busybox").build());
    cr.getSpec().getContext().setPodTemplate(o);
    assertThat(security(cr))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo("spec.context.podTemplate");
              assertThat(p.severity()).isEqualTo(Severity.WARNING);
              assertThat(p.message())
                  .contains(
                      "context worker pods at the Pod Security Standard baseline, below the"
                          + " restricted",
                      "pod runAsUser 0 (check_runAsUser.go)",
                      "container log: allowPrivilegeEscalation is not false");
            });
  }

  @Test
  void efaPoolsArePromisedPrivilegedOnlySoNothingIsBelowIt() {
    DisaggCluster cr = Fixtures.efa("ml", "qwen");
    PodTemplateOverrides o = new PodTemplateOverrides();
    o.getSidecars().add(new ContainerBuilder().withName("log").withImage("busybox").build());
    o.getVolumes().add(new VolumeBuilder().withName("h").withNewHostPath("/var/log", null).build());
    cr.getSpec().getGeneration().setPodTemplate(o);
    assertThat(security(cr)).isEmpty();
  }
}
