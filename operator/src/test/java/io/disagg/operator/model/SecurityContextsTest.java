package io.disagg.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PodSecuritySpec;
import io.disagg.operator.api.v1alpha1.PodTemplateOverrides;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.SecurityContexts.Level;
import io.disagg.operator.scaling.Replicas;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The security defaults of every pod the operator renders, and the level evaluation that follows
 * k8s.io/pod-security-admission's {@code policy/} checks (the API server's own admission is
 * exercised by the e2e {@code PodSecurityAdmissionIT}).
 */
class SecurityContextsTest {

  private static DisaggCluster effective(DisaggCluster cr) {
    return EffectiveSpecs.of(cr, List.of("etcd:2379")).spec().cluster();
  }

  private static PodSpec worker(DisaggCluster cr, Pool pool) {
    DisaggCluster e = effective(cr);
    return WorkerStatefulSets.desired(
            e, ModelFixtures.names(e), pool, Replicas.desired(e, pool), "h", "{}")
        .getSpec()
        .getTemplate()
        .getSpec();
  }

  private static PodSpec router(DisaggCluster cr) {
    DisaggCluster e = effective(cr);
    return RouterDeployments.desired(e, ModelFixtures.names(e), 1, "h")
        .getSpec()
        .getTemplate()
        .getSpec();
  }

  private static DisaggCluster cached(DisaggCluster cr) {
    cr.getSpec().setModelCache(new io.disagg.operator.api.v1alpha1.ModelCacheSpec());
    cr.getSpec().getModelCache().setSize(new Quantity("100Gi"));
    return cr;
  }

  private static PodSpec download(DisaggCluster cr) {
    return ModelCaches.job(effective(cr)).getSpec().getTemplate().getSpec();
  }

  private static List<Container> all(PodSpec p) {
    List<Container> out = new ArrayList<>(p.getInitContainers());
    out.addAll(p.getContainers());
    return out;
  }

  @Test
  void withoutEfaEveryOperatorPodMeetsRestricted() {
    DisaggCluster cr = cached(ModelFixtures.cluster());
    cr.getSpec()
        .getKvCacheTransfer()
        .setNixlBackend(io.disagg.operator.api.v1alpha1.NixlBackend.LIBFABRIC);
    PodSpec w = worker(cr, Pool.CONTEXT);
    assertThat(w.getInitContainers())
        .extracting(Container::getName)
        .containsExactly("fabric-preflight", "model-cache-wait");
    for (PodSpec p : List.of(w, worker(cr, Pool.GENERATION), router(cr), download(cr))) {
      assertThat(SecurityContexts.violations(p)).isEmpty();
      assertThat(SecurityContexts.level(p)).isEqualTo(Level.RESTRICTED);
      assertThat(p.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(p.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
      assertThat(p.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      for (Container c : all(p)) {
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      }
    }
    assertThat(download(cr).getSecurityContext().getFsGroup()).isEqualTo(1000L);
  }

  @Test
  void writableTmpAndHomeInEveryLongRunningContainer() {
    DisaggCluster cr = cached(ModelFixtures.cluster());
    for (PodSpec p : List.of(worker(cr, Pool.CONTEXT), router(cr), download(cr))) {
      Container c = p.getContainers().get(0);
      assertThat(c.getVolumeMounts())
          .extracting(VolumeMount::getMountPath)
          .contains("/tmp", "/home/trtllm");
      assertThat(c.getEnv())
          .filteredOn(e -> e.getName().equals("HOME"))
          .extracting(EnvVar::getValue)
          .containsExactly("/home/trtllm");
      assertThat(p.getVolumes())
          .filteredOn(v -> v.getName().equals("tmp") || v.getName().equals("home"))
          .allSatisfy(v -> assertThat(v.getEmptyDir()).isNotNull())
          .hasSize(2);
    }
  }

  @Test
  void aHomeOfTheUserWinsAndReadOnlyRootCanBeTurnedOff() {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec()
        .getContext()
        .getEnv()
        .add(new io.fabric8.kubernetes.api.model.EnvVar("HOME", "/data", null));
    cr.getSpec().setPodSecurity(new PodSecuritySpec());
    cr.getSpec().getPodSecurity().setReadOnlyRootFilesystem(false);
    cr.getSpec().getPodSecurity().setRunAsUser(4242L);
    Container c = worker(cr, Pool.CONTEXT).getContainers().get(0);
    assertThat(c.getEnv())
        .filteredOn(e -> e.getName().equals("HOME"))
        .extracting(EnvVar::getValue)
        .containsExactly("/data");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isFalse();
    assertThat(worker(cr, Pool.CONTEXT).getSecurityContext().getRunAsUser()).isEqualTo(4242L);
    assertThat(router(cr).getSecurityContext().getRunAsUser()).isEqualTo(4242L);
    assertThat(SecurityContexts.level(router(cr))).isEqualTo(Level.RESTRICTED);
  }

  @Test
  void efaWorkersMeetPrivilegedOnlyAndStayTheImagesUser() {
    DisaggCluster cr = ModelFixtures.efaCluster();
    PodSpec w = worker(cr, Pool.GENERATION);
    assertThat(w.getSecurityContext().getRunAsUser()).isNull();
    assertThat(w.getSecurityContext().getRunAsNonRoot()).isNull();
    assertThat(w.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    for (Container c : all(w)) {
      assertThat(c.getSecurityContext().getCapabilities().getAdd())
          .containsExactly("IPC_LOCK", "SYS_RESOURCE");
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).isEmpty();
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    }
    assertThat(SecurityContexts.level(w)).isEqualTo(Level.PRIVILEGED);
    assertThat(SecurityContexts.violations(w))
        .filteredOn(v -> v.breaks() == Level.BASELINE)
        .extracting(SecurityContexts.Violation::message)
        .allMatch(m -> m.contains("[IPC_LOCK, SYS_RESOURCE] beyond baseline's"))
        .isNotEmpty();
    assertThat(SecurityContexts.level(router(cr))).isEqualTo(Level.RESTRICTED);
  }

  @Test
  void privilegedEfaDoesNotAlsoForbidPrivilegeEscalation() {
    DisaggCluster cr = ModelFixtures.efaCluster();
    cr.getSpec().getFabric().getEfa().setPrivileged(true);
    Container c = worker(cr, Pool.CONTEXT).getContainers().get(0);
    assertThat(c.getSecurityContext().getPrivileged()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation())
        .as("the API server refuses privileged together with allowPrivilegeEscalation false")
        .isNull();
  }

  @Test
  void theUsersPodSecurityContextWinsFieldByField() {
    DisaggCluster cr = ModelFixtures.cluster();
    PodTemplateOverrides o = new PodTemplateOverrides();
    o.setSecurityContext(
        new PodSecurityContextBuilder().withRunAsUser(0L).withFsGroup(2000L).build());
    cr.getSpec().getContext().setPodTemplate(o);
    PodSpec p = worker(cr, Pool.CONTEXT);
    assertThat(p.getSecurityContext().getRunAsUser()).isZero();
    assertThat(p.getSecurityContext().getRunAsNonRoot())
        .as("the kubelet refuses runAsNonRoot with UID 0")
        .isNull();
    assertThat(p.getSecurityContext().getFsGroup()).isEqualTo(2000L);
    assertThat(p.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(SecurityContexts.level(p)).isEqualTo(Level.BASELINE);
    assertThat(SecurityContexts.level(worker(cr, Pool.GENERATION))).isEqualTo(Level.RESTRICTED);
    assertThat(cr.getSpec().getContext().getPodTemplate().getSecurityContext().getRunAsNonRoot())
        .as("the resource is not changed")
        .isNull();
  }

  @Test
  void theUsersContainerSecurityContextWinsFieldByField() {
    DisaggCluster cr = ModelFixtures.cluster();
    PodTemplateOverrides o = new PodTemplateOverrides();
    o.setContainerSecurityContext(
        new SecurityContextBuilder().withReadOnlyRootFilesystem(false).build());
    cr.getSpec().getGeneration().setPodTemplate(o);
    Container c = worker(cr, Pool.GENERATION).getContainers().get(0);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isFalse();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
  }

  @Test
  void rootByTheSpecIsBaselineEverywhere() {
    DisaggCluster cr = cached(ModelFixtures.cluster());
    cr.getSpec().setPodSecurity(new PodSecuritySpec());
    cr.getSpec().getPodSecurity().setRunAsUser(0L);
    for (PodSpec p : List.of(worker(cr, Pool.CONTEXT), router(cr), download(cr))) {
      assertThat(p.getSecurityContext().getRunAsNonRoot()).isNull();
      assertThat(p.getSecurityContext().getRunAsUser()).isZero();
      assertThat(SecurityContexts.level(p)).isEqualTo(Level.BASELINE);
    }
    assertThat(download(cr).getSecurityContext().getFsGroup()).isNull();
    assertThat(SecurityContexts.workerLevel(effective(cr))).isEqualTo(Level.BASELINE);
  }

  @Test
  void theClustersLevelIsItsLowestPods() {
    assertThat(level(cached(ModelFixtures.cluster()))).isEqualTo(Level.RESTRICTED);
    assertThat(level(ModelFixtures.efaCluster())).isEqualTo(Level.PRIVILEGED);
    DisaggCluster oneSidecar = ModelFixtures.cluster();
    oneSidecar.getSpec().getGeneration().setPodTemplate(new PodTemplateOverrides());
    oneSidecar
        .getSpec()
        .getGeneration()
        .getPodTemplate()
        .getSidecars()
        .add(new ContainerBuilder().withName("log").withImage("busybox").build());
    assertThat(level(oneSidecar)).isEqualTo(Level.BASELINE);
  }

  private static Level level(DisaggCluster cr) {
    return SecurityContexts.level(EffectiveSpecs.of(cr, List.of("etcd:2379")).spec());
  }

  @Test
  void levelFollowsThePodSecurityAdmissionChecks() {
    PodSpec restricted = worker(ModelFixtures.cluster(), Pool.CONTEXT);
    assertThat(SecurityContexts.level(restricted)).isEqualTo(Level.RESTRICTED);

    PodSpec sidecar = worker(ModelFixtures.cluster(), Pool.CONTEXT);
    sidecar
        .getContainers()
        .add(new ContainerBuilder().withName("log").withImage("busybox").build());
    assertThat(SecurityContexts.level(sidecar)).isEqualTo(Level.BASELINE);
    assertThat(SecurityContexts.violations(sidecar))
        .extracting(SecurityContexts.Violation::message)
        .contains(
            "container log: allowPrivilegeEscalation is not false (check_allowPrivilegeEscalation.go)",
            "container log: capabilities.drop lacks ALL (check_capabilities_restricted.go)");

    PodSpec hostPath = worker(ModelFixtures.cluster(), Pool.CONTEXT);
    hostPath
        .getVolumes()
        .add(new VolumeBuilder().withName("h").withNewHostPath("/var", null).build());
    assertThat(SecurityContexts.level(hostPath)).isEqualTo(Level.PRIVILEGED);

    PodSpec nfs = worker(ModelFixtures.cluster(), Pool.CONTEXT);
    nfs.getVolumes().add(new VolumeBuilder().withName("n").withNewNfs("/x", false, "s").build());
    assertThat(SecurityContexts.level(nfs)).isEqualTo(Level.BASELINE);

    PodSpec netBind = worker(ModelFixtures.cluster(), Pool.CONTEXT);
    netBind
        .getContainers()
        .get(0)
        .getSecurityContext()
        .getCapabilities()
        .setAdd(List.of("NET_BIND_SERVICE"));
    assertThat(SecurityContexts.level(netBind)).isEqualTo(Level.RESTRICTED);

    PodSpec unconfined = worker(ModelFixtures.cluster(), Pool.CONTEXT);
    unconfined.getSecurityContext().getSeccompProfile().setType("Unconfined");
    assertThat(SecurityContexts.level(unconfined)).isEqualTo(Level.PRIVILEGED);

    PodSpec hostNetwork = worker(ModelFixtures.cluster(), Pool.CONTEXT);
    hostNetwork.setHostNetwork(true);
    assertThat(SecurityContexts.level(hostNetwork)).isEqualTo(Level.PRIVILEGED);
  }
}
