package io.disagg.e2e.trtllm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;

/**
 * The kubelet's {@code runAsNonRoot} check before it creates a container, as the simulated kubelet
 * does it: {@code verifyRunAsNonRoot} in {@code pkg/kubelet/kuberuntime/security_context_others.go}
 * (Kubernetes v1.33.13), on the effective security context ({@code
 * securitycontext.DetermineEffectiveSecurityContext}: the container's field, else the pod's). The
 * simulated image is TensorRT-LLM's release image, which sets no {@code USER} ({@code
 * docker/Dockerfile.multi}) and so runs as UID 0. A failure is a {@code
 * CreateContainerConfigError}: the container is not created and the kubelet tries again at its next
 * sync.
 */
public final class RunAsNonRoot {
  private RunAsNonRoot() {}

  /** UID the simulated TensorRT-LLM image runs as when nothing sets one: root. */
  public static final long IMAGE_UID = 0;

  /**
   * Throws {@link IllegalStateException} with the kubelet's message when {@code c} may not run:
   * {@code runAsNonRoot} true and a {@code runAsUser} of 0, or no {@code runAsUser} and an image
   * that runs as root.
   */
  public static void verify(Pod pod, Container c) {
    PodSecurityContext psc = pod.getSpec().getSecurityContext();
    SecurityContext sc = c.getSecurityContext();
    Boolean nonRoot =
        sc != null && sc.getRunAsNonRoot() != null
            ? sc.getRunAsNonRoot()
            : psc == null ? null : psc.getRunAsNonRoot();
    if (!Boolean.TRUE.equals(nonRoot)) {
      return;
    }
    Long uid =
        sc != null && sc.getRunAsUser() != null
            ? sc.getRunAsUser()
            : psc == null ? null : psc.getRunAsUser();
    String where =
        " (pod: \""
            + pod.getMetadata().getName()
            + "_"
            + pod.getMetadata().getNamespace()
            + "("
            + pod.getMetadata().getUid()
            + ")\", container: "
            + c.getName()
            + ")";
    if (uid != null) {
      if (uid == 0) {
        throw new IllegalStateException("container's runAsUser breaks non-root policy" + where);
      }
      return;
    }
    if (IMAGE_UID == 0) {
      throw new IllegalStateException(
          "container has runAsNonRoot and image will run as root" + where);
    }
  }
}
