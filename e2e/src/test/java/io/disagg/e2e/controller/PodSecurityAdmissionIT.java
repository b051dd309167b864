package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Testbed;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PodSecuritySpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.RouterDeployments;
import io.disagg.operator.model.SecurityContexts;
import io.disagg.operator.model.SecurityContexts.Level;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Pod Security Standard levels docs/pod-security.md promises, checked by the API server's own
 * PodSecurity admission (on by default in kube-apiserver; the local cluster's {@code
 * e2e/cluster/kwokctl.yaml} only adds plugins). Each test labels its namespace {@code
 * pod-security.kubernetes.io/enforce=<level>} with {@code enforce-version} pinned, then posts the
 * pods the operator renders (worker pods of both pools with their init containers, router pod,
 * model download Job pod; rendered offline from the samples as the operator renders them) as Pods
 * with {@code dryRun=All}: admission runs, nothing is stored or scheduled. It asserts what is
 * admitted and that a configuration documented for a lower level is refused with the PodSecurity
 * message, and that the operator's own evaluation ({@link SecurityContexts#level}) agrees with the
 * API server for every pod posted. One case per documented level, and the minimal sample end to end
 * in a restricted namespace (the operator creates it, the StatefulSet and Deployment controllers
 * create its pods, it becomes Ready).
 */
@ClusterTest
class PodSecurityAdmissionIT {

  /** The policy version pinned: the local control plane's Kubernetes release. */
  static final String POLICY_VERSION = "v1.33";

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @BeforeAll
  static void crd() {
    try (var c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void restrictedAdmitsEveryPodOfTheDefaultsAndRefusesEfaWorkersAndRoot(TestNamespace ns) {
    enforce(ns, Level.RESTRICTED);
    DisaggCluster plain = sample("minimal.yaml", ns);
    // NIXL over LIBFABRIC: the worker pods get the fabric-preflight init container too
    plain.getSpec().getKvCacheTransfer().setBackend(KvCacheTransferBackend.NIXL);
    plain.getSpec().getKvCacheTransfer().setNixlBackend(NixlBackend.LIBFABRIC);
    withCache(plain);
    Map<String, PodSpec> pods = pods(plain);
    assertThat(pods.keySet()).containsExactly("context", "generation", "router", "download");
    // the worker pods carry both init containers (fabric-preflight, model-cache-wait)
    assertThat(pods.get("context").getInitContainers()).hasSize(2);
    for (var e : pods.entrySet()) {
      assertAdmitted(ns, e.getKey(), e.getValue());
    }

    DisaggCluster efa = sample("aws-efa-p5.yaml", ns);
    assertRefused(ns, "efa-worker", pods(efa).get("generation"), "restricted", "IPC_LOCK");
    assertAdmitted(ns, "efa-router", pods(efa).get("router"));

    DisaggCluster root = sample("minimal.yaml", ns);
    root.getSpec().setPodSecurity(new PodSecuritySpec());
    root.getSpec().getPodSecurity().setRunAsUser(0L);
    assertRefused(ns, "root-worker", pods(root).get("context"), "restricted", "runAsUser=0");
  }

  @Test
  void baselineAdmitsRootButRefusesEfaWorkers(TestNamespace ns) {
    enforce(ns, Level.BASELINE);
    DisaggCluster root = withCache(sample("minimal.yaml", ns));
    root.getSpec().setPodSecurity(new PodSecuritySpec());
    root.getSpec().getPodSecurity().setRunAsUser(0L);
    root.getSpec().getPodSecurity().setReadOnlyRootFilesystem(false);
    for (var e : pods(root).entrySet()) {
      assertAdmitted(ns, "root-" + e.getKey(), e.getValue());
    }
    DisaggCluster efa = sample("aws-efa-p5.yaml", ns);
    Map<String, PodSpec> efaPods = pods(efa);
    assertRefused(ns, "efa-worker", efaPods.get("context"), "baseline", "non-default capabilities");
    assertAdmitted(ns, "efa-router", efaPods.get("router"));
    assertAdmitted(ns, "efa-download", efaPods.get("download"));
  }

  @Test
  void privilegedAdmitsEfaWorkers(TestNamespace ns) {
    enforce(ns, Level.PRIVILEGED);
    DisaggCluster efa = sample("aws-efa-p5.yaml", ns);
    for (var e : pods(efa).entrySet()) {
      assertAdmitted(ns, "efa-" + e.getKey(), e.getValue());
    }
    DisaggCluster privileged = sample("aws-efa-p5.yaml", ns);
    privileged.getSpec().getFabric().getEfa().setPrivileged(true);
    assertAdmitted(ns, "efa-privileged-worker", pods(privileged).get("generation"));
  }

  @Test
  void theMinimalSampleBecomesReadyInARestrictedNamespace(TestNamespace ns) {
    enforce(ns, Level.RESTRICTED);
    try (Testbed bed = Testbed.start(ns)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      ns.client().resource(cr).create();
      DisaggCluster ready = DisaggClusters.awaitReady(ns, cr.getMetadata().getName());
      assertThat(ready.getStatus().getPodSecurityLevel()).isEqualTo("restricted");
      List<Pod> pods = ns.client().pods().inNamespace(ns.name()).list().getItems();
      assertThat(pods).hasSizeGreaterThanOrEqualTo(4); // 2 context, 1 generation, 1 router
      for (Pod p : pods) {
        assertThat(SecurityContexts.level(p.getSpec())).isEqualTo(Level.RESTRICTED);
      }
    }
  }

  // ---------------------------------------------------------------------------------------

  /** Labels the namespace to enforce {@code level} and waits for its default ServiceAccount. */
  private static void enforce(TestNamespace ns, Level level) {
    ns.client()
        .namespaces()
        .withName(ns.name())
        .edit(
            n -> {
              n.getMetadata().getLabels().put("pod-security.kubernetes.io/enforce", level.label());
              n.getMetadata()
                  .getLabels()
                  .put("pod-security.kubernetes.io/enforce-version", POLICY_VERSION);
              return n;
            });
    // without it the ServiceAccount admission plugin refuses the pod before PodSecurity runs
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                ns.client().serviceAccounts().inNamespace(ns.name()).withName("default").get()
                    != null);
  }

  private static DisaggCluster sample(String file, TestNamespace ns) {
    DisaggCluster cr = Samples.load(file);
    cr.getMetadata().setNamespace(ns.name());
    return cr;
  }

  private static DisaggCluster withCache(DisaggCluster cr) {
    if (cr.getSpec().getModelCache() == null) {
      ModelCacheSpec mc = new ModelCacheSpec();
      mc.setSize(new Quantity("10Gi"));
      cr.getSpec().setModelCache(mc);
    }
    return cr;
  }

  /**
   * The pod specs the operator renders for {@code cr}: both worker pools, the router and, with a
   * model cache, the download Job's pod; keyed {@code context}, {@code generation}, {@code router},
   * {@code download}.
   */
  private static Map<String, PodSpec> pods(DisaggCluster cr) {
    EffectiveSpec effective = EffectiveSpecs.of(cr, List.of("etcd:2379")).spec();
    DisaggCluster e = effective.cluster();
    RevisionNames names = RevisionNames.legacy(effective, "0123456789");
    Map<String, PodSpec> out = new LinkedHashMap<>();
    for (Pool pool : Pool.values()) {
      out.put(pool.id(), WorkerStatefulSets.podTemplate(e, names, pool, "h").getSpec());
    }
    out.put(
        "router", RouterDeployments.desired(e, names, 1, "h").getSpec().getTemplate().getSpec());
    if (ModelCaches.downloads(e)) {
      out.put("download", ModelCaches.job(e).getSpec().getTemplate().getSpec());
    }
    return out;
  }

  private static Pod dryRun(TestNamespace ns, String name, PodSpec spec) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns.name())
            .endMetadata()
            .withSpec(spec)
            .build();
    return ns.client().pods().inNamespace(ns.name()).resource(pod).dryRun().create();
  }

  private static void assertAdmitted(TestNamespace ns, String name, PodSpec spec) {
    assertThat(dryRun(ns, name, spec).getMetadata().getName()).isEqualTo(name);
    assertThat(ns.client().pods().inNamespace(ns.name()).withName(name).get())
        .as("dry run stores nothing")
        .isNull();
    Level enforced = enforced(ns);
    assertThat(SecurityContexts.level(spec).ordinal())
        .as("the operator's evaluation of %s agrees with the API server's", name)
        .isGreaterThanOrEqualTo(enforced.ordinal());
  }

  private static void assertRefused(
      TestNamespace ns, String name, PodSpec spec, String level, String because) {
    assertThatThrownBy(() -> dryRun(ns, name, spec))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("violates PodSecurity \"" + level + ":" + POLICY_VERSION + "\"")
        .hasMessageContaining(because);
    assertThat(SecurityContexts.level(spec).ordinal())
        .as("the operator's evaluation of %s agrees with the API server's", name)
        .isLessThan(enforced(ns).ordinal());
  }

  private static Level enforced(TestNamespace ns) {
    String label =
        ns.client()
            .namespaces()
            .withName(ns.name())
            .get()
            .getMetadata()
            .getLabels()
            .get("pod-security.kubernetes.io/enforce");
    for (Level l : Level.values()) {
      if (l.label().equals(label)) {
        return l;
      }
    }
    throw new IllegalStateException("namespace " + ns.name() + " enforces " + label);
  }
}
