package io.disagg.e2e.helm;

import static io.disagg.e2e.helm.Rendered.FULLNAME;
import static io.disagg.e2e.helm.Rendered.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.disagg.e2e.testing.Helm;
import io.disagg.e2e.testing.HelmTest;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart in {@code helm/disagg-operator}, rendered by the pinned helm ({@code helm lint
 * --strict}, {@code helm template} with several value sets, schema validation). What the API server
 * makes of the rendered objects is {@code HelmChartIT}'s part.
 */
@HelmTest
class HelmChartTest {

  static final String CLUSTER_SCOPED_NAME = FULLNAME + "-" + NAMESPACE;

  /**
   * The namespaced grants, one rule per apiGroup/resource (secrets only on request): exactly what
   * ChartRbacIT measured the operator to use in a DisaggCluster's life cycle.
   */
  static final Map<String, List<String>> EXPECTED_RULES = expectedRules(false);

  static Map<String, List<String>> expectedRules(boolean secrets) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    List<String> applied = List.of("list", "watch", "create", "patch");
    m.put("serving.disagg.io/disaggclusters", List.of("list", "watch"));
    m.put("serving.disagg.io/disaggclusters/status", List.of("patch"));
    // a retired pairing revision's ConfigMaps, StatefulSets and router Deployment are deleted
    List<String> retired = List.of("list", "watch", "create", "patch", "delete");
    m.put("/configmaps", List.of("list", "watch", "create", "update", "delete"));
    m.put("/services", applied);
    m.put("apps/statefulsets", retired);
    m.put("apps/deployments", retired);
    m.put("policy/poddisruptionbudgets", applied);
    // a worker that serves nobody is restarted; a not ready worker's log names a poisoned buffer
    m.put("/pods", List.of("list", "watch", "delete"));
    m.put("/pods/log", List.of("get"));
    // spec.modelCache: the created claim is never deleted, download Jobs go with the cluster
    m.put("/persistentvolumeclaims", applied);
    m.put("batch/jobs", applied);
    m.put("/events", List.of("create"));
    // spec.monitoring's PodMonitors, deleted when turned off
    m.put("monitoring.coreos.com/podmonitors", retired);
    // spec.networkPolicy's NetworkPolicies, deleted when turned off
    m.put("networking.k8s.io/networkpolicies", retired);
    if (secrets) {
      m.put("/secrets", List.of("get"));
    }
    return m;
  }

  /** Value sets that must all lint cleanly and render. */
  static final List<List<String>> VALUE_SETS =
      List.of(
          List.of(),
          List.of("--set", "watchNamespaces={team-a,team-b}"),
          List.of("--set", "etcd.enabled=true"),
          List.of("--set", "etcd.enabled=true", "--set", "etcd.persistence.enabled=false"),
          List.of("--set", "etcd.enabled=true", "--set", "watchNamespaces={team-a,team-b}"),
          List.of("--set", "etcd.enabled=true", "--set", "networkPolicy.enabled=false"),
          List.of("--set", "networkPolicy.monitoringPeers=null"),
          List.of("--set", "metrics.serviceMonitor.enabled=true"),
          List.of(
              "--set",
              "monitoring.podMonitors.enabled=true",
              "--set",
              "monitoring.podMonitors.labels.release=kube-prometheus-stack"),
          List.of("--set", "dashboards.enabled=true", "--set", "alerts.enabled=true"),
          List.of("--set", "rbac.readEtcdSecrets=true"),
          List.of("--set", "replicas=2", "--set", "leaderElection.enabled=true"),
          List.of(
              "--set",
              "serviceAccount.create=false",
              "--set",
              "serviceAccount.name=existing",
              "--set",
              "rbac.create=false"));

  @Test
  void lintStrictIsCleanForEveryValueSet() {
    for (List<String> set : VALUE_SETS) {
      List<String> args =
          new java.util.ArrayList<>(
              List.of("lint", "--strict", Helm.chartDir().toString(), "--namespace", NAMESPACE));
      args.addAll(set);
      Helm.Result r = Helm.run(java.time.Duration.ofMinutes(2), args);
      assertThat(r.exitCode())
          .as("helm lint --strict %s:\n%s%s", set, r.stdout(), r.stderr())
          .isZero();
      assertThat(r.stdout())
          .as("helm lint --strict %s", set)
          .contains("0 chart(s) failed")
          .doesNotContain("[WARNING]")
          .doesNotContain("[ERROR]");
    }
  }

  @Test
  void defaultsRenderAClusterWideOperatorAndNothingOptional() {
    Rendered r = Rendered.template();
    assertThat(r.objects.stream().map(o -> o.path("kind").asText()).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Service",
            "Deployment");
    for (ObjectNode o : r.objects) {
      String what = o.path("kind").asText() + " " + o.path("metadata").path("name").asText();
      assertThat(o.path("metadata").path("labels").path("app.kubernetes.io/name").asText())
          .as(what)
          .isEqualTo("disagg-operator");
      assertThat(o.path("metadata").path("labels").path("app.kubernetes.io/instance").asText())
          .as(what)
          .isEqualTo(Rendered.RELEASE);
      assertThat(o.path("metadata").path("labels").path("app.kubernetes.io/managed-by").asText())
          .as(what)
          .isEqualTo("Helm");
      assertThat(o.path("metadata").path("labels").path("app.kubernetes.io/version").asText())
          .as(what)
          .isEqualTo("0.1.0");
      if (!o.path("kind").asText().startsWith("Cluster")) {
        assertThat(o.path("metadata").path("namespace").asText())
            .as("namespace of %s", what)
            .isEqualTo(NAMESPACE);
      }
    }
    ServiceAccount sa = r.only("ServiceAccount", ServiceAccount.class);
    assertThat(sa.getMetadata().getName()).isEqualTo(FULLNAME);
    assertThat(sa.getAutomountServiceAccountToken()).isTrue();
  }

  @Test
  void deploymentIsHardenedAndConfiguredThroughEnv() {
    Deployment d = Rendered.template().only("Deployment", Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo(FULLNAME);
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(185L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getContainers()).hasSize(1);
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("disagg-operator:0.1.0");
    assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

    // /tmp is writable on a read-only root filesystem
    assertThat(c.getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/tmp");
              Volume v =
                  pod.getVolumes().stream()
                      .filter(x -> x.getName().equals(m.getName()))
                      .findFirst()
                      .orElseThrow();
              assertThat(v.getEmptyDir()).isNotNull();
            });

    // probes on Quarkus SmallRye Health, port http = 8080
    assertThat(c.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getContainerPort()).isEqualTo(8080);
            });
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/q/health/started");
    for (var probe : List.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())) {
      assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getResources().getLimits()).containsKey("memory");

    Map<String, EnvVar> env = env(c);
    assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(values(c))
        .contains(
            entry("DISAGG_LEADER_ELECTION_ENABLED", "true"),
            entry("DISAGG_LEADER_ELECTION_LEASE_NAMESPACE", NAMESPACE),
            entry("DISAGG_LEADER_ELECTION_LEASE_NAME", "disagg-operator-leader"),
            entry("DISAGG_LEADER_ELECTION_LEASE_DURATION_SECONDS", "15"),
            entry("DISAGG_LEADER_ELECTION_RENEW_DEADLINE_SECONDS", "10"),
            entry("DISAGG_LEADER_ELECTION_RETRY_PERIOD_SECONDS", "2"),
            entry(
                "QUARKUS_OPERATOR_SDK_CONTROLLERS_DISAGGCLUSTER_NAMESPACES",
                "JOSDK_ALL_NAMESPACES"));
    assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
        .as("room for the reconcile termination timeout (10 s) and the Lease release")
        .isEqualTo(30L);
    assertThat(env)
        .as("build-time Quarkus properties cannot be set by environment")
        .doesNotContainKey("QUARKUS_OPERATOR_SDK_CRD_VALIDATE");
    assertThat(env.get("JAVA_OPTS").getValue()).contains("MaxRAMPercentage");
    assertThat(env).doesNotContainKey("DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS");
    assertThat(values(c)).containsEntry("DISAGG_MONITORING_POD_MONITORS", "false");
    assertThat(env).doesNotContainKey("DISAGG_MONITORING_POD_MONITOR_LABELS");

    // No PodDisruptionBudget for a single replica (it would block every node drain).
    assertThat(Rendered.template().ofKind("PodDisruptionBudget")).isEmpty();
  }

  @Test
  void podMonitorDefaultsReachTheOperatorThroughEnv() {
    Container c =
        Rendered.template(
                "--set",
                "monitoring.podMonitors.enabled=true",
                "--set",
                "monitoring.podMonitors.labels.release=kube-prometheus-stack",
                "--set",
                "monitoring.podMonitors.labels.team=ml")
            .only("Deployment", Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    // As io.disagg.operator.spec.MonitoringDefaults.fromConfig parses them.
    assertThat(values(c))
        .containsEntry("DISAGG_MONITORING_POD_MONITORS", "true")
        .containsEntry(
            "DISAGG_MONITORING_POD_MONITOR_LABELS", "release=kube-prometheus-stack,team=ml");
    assertThat(
            io.disagg.operator.spec.MonitoringDefaults.fromConfig(
                    true, values(c).get("DISAGG_MONITORING_POD_MONITOR_LABELS"))
                .labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("release", "kube-prometheus-stack", "team", "ml"));
  }

  /**
   * The NetworkPolicy settings reach the operator as {@code NetworkPolicyDefaults.fromConfig}
   * parses them: the operator's own pods by namespace and selector labels, the monitoring peers as
   * given. What the policies allow is {@code NetworkPolicyMatrixTest}'s part.
   */
  @Test
  void networkPolicySettingsReachTheOperatorThroughEnv() {
    Deployment d = Rendered.template().only("Deployment", Deployment.class);
    Map<String, String> env = values(d.getSpec().getTemplate().getSpec().getContainers().get(0));
    assertThat(env).containsEntry("DISAGG_NETWORK_POLICY_ENABLED", "true");
    var settings =
        io.disagg.operator.spec.NetworkPolicyDefaults.fromConfig(
            true,
            env.get("DISAGG_NETWORK_POLICY_MONITORING_PEERS"),
            env.get("DISAGG_NETWORK_POLICY_OPERATOR_PEERS"));
    assertThat(settings.monitoringPeers())
        .containsExactly(io.disagg.operator.spec.NetworkPolicyDefaults.PROMETHEUS);
    assertThat(settings.operatorPeers()).hasSize(1);
    var operator = settings.operatorPeers().get(0);
    assertThat(operator.getNamespaceSelector().getMatchLabels())
        .containsExactly(entry("kubernetes.io/metadata.name", NAMESPACE));
    assertThat(operator.getPodSelector().getMatchLabels())
        .isEqualTo(d.getSpec().getSelector().getMatchLabels());
    assertThat(Rendered.template().ofKind("NetworkPolicy")).isEmpty();

    Map<String, String> off =
        values(
            Rendered.template("--set", "networkPolicy.enabled=false")
                .only("Deployment", Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0));
    assertThat(off).containsEntry("DISAGG_NETWORK_POLICY_ENABLED", "false");
  }

  /**
   * The bundled etcd's NetworkPolicy: only with etcd and NetworkPolicies on; selects the etcd pod;
   * its client port's peers are restricted to the watched namespaces when there are some.
   */
  @Test
  void bundledEtcdGetsANetworkPolicy() {
    assertThat(
            Rendered.template("--set", "etcd.enabled=true", "--set", "networkPolicy.enabled=false")
                .ofKind("NetworkPolicy"))
        .isEmpty();
    Rendered all = Rendered.template("--set", "etcd.enabled=true");
    var np =
        all.only(
            "NetworkPolicy", io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);
    StatefulSet etcd = all.only("StatefulSet", StatefulSet.class);
    assertThat(np.getMetadata().getName()).isEqualTo(FULLNAME + "-etcd");
    assertThat(np.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(etcd.getSpec().getSelector().getMatchLabels());
    assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress");
    var client = np.getSpec().getIngress().get(0);
    assertThat(client.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getPort().getIntVal()).isEqualTo(2379));
    assertThat(client.getFrom()).hasSize(2);
    assertThat(client.getFrom().get(0).getNamespaceSelector().getMatchLabels()).isEmpty();
    assertThat(client.getFrom().get(0).getNamespaceSelector().getMatchExpressions()).isEmpty();

    var scoped =
        Rendered.template("--set", "etcd.enabled=true", "--set", "watchNamespaces={team-a,team-b}")
            .only(
                "NetworkPolicy", io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);
    var ns = scoped.getSpec().getIngress().get(0).getFrom().get(0).getNamespaceSelector();
    assertThat(ns.getMatchExpressions())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getKey()).isEqualTo("kubernetes.io/metadata.name");
              assertThat(e.getOperator()).isEqualTo("In");
              assertThat(e.getValues()).containsExactly("team-a", "team-b");
            });
  }

  @Test
  void podSettingsComeFromValues() {
    Deployment d =
        Rendered.template(
                "--set",
                "image.repository=registry.example/disagg-operator",
                "--set",
                "image.tag=1.2.3",
                "--set",
                "image.pullPolicy=Always",
                "--set",
                "imagePullSecrets[0].name=pull",
                "--set",
                "podSecurityContext.runAsUser=4242",
                "--set",
                "nodeSelector.pool=system",
                "--set",
                "tolerations[0].key=dedicated",
                "--set",
                "tolerations[0].operator=Exists",
                "--set",
                "priorityClassName=system-cluster-critical",
                "--set",
                "podAnnotations.a=b",
                "--set",
                "podLabels.team=ml",
                "--set",
                "extraEnv[0].name=QUARKUS_LOG_LEVEL",
                "--set",
                "extraEnv[0].value=DEBUG",
                "--set",
                "javaOpts=-Xmx300m",
                "--set",
                "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=k",
                "--set",
                "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists",
                "--set",
                "leaderElection.leaseName=my-lease",
                "--set",
                "resources.limits.cpu=2",
                "--set",
                "leaderElection.retryPeriodSeconds=1",
                "--set",
                "terminationGracePeriodSeconds=60")
            .only("Deployment", Deployment.class);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("registry.example/disagg-operator:1.2.3");
    assertThat(c.getImagePullPolicy()).isEqualTo("Always");
    assertThat(pod.getImagePullSecrets())
        .singleElement()
        .satisfies(s -> assertThat(s.getName()).isEqualTo("pull"));
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(4242L);
    assertThat(pod.getNodeSelector()).containsEntry("pool", "system");
    assertThat(pod.getTolerations())
        .singleElement()
        .satisfies(t -> assertThat(t.getKey()).isEqualTo("dedicated"));
    assertThat(pod.getPriorityClassName()).isEqualTo("system-cluster-critical");
    assertThat(pod.getAffinity().getNodeAffinity()).isNotNull();
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("a", "b");
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("team", "ml");
    // extra labels must not leak into the selector (it is immutable)
    assertThat(d.getSpec().getSelector().getMatchLabels()).doesNotContainKey("team");
    assertThat(values(c))
        .contains(
            entry("QUARKUS_LOG_LEVEL", "DEBUG"),
            entry("JAVA_OPTS", "-Xmx300m"),
            entry("DISAGG_LEADER_ELECTION_LEASE_NAME", "my-lease"),
            entry("DISAGG_LEADER_ELECTION_RETRY_PERIOD_SECONDS", "1"));
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(60L);
    assertThat(c.getResources().getLimits().get("cpu").toString()).isEqualTo("2");
  }

  @Test
  void clusterWideRbacHasOneRulePerResourceAndNothingMore() {
    Rendered r = Rendered.template();
    ClusterRole role = r.only("ClusterRole", ClusterRole.class);
    assertThat(role.getMetadata().getName())
        .as("cluster-scoped names carry the release namespace")
        .isEqualTo(CLUSTER_SCOPED_NAME);
    assertThat(rules(role.getRules())).containsExactlyInAnyOrderEntriesOf(EXPECTED_RULES);
    assertThat(r.yaml).as("no secrets grant unless rbac.readEtcdSecrets").doesNotContain("secrets");

    ClusterRoleBinding b = r.only("ClusterRoleBinding", ClusterRoleBinding.class);
    assertThat(b.getRoleRef().getKind()).isEqualTo("ClusterRole");
    assertThat(b.getRoleRef().getName()).isEqualTo(CLUSTER_SCOPED_NAME);
    assertThat(b.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(FULLNAME);
              assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });

    // leader election: its own Role in the release namespace
    Role le = r.only("Role", Role.class);
    assertThat(le.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertThat(rules(le.getRules()))
        .containsExactly(
            entry("coordination.k8s.io/leases", List.of("get", "create", "update", "patch")));
    RoleBinding leb = r.only("RoleBinding", RoleBinding.class);
    assertThat(leb.getRoleRef().getName()).isEqualTo(le.getMetadata().getName());
    assertThat(leb.getSubjects())
        .singleElement()
        .satisfies(s -> assertThat(s.getNamespace()).isEqualTo(NAMESPACE));
  }

  @Test
  void watchNamespacesGetOneRoleEachAndNothingClusterWide() {
    Rendered r = Rendered.template("--set", "watchNamespaces={team-a,team-b}");
    assertThat(r.ofKind("ClusterRole")).isEmpty();
    assertThat(r.ofKind("ClusterRoleBinding")).isEmpty();
    for (String ns : List.of("team-a", "team-b")) {
      Role role = r.get("Role", ns, FULLNAME, Role.class);
      assertThat(rules(role.getRules()))
          .as("Role in %s", ns)
          .containsExactlyInAnyOrderEntriesOf(EXPECTED_RULES);
      RoleBinding b = r.get("RoleBinding", ns, FULLNAME, RoleBinding.class);
      assertThat(b.getRoleRef().getKind()).isEqualTo("Role");
      assertThat(b.getRoleRef().getName()).isEqualTo(FULLNAME);
      assertThat(b.getSubjects())
          .singleElement()
          .satisfies(
              s -> {
                assertThat(s.getName()).isEqualTo(FULLNAME);
                assertThat(s.getNamespace())
                    .as("the ServiceAccount lives in the release namespace")
                    .isEqualTo(NAMESPACE);
              });
    }
    // the two watched namespaces plus the leader-election Role in the release namespace, nothing
    // else
    assertThat(
            r.ofKind("Role").stream()
                .map(o -> o.path("metadata").path("namespace").asText())
                .toList())
        .containsExactlyInAnyOrder("team-a", "team-b", NAMESPACE);
    assertThat(r.find("Role", NAMESPACE, FULLNAME))
        .as("no operator Role in the unwatched release namespace")
        .isEmpty();
    assertThat(
            values(
                r.only("Deployment", Deployment.class)
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0)))
        .containsEntry(
            "QUARKUS_OPERATOR_SDK_CONTROLLERS_DISAGGCLUSTER_NAMESPACES", "team-a,team-b");
  }

  @Test
  void readEtcdSecretsAddsOnlySecretsGet() {
    assertThat(
            rules(
                Rendered.template("--set", "rbac.readEtcdSecrets=true")
                    .only("ClusterRole", ClusterRole.class)
                    .getRules()))
        .containsExactlyInAnyOrderEntriesOf(expectedRules(true));
    Rendered ns =
        Rendered.template(
            "--set", "rbac.readEtcdSecrets=true", "--set", "watchNamespaces={team-a}");
    assertThat(rules(ns.get("Role", "team-a", FULLNAME, Role.class).getRules()))
        .containsEntry("/secrets", List.of("get"));
  }

  @Test
  void rbacAndServiceAccountCanBeLeftToTheUser() {
    Rendered r =
        Rendered.template(
            "--set",
            "rbac.create=false",
            "--set",
            "serviceAccount.create=false",
            "--set",
            "serviceAccount.name=existing");
    assertThat(r.objects.stream().map(o -> o.path("kind").asText()).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("Service", "Deployment");
    assertThat(
            r.only("Deployment", Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getServiceAccountName())
        .isEqualTo("existing");

    Rendered existing =
        Rendered.template(
            "--set", "serviceAccount.create=false", "--set", "serviceAccount.name=existing");
    assertThat(existing.ofKind("ServiceAccount")).isEmpty();
    assertThat(
            existing
                .only("ClusterRoleBinding", ClusterRoleBinding.class)
                .getSubjects()
                .get(0)
                .getName())
        .isEqualTo("existing");

    assertThat(Rendered.templateError("--set", "serviceAccount.create=false"))
        .contains("serviceAccount.name is required when serviceAccount.create is false");
  }

  @Test
  void leaderElectionCanBeTurnedOffAndTwoReplicasGetAPdb() {
    Rendered off = Rendered.template("--set", "leaderElection.enabled=false");
    assertThat(
            values(
                off.only("Deployment", Deployment.class)
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0)))
        .containsEntry("DISAGG_LEADER_ELECTION_ENABLED", "false");
    assertThat(off.ofKind("Role")).isEmpty();
    assertThat(off.ofKind("RoleBinding")).isEmpty();

    Rendered two = Rendered.template("--set", "replicas=2");
    Deployment d = two.only("Deployment", Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    PodDisruptionBudget pdb = two.only("PodDisruptionBudget", PodDisruptionBudget.class);
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    assertThat(
            Rendered.template("--set", "replicas=2", "--set", "podDisruptionBudget.enabled=false")
                .ofKind("PodDisruptionBudget"))
        .isEmpty();
  }

  @Test
  void metricsServiceSelectsTheOperatorAndServiceMonitorIsOptIn() {
    Rendered r = Rendered.template();
    Service svc = r.only("Service", Service.class);
    assertThat(svc.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getPort()).isEqualTo(8080);
              assertThat(p.getName()).isEqualTo("http-metrics");
              assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
            });
    Deployment d = r.only("Deployment", Deployment.class);
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(svc.getSpec().getSelector());
    assertThat(r.ofKind("ServiceMonitor")).isEmpty();

    Rendered sm =
        Rendered.template(
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "metrics.serviceMonitor.interval=15s",
            "--set",
            "metrics.serviceMonitor.labels.release=prometheus");
    ObjectNode mon = sm.ofKind("ServiceMonitor").get(0);
    assertThat(sm.ofKind("ServiceMonitor")).hasSize(1);
    assertThat(mon.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(mon.path("metadata").path("labels").path("release").asText())
        .isEqualTo("prometheus");
    assertThat(mon.path("spec").path("endpoints").get(0).path("port").asText())
        .isEqualTo("http-metrics");
    assertThat(mon.path("spec").path("endpoints").get(0).path("path").asText())
        .isEqualTo("/q/metrics");
    assertThat(mon.path("spec").path("endpoints").get(0).path("interval").asText())
        .isEqualTo("15s");
    // The operator's metrics keep the DisaggCluster's namespace (the dashboard and alerts use it).
    assertThat(mon.path("spec").path("endpoints").get(0).path("honorLabels").asBoolean()).isTrue();
    Map<String, String> selector =
        Rendered.SERIALIZATION.convertValue(
            mon.path("spec").path("selector").path("matchLabels"), Map.class);
    assertThat(sm.only("Service", Service.class).getMetadata().getLabels())
        .containsAllEntriesOf(selector);

    assertThat(
            Rendered.templateError(
                "--set",
                "metrics.serviceMonitor.enabled=true",
                "--set",
                "metrics.service.enabled=false"))
        .contains("metrics.serviceMonitor.enabled needs metrics.service.enabled");
  }

  @Test
  void dashboardIsAnOptInConfigMapForTheGrafanaSidecar() throws Exception {
    assertThat(Rendered.template().ofKind("ConfigMap")).isEmpty();
    Rendered r =
        Rendered.template(
            "--set",
            "dashboards.enabled=true",
            "--set",
            "dashboards.annotations.grafana_folder=LLM",
            "--set",
            "dashboards.namespace=monitoring");
    ConfigMap cm = r.only("ConfigMap", ConfigMap.class);
    assertThat(cm.getMetadata().getNamespace()).isEqualTo("monitoring");
    assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    assertThat(cm.getMetadata().getAnnotations()).containsEntry("grafana_folder", "LLM");
    // The same dashboard as the file in the repository (for import by hand).
    String file =
        java.nio.file.Files.readString(Helm.chartDir().resolve("dashboards/disagg-cluster.json"));
    assertThat(cm.getData().get("disagg-cluster.json")).isEqualTo(file.stripTrailing());
    assertThat(
            Rendered.template("--set", "dashboards.enabled=true")
                .only("ConfigMap", ConfigMap.class)
                .getMetadata()
                .getNamespace())
        .isEqualTo(NAMESPACE);
  }

  @Test
  void bundledEtcdIsAnOptInSingleNodeStatefulSetAndBecomesTheDefaultEndpoint() {
    Rendered r =
        Rendered.template(
            "--set",
            "etcd.enabled=true",
            "--set",
            "etcd.persistence.size=5Gi",
            "--set",
            "etcd.persistence.storageClass=fast");
    String etcdName = FULLNAME + "-etcd";
    StatefulSet sts = r.only("StatefulSet", StatefulSet.class);
    assertThat(sts.getMetadata().getName()).isEqualTo(etcdName);
    assertThat(sts.getSpec().getReplicas()).isEqualTo(1);
    PodSpec pod = sts.getSpec().getTemplate().getSpec();
    Container etcd = pod.getContainers().get(0);
    assertThat(etcd.getImage()).matches("quay\\.io/coreos/etcd:v3\\.5\\.\\d+");
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isNotZero();
    assertThat(etcd.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(etcd.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(etcd.getCommand())
        .contains("--listen-client-urls=http://0.0.0.0:2379")
        .noneMatch(a -> a.contains("--client-cert-auth") || a.contains("https://"));
    assertThat(sts.getSpec().getVolumeClaimTemplates())
        .singleElement()
        .satisfies(
            pvc -> {
              assertThat(pvc.getMetadata().getName()).isEqualTo("data");
              assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString())
                  .isEqualTo("5Gi");
              assertThat(pvc.getSpec().getStorageClassName()).isEqualTo("fast");
            });
    assertThat(sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted())
        .isEqualTo("Delete");

    Service client = r.get("Service", NAMESPACE, etcdName, Service.class);
    assertThat(client.getSpec().getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(2379));
    Map<String, String> etcdPodLabels = sts.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(etcdPodLabels).containsAllEntriesOf(client.getSpec().getSelector());
    // the operator's metrics Service and Deployment must not select etcd pods, nor etcd's Service
    // operator pods
    Service metrics = r.get("Service", NAMESPACE, FULLNAME + "-metrics", Service.class);
    assertThat(selects(metrics.getSpec().getSelector(), etcdPodLabels)).isFalse();
    Deployment d = r.only("Deployment", Deployment.class);
    assertThat(selects(d.getSpec().getSelector().getMatchLabels(), etcdPodLabels)).isFalse();
    assertThat(
            selects(
                client.getSpec().getSelector(),
                d.getSpec().getTemplate().getMetadata().getLabels()))
        .isFalse();

    assertThat(values(d.getSpec().getTemplate().getSpec().getContainers().get(0)))
        .containsEntry(
            "DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS", etcdName + "." + NAMESPACE + ".svc:2379");

    // without persistence: an emptyDir, no PVCs
    StatefulSet eph =
        Rendered.template("--set", "etcd.enabled=true", "--set", "etcd.persistence.enabled=false")
            .only("StatefulSet", StatefulSet.class);
    assertThat(eph.getSpec().getVolumeClaimTemplates()).isNullOrEmpty();
    assertThat(eph.getSpec().getTemplate().getSpec().getVolumes())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getName()).isEqualTo("data");
              assertThat(v.getEmptyDir()).isNotNull();
            });
  }

  @Test
  void explicitDefaultEtcdEndpointsWinOverTheBundledEtcd() {
    Rendered r =
        Rendered.template(
            "--set",
            "etcd.enabled=true",
            "--set",
            "discovery.defaultEtcdEndpoints={etcd-0.infra:2379,etcd-1.infra:2379}");
    assertThat(
            values(
                r.only("Deployment", Deployment.class)
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0)))
        .containsEntry(
            "DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS", "etcd-0.infra:2379,etcd-1.infra:2379");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "replicas=-1|/replicas",
        "replica=2|'replica'",
        "image.pullPolicy=Sometimes|/image/pullPolicy",
        "watchNamespaces={Team_A}|/watchNamespaces/0",
        "discovery.defaultEtcdEndpoints={http://etcd:2379}|/discovery/defaultEtcdEndpoints/0",
        "rbac.readEtcdSecret=true|'readEtcdSecret'",
        "etcd.enabled=yes|/etcd/enabled",
        "monitoring.podMonitors.enabled=yes|/monitoring/podMonitors/enabled",
        "monitoring.podMonitors.labels.a=b\\,c|/monitoring/podMonitors/labels/a"
      })
  void schemaRejectsBadValuesNamingTheKey(String caseSpec) {
    String[] parts = caseSpec.split("\\|");
    String message = Rendered.templateError("--set", parts[0]);
    assertThat(message)
        .as("helm template --set %s", parts[0])
        .contains("values don't meet the specifications of the schema")
        .contains(parts[1]);
  }

  // --- helpers
  // ---------------------------------------------------------------------------------------------------

  /**
   * group/resource -> verbs; fails unless every rule names exactly one group and one resource, each
   * once, no wildcards.
   */
  static Map<String, List<String>> rules(List<PolicyRule> rules) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (PolicyRule rule : rules) {
      assertThat(rule.getApiGroups()).as("one apiGroup per rule: %s", rule).hasSize(1);
      assertThat(rule.getResources()).as("one resource per rule: %s", rule).hasSize(1);
      assertThat(rule.getResourceNames()).as("rule %s", rule).isNullOrEmpty();
      assertThat(rule.getNonResourceURLs()).as("rule %s", rule).isNullOrEmpty();
      assertThat(rule.getVerbs()).as("rule %s", rule).doesNotContain("*").doesNotHaveDuplicates();
      assertThat(rule.getResources().get(0)).isNotEqualTo("*");
      String key = rule.getApiGroups().get(0) + "/" + rule.getResources().get(0);
      assertThat(out).as("a second rule for %s", key).doesNotContainKey(key);
      out.put(key, rule.getVerbs());
    }
    return out;
  }

  static Map<String, EnvVar> env(Container c) {
    Map<String, EnvVar> m = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (EnvVar e : c.getEnv()) {
      assertThat(seen.add(e.getName())).as("env %s set twice", e.getName()).isTrue();
      m.put(e.getName(), e);
    }
    return m;
  }

  static Map<String, String> values(Container c) {
    Map<String, String> m = new LinkedHashMap<>();
    env(c).forEach((k, v) -> Optional.ofNullable(v.getValue()).ifPresent(x -> m.put(k, x)));
    return m;
  }

  static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }
}
