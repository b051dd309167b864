package io.disagg.e2e.trtllm;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import org.junit.jupiter.api.Test;

/** The kubelet's {@code verifyRunAsNonRoot}, as the simulated kubelet applies it. */
class RunAsNonRootTest {

  private static Pod pod(Boolean nonRoot, Long uid) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("w-0")
        .withNamespace("ns")
        .withUid("u")
        .endMetadata()
        .withNewSpec()
        .withSecurityContext(
            new PodSecurityContextBuilder().withRunAsNonRoot(nonRoot).withRunAsUser(uid).build())
        .endSpec()
        .build();
  }

  @Test
  void nonRootWithoutAUidRefusesTheRootImage() {
    assertThatThrownBy(
            () ->
                RunAsNonRoot.verify(
                    pod(true, null), new ContainerBuilder().withName("worker").build()))
        .hasMessage(
            "container has runAsNonRoot and image will run as root (pod: \"w-0_ns(u)\", container: worker)");
  }

  @Test
  void nonRootWithUidZeroBreaksThePolicy() {
    assertThatThrownBy(
            () -> RunAsNonRoot.verify(pod(true, 0L), new ContainerBuilder().withName("r").build()))
        .hasMessageStartingWith("container's runAsUser breaks non-root policy");
  }

  @Test
  void aUidOrNoPolicyRuns() {
    assertThatCode(
            () ->
                RunAsNonRoot.verify(pod(true, 1000L), new ContainerBuilder().withName("w").build()))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                RunAsNonRoot.verify(pod(null, null), new ContainerBuilder().withName("w").build()))
        .doesNotThrowAnyException();
    // the container's own field wins over the pod's
    assertThatCode(
            () ->
                RunAsNonRoot.verify(
                    pod(true, null),
                    new ContainerBuilder()
                        .withName("w")
                        .withSecurityContext(new SecurityContextBuilder().withRunAsUser(7L).build())
                        .build()))
        .doesNotThrowAnyException();
  }
}
