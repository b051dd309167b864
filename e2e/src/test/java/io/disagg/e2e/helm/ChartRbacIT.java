package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Helm;
import io.disagg.e2e.testing.HelmTest;
import io.disagg.e2e.testing.PrometheusOperatorCrds;
import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.SimulatedWorker;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.api.v1alpha1.MonitoringSpec;
import io.disagg.operator.api.v1alpha1.SelfHealingSpec;
import io.disagg.operator.runtime.LeaderElectionSettings;
import io.disagg.operator.testing.ApiRequest;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.OperatorRunner;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's RBAC is enough and no more. The operator runs with the identity of the chart's
 * ServiceAccount (a real token from the TokenRequest API, not the cluster admin), with the Roles
 * and RoleBindings {@code helm template} renders for a watched namespace and with leader election
 * on, as the chart deploys it, through a DisaggCluster's whole life: created and Ready with
 * PodMonitors (the Prometheus Operator's PodMonitor CRD installed), a worker that serves nobody
 * restarted, scaled up, scaled down through a drain, PodMonitors and NetworkPolicies turned off,
 * deleted.
 *
 * <ul>
 *   <li>Enough: no request of the operator is refused (403), and every step completes.
 *   <li>No more: every verb the Roles grant was used by the operator in that run (measured from its
 *       requests), so no grant is there "just in case".
 *   <li>Each rule matters: with any one rule removed from the rendered Roles, the same run fails.
 * </ul>
 */
@ClusterTest
@HelmTest
class ChartRbacIT {

  private static final String RELEASE = "disagg-operator";
  private static final String NAME = "tinyllama";
  private static final Duration STEP = Duration.ofSeconds(120);

  /**
   * Granted although no request uses it: JOSDK's LeaderElectionManager asks
   * (SelfSubjectRulesReview) for get, create and update on leases before it elects and refuses to
   * start without update, while Fabric8's LeaseLock renews with patch.
   */
  private static final Set<String> NEEDED_BUT_NOT_SENT =
      Set.of("update coordination.k8s.io/leases");

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
      // spec.monitoring's PodMonitors are part of the life cycle.
      PrometheusOperatorCrds.installPodMonitors(c);
    }
  }

  @AfterAll
  static void removePodMonitorCrd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      PrometheusOperatorCrds.deletePodMonitors(c);
    }
  }

  @Test
  void theChartsRolesAreEnoughAndNoMore(TestNamespace ns) {
    List<HasMetadata> rbac = renderRbac(ns);
    List<Role> roles = rbac.stream().filter(Role.class::isInstance).map(Role.class::cast).toList();
    assertThat(roles)
        .as("namespaced mode renders Roles: the watched namespace's and the leader election's")
        .hasSize(2);
    apply(ns, rbac);

    OperatorRunner op;
    try (Testbed bed = Testbed.start(ns, b -> asChartServiceAccount(ns, b, rbac))) {
      op = bed.operator();
      lifecycle(ns, bed);
      assertThat(op.requests().forbidden()).as("requests the API server refused").isEmpty();
    }

    Set<String> used =
        op.requests().answered().stream()
            .filter(r -> r.status() != 403)
            .flatMap(r -> r.permissions().stream())
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> granted = new TreeSet<>();
    for (Role role : roles) {
      for (PolicyRule rule : role.getRules()) {
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              granted.add(verb + " " + group + "/" + resource);
            }
          }
        }
      }
    }
    assertThat(used)
        .as("permissions the operator used (all granted, or it would have been refused)")
        .isNotEmpty();
    Set<String> unused = new TreeSet<>(granted);
    unused.removeAll(used);
    assertThat(unused)
        .as("granted but never used in a full life cycle: remove them from helm/disagg-operator")
        .isEqualTo(NEEDED_BUT_NOT_SENT);
  }

  @Test
  void clusterWideTheClusterRoleIsEnough(TestNamespace ns) {
    String yaml =
        Helm.run("template", RELEASE, Helm.chartDir().toString(), "--namespace", ns.name())
            .orFail();
    List<HasMetadata> rbac =
        ns
            .client()
            .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
            .items()
            .stream()
            .filter(
                o ->
                    Set.of(
                            "ServiceAccount",
                            "Role",
                            "RoleBinding",
                            "ClusterRole",
                            "ClusterRoleBinding")
                        .contains(o.getKind()))
            .toList();
    assertThat(rbac).extracting(HasMetadata::getKind).contains("ClusterRole", "ClusterRoleBinding");
    List<HasMetadata> clusterScoped =
        rbac.stream().filter(o -> o.getKind().startsWith("Cluster")).toList();
    try {
      apply(ns, rbac);
      try (Testbed bed =
          Testbed.start(ns, b -> asChartServiceAccount(ns, b, rbac).watchAllNamespaces())) {
        lifecycle(ns, bed);
        assertThat(bed.operator().requests().forbidden())
            .as("requests the API server refused")
            .isEmpty();
        assertThat(bed.operator().requests().answered())
            .as("it watched every namespace")
            .anyMatch(
                r ->
                    r.resource().equals("disaggclusters")
                        && r.namespace() == null
                        && r.verb().equals("watch"));
      }
    } finally {
      clusterScoped.forEach(o -> ns.client().resource(o).delete());
    }
  }

  @Test
  void withAnyOneRuleRemovedTheLifeCycleFails(TestNamespace ns) {
    List<HasMetadata> rbac = renderRbac(ns);
    apply(ns, rbac);
    List<String> survived = new ArrayList<>();
    for (HasMetadata object : rbac) {
      if (!(object instanceof Role role)) {
        continue;
      }
      for (int i = 0; i < role.getRules().size(); i++) {
        PolicyRule removed = role.getRules().get(i);
        List<PolicyRule> rest = new ArrayList<>(role.getRules());
        rest.remove(i);
        ns.client()
            .rbac()
            .roles()
            .inNamespace(ns.name())
            .resource(
                new RoleBuilder(role)
                    .editMetadata()
                    .withResourceVersion(null)
                    .endMetadata()
                    .withRules(rest)
                    .build())
            .forceConflicts()
            .serverSideApply();
        String what =
            role.getMetadata().getName()
                + " without "
                + removed.getApiGroups()
                + " "
                + removed.getResources()
                + " "
                + removed.getVerbs();
        String failure = null;
        try (Testbed bed = Testbed.start(ns, b -> asChartServiceAccount(ns, b, rbac))) {
          lifecycle(ns, bed);
          List<ApiRequest> refused = bed.operator().requests().forbidden();
          if (!refused.isEmpty()) {
            failure = "refused " + refused.stream().map(ApiRequest::permission).distinct().toList();
          }
        } catch (AssertionError | RuntimeException e) {
          failure = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
        } finally {
          cleanUp(ns);
        }
        System.out.println(
            "[rbac] " + what + ": " + (failure == null ? "NOT NOTICED" : "fails: " + failure));
        if (failure == null) {
          survived.add(what);
        }
        // Put the full Role back for the next round.
        ns.client()
            .rbac()
            .roles()
            .inNamespace(ns.name())
            .resource(
                new RoleBuilder(role)
                    .editMetadata()
                    .withResourceVersion(null)
                    .endMetadata()
                    .build())
            .forceConflicts()
            .serverSideApply();
      }
    }
    assertThat(survived)
        .as("rules whose removal the operator's life cycle did not notice")
        .isEmpty();
  }

  /**
   * Create (with PodMonitors and a model cache: claim and download Job) → Ready and both
   * PodMonitors applied, a worker that lost its etcd lease restarted, a not ready worker's log
   * read, a config change (rolls the context pool), scale generation 1 → 2, drain 2 → 1, an image
   * change (a new pairing revision; the first is retired and deleted), PodMonitors off → deleted,
   * NetworkPolicies off → deleted, delete → children gone. Fails at once (instead of at the step's
   * timeout) when a request of the operator was refused.
   */
  private static void lifecycle(TestNamespace ns, Testbed bed) {
    OperatorRunner op = bed.operator();
    DisaggCluster cr = bed.sample("minimal.yaml");
    // with a model cache: its claim and download Job are created (and never deleted)
    cr.getSpec().setModelCache(new ModelCacheSpec());
    cr.getSpec().getModelCache().setStorageClassName("sim-rwx");
    cr.getSpec().getModelCache().setSize(new Quantity("1Gi"));
    cr.getSpec().getModelCache().setDeleteClaimWithCluster(true); // gone with cleanUp
    bed.prepareModelCache(cr);
    cr.getSpec().setSelfHealing(new SelfHealingSpec());
    cr.getSpec().getSelfHealing().setUnregisteredTimeoutSeconds(10);
    cr.getSpec().setMonitoring(new MonitoringSpec());
    cr.getSpec().getMonitoring().setPodMonitors(true);
    DisaggClusters.create(ns, cr);
    until(op, () -> ready(ns, 1) && podMonitors(ns) == 2);
    // A context worker loses its etcd lease and serves nobody: the operator restarts its pod.
    String zombie = NAME + "-context-0";
    revokeLease(bed, bed.kubelet().worker(zombie).orElseThrow().leaseId());
    until(
        op,
        () -> {
          DisaggCluster d = DisaggClusters.get(ns, NAME);
          return d.getStatus().getContext().getLastRecovery() != null
              && ready(ns, 1)
              && d.getStatus().getContext().getRegisteredInstances() == 2;
        });
    // A worker stops answering /health (running, started, not ready): the operator reads the
    // end of its log for a poisoned transfer buffer, finds none and leaves it alone.
    SimulatedWorker stalled = bed.kubelet().worker(NAME + "-context-1").orElseThrow();
    stalled.setStalled(true);
    try {
      until(
          op,
          () -> op.requests().answered().stream().anyMatch(r -> "pods/log".equals(r.resource())));
    } finally {
      stalled.setStalled(false);
    }
    until(op, () -> ready(ns, 1) && allWorkersReady(ns));
    String before = configYaml(ns);
    DisaggClusters.mergePatch(
        ns, NAME, "{\"spec\":{\"context\":{\"llmApiOptions\":{\"max_num_tokens\":4096}}}}");
    until(op, () -> ready(ns, 1) && !configYaml(ns).equals(before));
    DisaggClusters.mergePatch(ns, NAME, "{\"spec\":{\"generation\":{\"replicas\":2}}}");
    until(op, () -> ready(ns, 2));
    DisaggClusters.mergePatch(ns, NAME, "{\"spec\":{\"generation\":{\"replicas\":1}}}");
    until(op, () -> ready(ns, 1) && statefulSetReplicas(ns) == 1);
    // A new pairing revision: created next to the first, serving, the first retired and deleted.
    DisaggClusters.mergePatch(
        ns, NAME, "{\"spec\":{\"image\":\"nvcr.io/nvidia/tensorrt-llm/release:1.2.0rc2\"}}");
    until(
        op,
        () ->
            ready(ns, 1)
                && ns.client()
                        .apps()
                        .statefulSets()
                        .inNamespace(ns.name())
                        .withName(NAME + "-context")
                        .get()
                    == null
                && ns.client().configMaps().inNamespace(ns.name()).withName(NAME + "-config").get()
                    == null);
    // PodMonitors turned off: deleted.
    DisaggClusters.mergePatch(ns, NAME, "{\"spec\":{\"monitoring\":{\"podMonitors\":false}}}");
    until(op, () -> podMonitors(ns) == 0);
    // NetworkPolicies (on by default) turned off: deleted.
    until(op, () -> networkPolicies(ns) == 2);
    DisaggClusters.mergePatch(ns, NAME, "{\"spec\":{\"networkPolicy\":{\"enabled\":false}}}");
    until(op, () -> networkPolicies(ns) == 0);
    DisaggClusters.delete(ns, NAME);
    // Nothing left behind: children (garbage collection) and the workers' registrations in etcd.
    until(
        op,
        () ->
            DisaggClusters.get(ns, NAME) == null
                && ns.client()
                    .apps()
                    .statefulSets()
                    .inNamespace(ns.name())
                    .list()
                    .getItems()
                    .isEmpty()
                && ns.client()
                    .configMaps()
                    .inNamespace(ns.name())
                    .withLabel("app.kubernetes.io/managed-by")
                    .list()
                    .getItems()
                    .isEmpty()
                && bed.etcd().workerRegistrations(ns.name() + "." + NAME).isEmpty());
  }

  private static int networkPolicies(TestNamespace ns) {
    return ns.client()
        .network()
        .v1()
        .networkPolicies()
        .inNamespace(ns.name())
        .list()
        .getItems()
        .size();
  }

  private static int podMonitors(TestNamespace ns) {
    return ns.client()
        .resources(io.fabric8.openshift.api.model.monitoring.v1.PodMonitor.class)
        .inNamespace(ns.name())
        .list()
        .getItems()
        .size();
  }

  private static void until(OperatorRunner op, Callable<Boolean> done) {
    await()
        .atMost(STEP)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              List<ApiRequest> refused = op.requests().forbidden();
              if (!refused.isEmpty()) {
                fail(
                    "the API server refused the operator: "
                        + refused.stream().map(ApiRequest::permission).distinct().toList()
                        + " "
                        + refused.stream()
                            .map(r -> r.method() + " " + r.path())
                            .distinct()
                            .limit(5)
                            .toList());
              }
              return done.call();
            });
  }

  /**
   * Ready for the current generation with {@code generation} workers registered in the generation
   * pool.
   */
  private static boolean allWorkersReady(TestNamespace ns) {
    return ns.client().pods().inNamespace(ns.name()).list().getItems().stream()
        .filter(
            p ->
                !List.of("router", "model-download")
                    .contains(p.getMetadata().getLabels().get("app.kubernetes.io/component")))
        .allMatch(
            p ->
                p.getStatus().getConditions() != null
                    && p.getStatus().getConditions().stream()
                        .anyMatch(
                            c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
  }

  private static void revokeLease(Testbed bed, long lease) {
    try (io.etcd.jetcd.Client etcd = bed.etcd().newClient()) {
      etcd.getLeaseClient().revoke(lease).get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("revoking lease " + lease, e);
    }
  }

  private static boolean ready(TestNamespace ns, int generation) {
    DisaggCluster d = DisaggClusters.get(ns, NAME);
    return d != null
        && d.getStatus() != null
        && d.getStatus().getGeneration() != null
        && d.getMetadata().getGeneration().equals(d.getStatus().getObservedGeneration())
        && io.disagg.operator.status.Conditions.isTrue(
            d.getStatus().getConditions(), io.disagg.operator.status.ConditionType.READY)
        && !io.disagg.operator.status.Conditions.isTrue(
            d.getStatus().getConditions(), io.disagg.operator.status.ConditionType.PROGRESSING)
        && d.getStatus().getGeneration().getRegisteredInstances() == generation;
  }

  private static String configYaml(TestNamespace ns) {
    var cm = ns.client().configMaps().inNamespace(ns.name()).withName(NAME + "-config").get();
    return cm == null ? "" : cm.getData().get("context.yaml");
  }

  private static int statefulSetReplicas(TestNamespace ns) {
    var s =
        ns.client()
            .apps()
            .statefulSets()
            .inNamespace(ns.name())
            .withName(NAME + "-generation")
            .get();
    return s == null ? -1 : s.getSpec().getReplicas();
  }

  private static void cleanUp(TestNamespace ns) {
    DisaggClusters.delete(ns, NAME);
    await()
        .atMost(STEP)
        .until(
            () ->
                DisaggClusters.get(ns, NAME) == null
                    && ns.client()
                        .apps()
                        .statefulSets()
                        .inNamespace(ns.name())
                        .list()
                        .getItems()
                        .isEmpty());
  }

  /**
   * The ServiceAccount, Roles and RoleBindings of {@code helm template} with the test namespace as
   * the only watched one.
   */
  private static List<HasMetadata> renderRbac(TestNamespace ns) {
    String yaml =
        Helm.run(
                "template",
                RELEASE,
                Helm.chartDir().toString(),
                "--namespace",
                ns.name(),
                "--set",
                "watchNamespaces={" + ns.name() + "}")
            .orFail();
    List<HasMetadata> all =
        ns.client().load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    List<HasMetadata> rbac =
        all.stream()
            .filter(
                o ->
                    Set.of(
                            "ServiceAccount",
                            "Role",
                            "RoleBinding",
                            "ClusterRole",
                            "ClusterRoleBinding")
                        .contains(o.getKind()))
            .toList();
    assertThat(rbac)
        .as("namespaced mode needs no cluster-scoped grant")
        .noneMatch(o -> o.getKind().startsWith("Cluster"));
    return rbac;
  }

  private static void apply(TestNamespace ns, List<HasMetadata> objects) {
    for (HasMetadata o : objects) {
      var r =
          o.getKind().startsWith("Cluster")
              ? ns.client().resource(o)
              : ns.client().resource(o).inNamespace(ns.name());
      r.forceConflicts().serverSideApply();
    }
  }

  /**
   * The operator as the chart runs it: the chart's ServiceAccount's token (no client certificate,
   * no admin), and leader election with its Lease in the release namespace.
   */
  private static OperatorRunner.Builder asChartServiceAccount(
      TestNamespace ns, OperatorRunner.Builder b, List<HasMetadata> rbac) {
    String sa =
        rbac.stream()
            .filter(ServiceAccount.class::isInstance)
            .findFirst()
            .orElseThrow()
            .getMetadata()
            .getName();
    assertThat(rbac.stream().filter(RoleBinding.class::isInstance).map(RoleBinding.class::cast))
        .allSatisfy(
            rb ->
                assertThat(rb.getSubjects())
                    .anySatisfy(s -> assertThat(s.getName()).isEqualTo(sa)));
    assertThat(
            rbac.stream()
                .filter(ClusterRoleBinding.class::isInstance)
                .map(ClusterRoleBinding.class::cast))
        .allSatisfy(
            rb ->
                assertThat(rb.getSubjects())
                    .anySatisfy(s -> assertThat(s.getName()).isEqualTo(sa)));
    String token =
        ns.client()
            .serviceAccounts()
            .inNamespace(ns.name())
            .withName(sa)
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Config admin = ns.client().getConfiguration();
    Config asServiceAccount =
        new ConfigBuilder(admin)
            .withClientCertData(null)
            .withClientCertFile(null)
            .withClientKeyData(null)
            .withClientKeyFile(null)
            .withUsername(null)
            .withPassword(null)
            .withOauthToken(token)
            .withNamespace(ns.name())
            .build();
    LeaderElectionSettings election =
        new LeaderElectionSettings(
            true,
            LeaderElectionSettings.DEFAULT_LEASE_NAME,
            Optional.of(ns.name()),
            "rbac-test",
            Duration.ofSeconds(4),
            Duration.ofSeconds(3),
            Duration.ofMillis(500));
    return b.config(asServiceAccount)
        .leaderElection(election.toConfiguration(() -> {}).orElseThrow());
  }
}
