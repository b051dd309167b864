package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.disagg.e2e.testing.Helm;
import io.disagg.e2e.testing.HelmTest;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The chart on a real API server: every rendered object passes a server-side dry run, {@code helm
 * install --wait} succeeds, the installed RBAC grants what the operator needs (checked with
 * SubjectAccessReviews) and no more, and {@code helm uninstall} removes everything but the CRD,
 * cluster-scoped objects included. The CRD is installed first, as the other cluster tests do: Helm
 * skips a CRD of its {@code crds/} that already exists, and never deletes one.
 */
@ClusterTest
@HelmTest
class HelmChartIT {

  static final String RELEASE = "disagg";
  static final String CRD = "disaggclusters.serving.disagg.io";
  static final String FULLNAME = RELEASE + "-disagg-operator";
  static final String FIELD_MANAGER = "helm-chart-it";

  @Test
  void clusterWideInstallWorksAndUninstallLeavesOnlyTheCrd(TestNamespace ns) {
    KubernetesClient client = ns.client();
    Samples.installCrd(client);
    try {
      for (List<String> values :
          List.of(
              List.<String>of(),
              List.of("--set", "rbac.readEtcdSecrets=true", "--set", "replicas=2"),
              List.of("--set", "etcd.enabled=true"),
              List.of("--set", "watchNamespaces={" + ns.name() + "}"))) {
        dryRunOnServer(client, ns.name(), values);
      }

      Helm.Result install = helm(ns, installArgs(client, List.of()));
      assertThat(install.stdout()).contains("STATUS: deployed").contains("kubectl get dgc -A");
      List<HasMetadata> installed = manifest(ns);
      assertAllExist(client, installed);
      assertThat(installed.stream().map(HasMetadata::getKind).distinct())
          .containsExactlyInAnyOrder(
              "ServiceAccount",
              "ClusterRole",
              "ClusterRoleBinding",
              "Role",
              "RoleBinding",
              "Service",
              "Deployment");
      if (simulatedNodes(client)) {
        Deployment d = client.apps().deployments().inNamespace(ns.name()).withName(FULLNAME).get();
        assertThat(d.getStatus().getReadyReplicas())
            .as("helm install --wait waited for the Deployment")
            .isEqualTo(1);
      }

      // What the installed RBAC lets the operator's ServiceAccount do, as the API server decides
      // it.
      String sa = "system:serviceaccount:" + ns.name() + ":" + FULLNAME;
      assertThat(allowed(client, sa, "default", "serving.disagg.io", "disaggclusters", "watch"))
          .isTrue();
      assertThat(allowed(client, sa, "kube-public", "apps", "statefulsets", "create")).isTrue();
      assertThat(
              allowed(client, sa, "default", "serving.disagg.io", "disaggclusters/status", "patch"))
          .isTrue();
      assertThat(allowed(client, sa, "default", "", "events", "create")).isTrue();
      assertThat(allowed(client, sa, ns.name(), "coordination.k8s.io", "leases", "update"))
          .isTrue();
      assertThat(allowed(client, sa, "default", "", "secrets", "get"))
          .as("secrets only with rbac.readEtcdSecrets")
          .isFalse();
      assertThat(allowed(client, sa, "default", "serving.disagg.io", "disaggclusters", "delete"))
          .isFalse();
      assertThat(allowed(client, sa, "default", "", "pods", "delete"))
          .as("a worker that serves nobody is restarted")
          .isTrue();
      assertThat(allowed(client, sa, "default", "", "pods", "create")).isFalse();
      assertThat(allowed(client, sa, "default", "", "pods/log", "get")).isTrue();
      assertThat(allowed(client, sa, "default", "", "pods/exec", "create")).isFalse();
      assertThat(allowed(client, sa, "default", "monitoring.coreos.com", "podmonitors", "delete"))
          .as("PodMonitors are deleted when a DisaggCluster turns them off")
          .isTrue();
      assertThat(
              allowed(client, sa, "default", "monitoring.coreos.com", "servicemonitors", "create"))
          .isFalse();
      assertThat(allowed(client, sa, "default", "batch", "jobs", "create"))
          .as("the model cache's download Job")
          .isTrue();
      assertThat(allowed(client, sa, "default", "", "persistentvolumeclaims", "delete"))
          .as("the model cache's claim is never deleted by the operator")
          .isFalse();
      assertThat(allowed(client, sa, "default", "coordination.k8s.io", "leases", "update"))
          .as("leases only in the release namespace")
          .isFalse();
      assertThat(
              allowed(client, sa, null, "apiextensions.k8s.io", "customresourcedefinitions", "get"))
          .as("no CRD read (the PodMonitor CRD's presence comes from API discovery)")
          .isFalse();

      uninstallAndAssertOnlyTheCrdStays(client, ns, installed);
    } finally {
      deleteClusterScoped(client, ns.name());
    }
  }

  @Test
  void namespacedInstallWithBundledEtcdGrantsOnlyTheWatchedNamespaces(TestNamespace ns) {
    KubernetesClient client = ns.client();
    Samples.installCrd(client);
    String watched = ns.name() + "-w";
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(watched)
                .addToLabels("serving.disagg.io/test", "true")
                .endMetadata()
                .build())
        .create();
    try {
      // etcd without persistence: the local cluster has no volume provisioner, a PVC would stay
      // Pending.
      List<String> values =
          List.of(
              "--set",
              "watchNamespaces={" + ns.name() + "," + watched + "}",
              "--set",
              "etcd.enabled=true",
              "--set",
              "etcd.persistence.enabled=false",
              "--set",
              "replicas=2",
              "--set",
              "rbac.readEtcdSecrets=true");
      dryRunOnServer(client, ns.name(), values);
      Helm.Result install = helm(ns, installArgs(client, values));
      assertThat(install.stdout())
          .contains("EVALUATION")
          .contains("connect to etcd without TLS/auth")
          .contains("kubectl apply -n " + ns.name() + " -f config-samples/minimal.yaml")
          .contains(
              "DisaggClusters without spec.discovery.etcd.endpoints use "
                  + FULLNAME
                  + "-etcd."
                  + ns.name()
                  + ".svc:2379");

      List<HasMetadata> installed = manifest(ns);
      assertAllExist(client, installed);
      assertThat(installed).noneMatch(o -> o.getKind().startsWith("Cluster"));
      assertThat(
              installed.stream()
                  .filter(o -> o.getKind().equals("Role"))
                  .map(o -> o.getMetadata().getNamespace()))
          .containsExactlyInAnyOrder(ns.name(), ns.name(), watched);
      if (simulatedNodes(client)) {
        StatefulSet etcd =
            client.apps().statefulSets().inNamespace(ns.name()).withName(FULLNAME + "-etcd").get();
        assertThat(etcd.getStatus().getReadyReplicas())
            .as("helm install --wait waited for etcd")
            .isEqualTo(1);
      }
      assertThat(
              client
                  .policy()
                  .v1()
                  .podDisruptionBudget()
                  .inNamespace(ns.name())
                  .withName(FULLNAME)
                  .get())
          .isNotNull();

      String sa = "system:serviceaccount:" + ns.name() + ":" + FULLNAME;
      for (String n : List.of(ns.name(), watched)) {
        assertThat(allowed(client, sa, n, "apps", "deployments", "patch")).as("in %s", n).isTrue();
        assertThat(allowed(client, sa, n, "", "secrets", "get")).as("in %s", n).isTrue();
        assertThat(allowed(client, sa, n, "", "secrets", "list")).as("in %s", n).isFalse();
      }
      assertThat(allowed(client, sa, "default", "apps", "deployments", "patch"))
          .as("unwatched namespace")
          .isFalse();
      assertThat(allowed(client, sa, "default", "serving.disagg.io", "disaggclusters", "list"))
          .as("unwatched namespace")
          .isFalse();

      uninstallAndAssertOnlyTheCrdStays(client, ns, installed);
      assertThat(client.persistentVolumeClaims().inNamespace(ns.name()).list().getItems())
          .isEmpty();
    } finally {
      deleteClusterScoped(client, ns.name());
      client.namespaces().withName(watched).delete();
    }
  }

  // --- helpers
  // ---------------------------------------------------------------------------------------------------

  /**
   * {@code helm install}; with {@code --wait} on the local cluster, whose simulated nodes make
   * every pod Ready without pulling an image. A real cluster (e.g. Kind) would have to pull an
   * operator image that is not published, so there the install does not wait for readiness.
   */
  private static String[] installArgs(KubernetesClient client, List<String> values) {
    List<String> args = new ArrayList<>(List.of("install", RELEASE, Helm.chartDir().toString()));
    if (simulatedNodes(client)) {
      args.addAll(List.of("--wait", "--timeout", "3m"));
    }
    args.addAll(values);
    return args.toArray(String[]::new);
  }

  private static boolean simulatedNodes(KubernetesClient client) {
    var nodes = client.nodes().list().getItems();
    return !nodes.isEmpty()
        && nodes.stream()
            .allMatch(
                n ->
                    n.getMetadata().getLabels() != null
                        && n.getMetadata().getLabels().containsKey("kwok.x-k8s.io/node"));
  }

  private static Helm.Result helm(TestNamespace ns, String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(
        List.of(
            "--namespace",
            ns.name(),
            "--kubeconfig",
            LocalCluster.availability().kubeconfig().toString()));
    Helm.Result r = Helm.run(Duration.ofMinutes(4), a);
    r.orFail();
    return r;
  }

  /**
   * {@code helm template} of these values, every object sent to the API server as a
   * server-side-apply dry run.
   */
  private static void dryRunOnServer(
      KubernetesClient client, String namespace, List<String> values) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "template",
                RELEASE,
                Helm.chartDir().toString(),
                "--namespace",
                namespace,
                "--include-crds"));
    args.addAll(values);
    Rendered r = Rendered.parse(Helm.run(Duration.ofMinutes(2), args).orFail());
    assertThat(r.ofKind("CustomResourceDefinition"))
        .as("--include-crds renders the chart's CRD")
        .hasSize(1);
    for (ObjectNode node : r.objects) {
      HasMetadata obj = Rendered.SERIALIZATION.convertValue(node, HasMetadata.class);
      HasMetadata accepted =
          client
              .resource(obj)
              .dryRun()
              .fieldManager(FIELD_MANAGER)
              .forceConflicts()
              .serverSideApply();
      assertThat(accepted.getMetadata().getName())
          .as("%s %s %s", values, obj.getKind(), obj.getMetadata().getName())
          .isEqualTo(obj.getMetadata().getName());
    }
    // a dry run creates nothing
    assertThat(client.apps().deployments().inNamespace(namespace).withName(FULLNAME).get())
        .isNull();
  }

  private static List<HasMetadata> manifest(TestNamespace ns) {
    Rendered r = Rendered.parse(helm(ns, "get", "manifest", RELEASE).stdout());
    assertThat(r.objects).isNotEmpty();
    return r.objects.stream()
        .map(o -> (HasMetadata) Rendered.SERIALIZATION.convertValue(o, HasMetadata.class))
        .toList();
  }

  private static void assertAllExist(KubernetesClient client, List<HasMetadata> objects) {
    for (HasMetadata o : objects) {
      HasMetadata live = client.resource(o).get();
      assertThat(live)
          .as(
              "%s %s/%s in the cluster",
              o.getKind(), o.getMetadata().getNamespace(), o.getMetadata().getName())
          .isNotNull();
      assertThat(live.getMetadata().getLabels())
          .containsEntry("app.kubernetes.io/managed-by", "Helm");
      assertThat(live.getMetadata().getAnnotations())
          .containsEntry("meta.helm.sh/release-name", RELEASE);
    }
  }

  private static void uninstallAndAssertOnlyTheCrdStays(
      KubernetesClient client, TestNamespace ns, List<HasMetadata> installed) {
    assertThat(helm(ns, "uninstall", RELEASE, "--wait", "--timeout", "2m").stdout())
        .contains("uninstalled");
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              for (HasMetadata o : installed) {
                assertThat(client.resource(o).get())
                    .as(
                        "%s %s/%s after helm uninstall",
                        o.getKind(), o.getMetadata().getNamespace(), o.getMetadata().getName())
                    .isNull();
              }
              assertThat(
                      client
                          .pods()
                          .inNamespace(ns.name())
                          .withLabel("app.kubernetes.io/instance", RELEASE)
                          .list()
                          .getItems())
                  .isEmpty();
            });
    assertThat(client.secrets().inNamespace(ns.name()).withLabel("owner", "helm").list().getItems())
        .as("release records")
        .isEmpty();
    assertThat(
            client
                .rbac()
                .clusterRoles()
                .withLabel("app.kubernetes.io/instance", RELEASE)
                .list()
                .getItems())
        .noneMatch(r -> r.getMetadata().getName().endsWith("-" + ns.name()));
    assertThat(client.apiextensions().v1().customResourceDefinitions().withName(CRD).get())
        .as("Helm never deletes crds/")
        .isNotNull();
  }

  private static boolean allowed(
      KubernetesClient client,
      String user,
      String namespace,
      String group,
      String resource,
      String verb) {
    String[] parts = resource.split("/", 2);
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user)
            .withGroups("system:serviceaccounts", "system:authenticated")
            .withNewResourceAttributes()
            .withNamespace(namespace)
            .withGroup(group)
            .withResource(parts[0])
            .withSubresource(parts.length > 1 ? parts[1] : null)
            .withVerb(verb)
            .endResourceAttributes()
            .endSpec()
            .build();
    return client
        .authorization()
        .v1()
        .subjectAccessReview()
        .create(review)
        .getStatus()
        .getAllowed();
  }

  /**
   * Cluster-scoped objects of this test's release (their names end with the release namespace), if
   * a test left any.
   */
  private static void deleteClusterScoped(KubernetesClient client, String namespace) {
    client
        .rbac()
        .clusterRoleBindings()
        .withLabel("app.kubernetes.io/instance", RELEASE)
        .list()
        .getItems()
        .stream()
        .filter(b -> b.getMetadata().getName().endsWith("-" + namespace))
        .forEach(b -> client.resource(b).delete());
    client
        .rbac()
        .clusterRoles()
        .withLabel("app.kubernetes.io/instance", RELEASE)
        .list()
        .getItems()
        .stream()
        .filter(r -> r.getMetadata().getName().endsWith("-" + namespace))
        .forEach(r -> client.resource(r).delete());
  }
}
