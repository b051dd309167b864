package io.disagg.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.controller.DisaggClusterReconciler;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Hashes;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.ModelFixtures;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.plan.Plan;
import io.disagg.operator.rollout.PairingRevision;
import io.disagg.operator.scaling.Replicas;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.api.reconciler.dependent.ReconcileResult;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs every dependent through JOSDK's own single-dependent reconcile path against {@link
 * FakeApiServer}, with a {@link Plan} whose files are {@link #fakeConfig} / {@link #fakeEnv}.
 */
class DependentsTest {

  /** Stand-in for TrtllmConfig.configMapData: each pool's file follows its own llmApiOptions. */
  static Map<String, String> fakeConfig(DisaggCluster cr) {
    return ModelFixtures.configData(
        "context: " + new TreeMap<>(cr.getSpec().getContext().getLlmApiOptions()) + "\n",
        "generation: " + new TreeMap<>(cr.getSpec().getGeneration().getLlmApiOptions()) + "\n",
        "router: " + cr.getSpec().getRouter().getMaxRetries() + "\n");
  }

  /** Stand-in for TrtllmConfig.fabricEnv. */
  static Map<String, String> fakeEnv(DisaggCluster cr) {
    return cr.getSpec().getFabric().getEfa().isEnabled()
        ? Map.of("FI_PROVIDER", "efa")
        : Map.of("X", "1");
  }

  /**
   * The reconciler's plan for {@code cr}, with TrtllmConfig's files replaced by the stand-ins
   * above.
   */
  static Plan plan(DisaggCluster cr) {
    EffectiveSpec spec = EffectiveSpecs.of(cr, List.of("etcd:2379")).spec();
    Map<String, String> files = fakeConfig(spec.cluster());
    Map<String, String> env = fakeEnv(spec.cluster());
    Map<Pool, String> hashes = new EnumMap<>(Pool.class);
    Map<Pool, Integer> replicas = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      hashes.put(pool, WorkerStatefulSets.configHash(files, env, pool));
      replicas.put(pool, Replicas.desired(spec.cluster(), pool));
    }
    return new Plan(
        spec,
        ModelFixtures.names(spec.cluster()),
        replicas,
        spec.cluster().getSpec().getRouter().getReplicas(),
        files,
        env,
        hashes,
        io.disagg.operator.model.RouterDeployments.configHash(files),
        PairingRevision.of(spec).json());
  }

  private FakeApiServer server;
  private List<DesiredHashDependent<? extends HasMetadata>> dependents;

  @BeforeEach
  void setUp() {
    server = new FakeApiServer();
    dependents =
        List.of(
            new ConfigMapDependent(),
            new FabricConfigMapDependent(),
            new ContextStatefulSetDependent(),
            new GenerationStatefulSetDependent(),
            new ContextServiceDependent(),
            new GenerationServiceDependent(),
            new ContextPdbDependent(),
            new GenerationPdbDependent(),
            new RouterDeploymentDependent(),
            new RouterServiceDependent());
    dependents.forEach(server::attach);
  }

  private List<String> reconcileAll(DisaggCluster cr) {
    server.writes.clear();
    var ctx = server.context(cr, plan(cr));
    for (var d : dependents) {
      ReconcileResult<?> r = d.reconcile(cr, ctx);
      assertThat(r).isNotNull();
    }
    return List.copyOf(server.writes);
  }

  @Test
  void firstReconcileCreatesEveryChildOnce() {
    List<String> writes = reconcileAll(ModelFixtures.efaCluster());
    assertThat(writes)
        .containsExactly(
            "create ConfigMap/demo-config", "create ConfigMap/demo-fabric",
            "create StatefulSet/demo-context", "create StatefulSet/demo-generation",
            "create Service/demo-context", "create Service/demo-generation",
            "create PodDisruptionBudget/demo-context", "create PodDisruptionBudget/demo-generation",
            "create Deployment/demo-router", "create Service/demo-router");
  }

  @Test
  void secondReconcileOfAnUnchangedClusterWritesNothing() {
    DisaggCluster cr = ModelFixtures.efaCluster();
    cr.getSpec().getContext().setNodeSelector(Map.of("z", "1", "a", "2"));
    cr.getSpec()
        .getContext()
        .setLlmApiOptions(Map.of("max_batch_size", 8, "kv_cache_config", Map.of("x", 1)));
    reconcileAll(cr);
    assertThat(server.size()).isEqualTo(10);
    // a fresh copy of the same primary, as the next informer event delivers it
    assertThat(reconcileAll(ModelFixtures.copy(cr))).isEmpty();
    assertThat(reconcileAll(ModelFixtures.copy(cr))).isEmpty();
  }

  @Test
  void llmApiOptionsOfOnePoolRollOnlyThatPool() {
    DisaggCluster cr = ModelFixtures.cluster();
    reconcileAll(cr);
    String genHash = podConfigHash("demo-generation");
    String ctxHash = podConfigHash("demo-context");

    DisaggCluster changed = ModelFixtures.copy(cr);
    changed.getSpec().getContext().setLlmApiOptions(Map.of("max_num_tokens", 8192));
    assertThat(reconcileAll(changed))
        .containsExactly("update ConfigMap/demo-config", "update StatefulSet/demo-context");
    assertThat(podConfigHash("demo-context")).isNotEqualTo(ctxHash);
    assertThat(podConfigHash("demo-generation")).isEqualTo(genHash);
  }

  @Test
  void scalingOnePoolUpdatesOnlyItsStatefulSet() {
    DisaggCluster cr = ModelFixtures.cluster();
    reconcileAll(cr);
    DisaggCluster changed = ModelFixtures.copy(cr);
    changed.getSpec().getGeneration().setReplicas(3);
    assertThat(reconcileAll(changed)).containsExactly("update StatefulSet/demo-generation");
    assertThat(server.get(StatefulSet.class, "demo-generation").getSpec().getReplicas())
        .isEqualTo(3);
    assertThat(server.get(StatefulSet.class, "demo-context").getSpec().getReplicas()).isEqualTo(1);
  }

  @Test
  void eachDependentFindsItsOwnResourceAmongSeveralOfOneType() {
    DisaggCluster cr = ModelFixtures.cluster();
    reconcileAll(cr);
    var ctx = server.context(cr, plan(cr));
    for (var d : dependents) {
      HasMetadata mine = d.getSecondaryResource(cr, ctx).orElseThrow();
      assertThat(mine.getMetadata().getName())
          .as(d.getClass().getSuperclass().getSimpleName())
          .isEqualTo(d.childName(cr, ctx));
    }
    assertThat(server.secondaries(Service.class)).hasSize(3);
    assertThat(
            new ContextServiceDependent()
                .getSecondaryResource(cr, ctx)
                .orElseThrow()
                .getMetadata()
                .getName())
        .isEqualTo("demo-context");
    assertThat(
            new GenerationServiceDependent()
                .getSecondaryResource(cr, ctx)
                .orElseThrow()
                .getMetadata()
                .getName())
        .isEqualTo("demo-generation");
    assertThat(
            new RouterServiceDependent()
                .getSecondaryResource(cr, ctx)
                .orElseThrow()
                .getMetadata()
                .getName())
        .isEqualTo("demo-router");
    assertThat(
            new GenerationPdbDependent()
                .getSecondaryResource(cr, ctx)
                .orElseThrow()
                .getMetadata()
                .getName())
        .isEqualTo("demo-generation");
  }

  @Test
  void withoutAPlanADependentFailsLoudly() {
    DisaggCluster cr = ModelFixtures.cluster();
    var ctx = server.context(cr, null);
    for (var d : dependents) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.desired(cr, ctx))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no Plan attached");
    }
  }

  @Test
  void childNameIsTheDesiredName() {
    DisaggCluster cr = ModelFixtures.cluster();
    for (var d : dependents) {
      var ctx = server.context(cr, plan(cr));
      HasMetadata desired = d.desired(cr, ctx);
      assertThat(desired.getMetadata().getName()).isEqualTo(d.childName(cr, ctx));
      assertThat(desired.getMetadata().getNamespace()).isEqualTo(ModelFixtures.NAMESPACE);
    }
  }

  /**
   * A later pairing revision: the dependents create its own ConfigMaps, StatefulSets and router
   * Deployment under its names, selecting and labelling its pods with the revision, with its
   * cluster_name; the headless Services, PDBs and router Service stay the shared ones, and the
   * first revision's objects are left as they are.
   */
  @Test
  void aLaterRevisionGetsItsOwnObjectsAndSharesTheServicesAndBudgets() {
    DisaggCluster cr = ModelFixtures.cluster();
    reconcileAll(cr);
    StatefulSet legacy = server.get(StatefulSet.class, "demo-context");
    assertThat(legacy.getMetadata().getLabels())
        .containsEntry(RevisionNames.LABEL, ModelFixtures.REVISION);
    assertThat(legacy.getSpec().getSelector().getMatchLabels())
        .doesNotContainKey(RevisionNames.LABEL);
    assertThat(legacy.getSpec().getTemplate().getMetadata().getLabels())
        .doesNotContainKey(RevisionNames.LABEL);

    Plan first = plan(cr);
    RevisionNames later =
        new RevisionNames("demo", "abcdef0123", "abcde", "serving.demo.abcdef0123");
    EffectiveSpec spec = first.spec().withClusterName(later.clusterName());
    Plan next =
        new Plan(
            spec,
            later,
            first.replicas(),
            0,
            first.configFiles(),
            first.fabricEnv(),
            first.workerConfigHash(),
            first.routerConfigHash(),
            first.pairing());
    server.writes.clear();
    var ctx = server.context(cr, next);
    dependents.forEach(d -> d.reconcile(cr, ctx));
    assertThat(server.writes)
        .containsExactly(
            "create ConfigMap/demo-abcde-cfg",
            "create ConfigMap/demo-abcde-fab",
            "create StatefulSet/demo-abcde-ctx",
            "create StatefulSet/demo-abcde-gen",
            "create Deployment/demo-abcde-rtr");
    StatefulSet sts = server.get(StatefulSet.class, "demo-abcde-ctx");
    assertThat(sts.getSpec().getServiceName()).isEqualTo("demo-context");
    assertThat(sts.getSpec().getSelector().getMatchLabels())
        .containsEntry(RevisionNames.LABEL, "abcdef0123");
    assertThat(sts.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry(RevisionNames.LABEL, "abcdef0123");
    assertThat(sts.getSpec().getTemplate().getSpec().getVolumes().get(0).getConfigMap().getName())
        .isEqualTo("demo-abcde-cfg");
    assertThat(
            sts.getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnvFrom()
                .get(0)
                .getConfigMapRef()
                .getName())
        .isEqualTo("demo-abcde-fab");
    assertThat(server.get(Deployment.class, "demo-abcde-rtr").getSpec().getReplicas()).isZero();
    assertThat(server.get(StatefulSet.class, "demo-context")).isEqualTo(legacy);
    assertThat(server.get(Deployment.class, "demo-router").getSpec().getReplicas()).isEqualTo(1);
  }

  @Test
  void aPlanRendersTheRevisionsClusterName() {
    EffectiveSpec spec = EffectiveSpecs.of(ModelFixtures.cluster(), List.of("etcd:2379")).spec();
    RevisionNames later =
        new RevisionNames("demo", "abcdef0123", "abcde", spec.clusterName() + ".abcdef0123");
    Plan p = Plan.of(spec, later, "{}", Map.of(Pool.CONTEXT, 1, Pool.GENERATION, 1), 0);
    assertThat(p.spec().clusterName()).isEqualTo("serving.demo.abcdef0123");
    assertThat(p.configFiles().get("router.yaml"))
        .contains("cluster_name: serving.demo.abcdef0123");
    assertThat(spec.clusterName()).isEqualTo("serving.demo");
  }

  @Test
  void matchComparesOnlyTheDesiredHash() {
    DisaggCluster cr = ModelFixtures.cluster();
    var d = (DesiredHashDependent<StatefulSet>) dependents.get(3);
    StatefulSet desired = d.desired(cr, server.context(cr, plan(cr)));
    StatefulSet actual =
        desired
            .edit()
            .editSpec()
            .withRevisionHistoryLimit(10)
            .endSpec()
            .editMetadata()
            .withResourceVersion("7")
            .endMetadata()
            .build();
    var r = d.match(actual, desired, cr, null);
    assertThat(r.matched()).isTrue();

    actual.getMetadata().getAnnotations().put(Labels.DESIRED_HASH, "0000000000000000");
    r = d.match(actual, desired, cr, null);
    assertThat(r.matched()).isFalse();
    assertThat(r.computedDesired()).containsSame(desired);

    actual.getMetadata().getAnnotations().remove(Labels.DESIRED_HASH);
    assertThat(d.match(actual, desired, cr, null).matched()).isFalse();
  }

  @Test
  void editedConfigMapDataIsPutBack() {
    DisaggCluster cr = ModelFixtures.cluster();
    reconcileAll(cr);
    ConfigMap cm = server.get(ConfigMap.class, "demo-config");
    var d = (ConfigMapDependent) dependents.get(0);
    assertThat(d.match(cm, d.desired(cr, server.context(cr, plan(cr))), cr, null).matched())
        .isTrue();
    cm.getData().put("context.yaml", "edited");
    assertThat(d.match(cm, d.desired(cr, server.context(cr, plan(cr))), cr, null).matched())
        .isFalse();
    assertThat(Hashes.desiredHashOf(cm))
        .isEqualTo(Hashes.desiredHashOf(d.desired(cr, server.context(cr, plan(cr)))));
  }

  /**
   * Each dependent's informer caches only the managed children of its own component, so no two
   * informers of a type hold the same object (the informer caches are most of the operator's live
   * heap), and its own child matches its selector (else it would never see it and create it on
   * every reconcile). The caches drop managedFields.
   */
  @Test
  void eachInformerCachesOnlyItsOwnChildWithoutManagedFields() {
    DisaggCluster cr = ModelFixtures.efaCluster();
    var ctx = server.context(cr, plan(cr));
    for (var d : dependents) {
      Class<?> type = d.getClass().isAnonymousClass() ? d.getClass().getSuperclass() : d.getClass();
      KubernetesDependent k = type.getAnnotation(KubernetesDependent.class);
      assertThat(k).as(type.getSimpleName()).isNotNull();
      String selector = k.informer().labelSelector();
      assertThat(selector).as(type.getSimpleName()).startsWith(Labels.MANAGED_SELECTOR + ",");
      assertThat(k.informer().itemStore()).isEqualTo(WithoutManagedFields.class);
      for (var other : dependents) {
        HasMetadata child = other.desired(cr, ctx);
        if (child.getClass().equals(d.resourceType())) {
          assertThat(selects(selector, child))
              .as("%s's informer sees %s", type.getSimpleName(), child.getMetadata().getName())
              .isEqualTo(other == d);
        }
      }
    }
  }

  /** Whether an equality-based label selector ({@code k=v,k=v}) selects {@code o}. */
  private static boolean selects(String selector, HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    return Arrays.stream(selector.split(","))
        .map(term -> term.split("=", 2))
        .allMatch(kv -> labels != null && kv[1].equals(labels.get(kv[0])));
  }

  @Test
  void workflowListsEveryDependentOnceWithUniqueNames() {
    Workflow w = DisaggClusterReconciler.class.getAnnotation(Workflow.class);
    List<Dependent> deps = Arrays.asList(w.dependents());
    assertThat(deps).extracting(Dependent::name).doesNotHaveDuplicates().hasSize(16);
    assertThat(deps)
        .extracting(Dependent::type)
        .containsExactlyInAnyOrder(
            ConfigMapDependent.class, FabricConfigMapDependent.class,
            ContextStatefulSetDependent.class, GenerationStatefulSetDependent.class,
            ContextServiceDependent.class, GenerationServiceDependent.class,
            ContextPdbDependent.class, GenerationPdbDependent.class,
            RouterDeploymentDependent.class, RouterServiceDependent.class,
            WorkerPodMonitorDependent.class, RouterPodMonitorDependent.class,
            WorkerNetworkPolicyDependent.class, RouterNetworkPolicyDependent.class,
            ModelCacheClaimDependent.class, ModelCacheJobDependent.class);
    assertThat(deps)
        .filteredOn(
            d ->
                d.type() == WorkerNetworkPolicyDependent.class
                    || d.type() == RouterNetworkPolicyDependent.class)
        .hasSize(2)
        .allSatisfy(
            d -> assertThat(d.reconcilePrecondition()).isEqualTo(NetworkPoliciesWanted.class));
    assertThat(deps)
        .filteredOn(d -> PodMonitorDependent.class.isAssignableFrom(d.type()))
        .allSatisfy(
            d -> {
              assertThat(d.activationCondition()).isEqualTo(PodMonitorsActivation.class);
              assertThat(d.reconcilePrecondition()).isEqualTo(PodMonitorsWanted.class);
            });
    var names = deps.stream().map(Dependent::name).toList();
    for (Dependent dep : deps) {
      assertThat(names).containsAll(Arrays.asList(dep.dependsOn()));
    }
  }

  /**
   * The PodMonitor dependents (not in {@link #dependents}: the workflow reconciles them only where
   * the CRD exists and the spec asks): created once, nothing written on an unchanged cluster, each
   * informer caches only its own PodMonitor, the first revision's hash fills the revision label.
   */
  @Test
  void podMonitorDependentsCreateOnceAndEachInformerSeesItsOwn() {
    List<PodMonitorDependent> pms =
        List.of(new WorkerPodMonitorDependent(), new RouterPodMonitorDependent());
    pms.forEach(server::attach);
    DisaggCluster cr = ModelFixtures.cluster();
    server.writes.clear();
    for (var d : pms) {
      d.reconcile(cr, server.context(cr, plan(cr)));
    }
    assertThat(server.writes)
        .containsExactly("create PodMonitor/demo-workers", "create PodMonitor/demo-router");
    server.writes.clear();
    for (var d : pms) {
      d.reconcile(ModelFixtures.copy(cr), server.context(cr, plan(cr)));
    }
    assertThat(server.writes).isEmpty();
    var ctx = server.context(cr, plan(cr));
    for (var d : pms) {
      String selector =
          d.getClass().getAnnotation(KubernetesDependent.class).informer().labelSelector();
      for (var other : pms) {
        assertThat(selects(selector, other.desired(cr, ctx)))
            .as("%s sees %s", d.getClass().getSimpleName(), other.getClass().getSimpleName())
            .isEqualTo(other == d);
      }
    }
    PodMonitor workers = server.get(PodMonitor.class, "demo-workers");
    var relabelings = workers.getSpec().getPodMetricsEndpoints().get(0).getRelabelings();
    assertThat(relabelings.get(relabelings.size() - 1).getReplacement())
        .isEqualTo(ModelFixtures.REVISION);
  }

  @Test
  void statefulSetDependentsServeTheirPool() {
    assertThat(new ContextStatefulSetDependent().pool()).isEqualTo(Pool.CONTEXT);
    assertThat(new GenerationStatefulSetDependent().pool()).isEqualTo(Pool.GENERATION);
    assertThat(server.get(Deployment.class, "demo-router")).isNull();
    assertThat(server.get(PodDisruptionBudget.class, "demo-context")).isNull();
  }

  private String podConfigHash(String sts) {
    return server
        .get(StatefulSet.class, sts)
        .getSpec()
        .getTemplate()
        .getMetadata()
        .getAnnotations()
        .get(Labels.CONFIG_HASH);
  }
}
