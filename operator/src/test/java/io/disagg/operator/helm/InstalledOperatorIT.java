package io.disagg.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.Helm;
import io.disagg.operator.testing.HelmTest;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.disagg.operator.testing.trtllm.SimulatedKubelet;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged operator (the Quarkus application the images run, {@code quarkus-run.jar}) started
 * exactly as the chart's Deployment configures it: the chart installed with {@code replicas=0}
 * (no image can be pulled here), the process given the container's environment from the
 * installed Deployment, the chart's ServiceAccount token and nothing else. It must elect itself
 * leader, reconcile a sample that names no etcd (the chart's default endpoints) to Ready, and
 * answer the chart's probe and metrics paths. This is what a unit of the chart cannot show:
 * build-time Quarkus properties, the real start-up path (CDI producers, leader election, the
 * QOSDK configuration) and the application's own HTTP endpoints.
 */
@ClusterTest
@HelmTest
class InstalledOperatorIT {

  private static final String RELEASE = "disagg-operator";
  private static final Duration TIMEOUT = Duration.ofSeconds(150);

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void thePackagedOperatorRunsWithTheChartsConfigurationAndIdentity(TestNamespace ns) throws Exception {
    Path jar = LocalCluster.repoRoot().resolve("operator/target/quarkus-app/quarkus-run.jar");
    assertThat(jar).as("packaged by the package phase before the integration tests").isRegularFile();
    Path work = Files.createTempDirectory("installed-operator");
    Path log = work.resolve("operator.log");
    try (EtcdServer etcd = EtcdServer.start()) {
      Helm.run(Duration.ofMinutes(4), List.of("install", RELEASE, Helm.chartDir().toString(), "--namespace", ns.name(),
          "--kubeconfig", LocalCluster.availability().kubeconfig().toString(), "--skip-crds", "--wait",
          "--set", "replicas=0", "--set", "watchNamespaces={" + ns.name() + "}",
          "--set", "discovery.defaultEtcdEndpoints={" + etcd.endpoint() + "}")).orFail();
      Process operator = null;
      try (SimulatedKubelet kubelet = SimulatedKubelet.builder(ns.client(), ns.name(), etcd.endpoint()).start()) {
        Deployment d = ns.client().apps().deployments().inNamespace(ns.name())
            .withLabel("app.kubernetes.io/instance", RELEASE).list().getItems().get(0);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        String sa = d.getSpec().getTemplate().getSpec().getServiceAccountName();
        int port = freePort();

        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar.toString())
            .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("QUARKUS_") || k.startsWith("DISAGG_") || k.equals("KUBECONFIG"));
        for (EnvVar e : c.getEnv()) {
          if (e.getValue() != null) {
            env.put(e.getName(), e.getValue());
          }
        }
        env.put("POD_NAMESPACE", ns.name()); // the downward API's value in a pod
        env.put("POD_NAME", "installed-operator-it");
        env.put("KUBECONFIG", serviceAccountKubeconfig(ns, sa, work).toString());
        // Loopback only, on a free port; the chart's probes use the same port name and paths.
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        assertThat(c.getPorts()).anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
        operator = pb.start();

        DisaggCluster cr = Samples.load("minimal.yaml");
        cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>()); // the chart's default
        DisaggClusters.create(ns, cr);
        Process running = operator;
        await().atMost(TIMEOUT).untilAsserted(() -> {
          assertThat(running.isAlive()).as("operator process (log %s)", log).isTrue();
          DisaggCluster got = DisaggClusters.get(ns, "tinyllama");
          assertThat(got.getStatus()).isNotNull();
          assertThat(io.disagg.operator.status.Conditions.find(got.getStatus().getConditions(),
              io.disagg.operator.status.Conditions.READY)).hasValueSatisfying(rc -> assertThat(rc.getStatus())
              .as(rc.getReason() + ": " + rc.getMessage()).isEqualTo("True"));
        });

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (String path : List.of(c.getLivenessProbe().getHttpGet().getPath(), c.getReadinessProbe().getHttpGet().getPath(),
            c.getStartupProbe().getHttpGet().getPath())) {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).as("chart probe path %s", path).isEqualTo(200);
        }
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).as("operator metrics for the metrics Service").contains("operator_sdk_");
        assertThat(ns.client().leases().inNamespace(ns.name()).withName("disagg-operator-leader").get().getSpec()
            .getHolderIdentity()).isNotBlank();
        assertThat(Files.readString(log)).doesNotContain("Build time property cannot be changed at runtime");
      } finally {
        if (operator != null) {
          operator.destroy();
          if (!operator.waitFor(20, TimeUnit.SECONDS)) {
            operator.destroyForcibly();
          }
        }
        Helm.run(Duration.ofMinutes(2), List.of("uninstall", RELEASE, "--namespace", ns.name(),
            "--kubeconfig", LocalCluster.availability().kubeconfig().toString()));
        if (Files.exists(log)) {
          System.out.println("[installed operator log tail]\n" + tail(Files.readString(log), 40));
        }
      }
    }
  }

  /** A kubeconfig with the API server and CA of the admin's, and the ServiceAccount's token. */
  private static Path serviceAccountKubeconfig(TestNamespace ns, String sa, Path dir) throws IOException {
    String token = ns.client().serviceAccounts().inNamespace(ns.name()).withName(sa)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    var admin = ns.client().getConfiguration();
    String ca = admin.getCaCertData();
    if (ca == null && admin.getCaCertFile() != null) {
      ca = java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(admin.getCaCertFile())));
    }
    String yaml = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: local
          cluster:
            server: %s
            certificate-authority-data: %s
        users:
        - name: %s
          user:
            token: %s
        contexts:
        - name: operator
          context: {cluster: local, user: %s, namespace: %s}
        current-context: operator
        """.formatted(admin.getMasterUrl(), ca, sa, token, sa, ns.name());
    Path f = dir.resolve("operator-sa.kubeconfig");
    Files.writeString(f, yaml);
    return f;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String tail(String text, int lines) {
    List<String> all = text.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
