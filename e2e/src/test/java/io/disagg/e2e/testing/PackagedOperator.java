package io.disagg.e2e.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The packaged operator (the Quarkus application the images run, {@code quarkus-run.jar}) started
 * as a separate process exactly as the chart's Deployment configures its container: the container's
 * environment read from the installed Deployment, {@code POD_NAMESPACE} and {@code POD_NAME} as the
 * downward API gives them, and a kubeconfig holding only a token of the chart's ServiceAccount.
 * HTTP on a free loopback port. {@link #close()} sends SIGTERM, as the kubelet does, and kills the
 * process if it has not exited after 30 seconds.
 */
public final class PackagedOperator implements AutoCloseable {

  private final String podName;
  private final Process process;
  private final Path log;
  private final int port;

  private PackagedOperator(String podName, Process process, Path log, int port) {
    this.podName = podName;
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** {@code operator/target/quarkus-app/quarkus-run.jar}, packaged before the integration tests. */
  public static Path jar() {
    Path jar = LocalCluster.repoRoot().resolve("operator/target/quarkus-app/quarkus-run.jar");
    assertThat(jar)
        .as("packaged by the package phase before the integration tests")
        .isRegularFile();
    return jar;
  }

  /** The Deployment the chart release installed in the namespace. */
  public static Deployment chartDeployment(TestNamespace ns, String release) {
    return ns.client()
        .apps()
        .deployments()
        .inNamespace(ns.name())
        .withLabel("app.kubernetes.io/instance", release)
        .list()
        .getItems()
        .get(0);
  }

  /**
   * Starts one replica of the chart's Deployment {@code d} as pod {@code podName}.
   *
   * @param extraEnv further environment, e.g. shorter Lease timings
   */
  public static PackagedOperator start(
      TestNamespace ns, Deployment d, String podName, Map<String, String> extraEnv) {
    try {
      Path work = Files.createTempDirectory("operator-" + podName);
      Path log = work.resolve("operator.log");
      Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
      String sa = d.getSpec().getTemplate().getSpec().getServiceAccountName();
      int port = freePort();
      ProcessBuilder pb =
          new ProcessBuilder("java", "-jar", jar().toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      Map<String, String> env = pb.environment();
      env.keySet()
          .removeIf(
              k ->
                  k.startsWith("QUARKUS_")
                      || k.startsWith("DISAGG_")
                      || k.equals("KUBECONFIG")
                      || k.equals("JAVA_OPTS"));
      for (EnvVar e : c.getEnv()) {
        if (e.getValue() != null) {
          env.put(e.getName(), e.getValue());
        }
      }
      env.put("POD_NAMESPACE", ns.name()); // the downward API's values in a pod
      env.put("POD_NAME", podName);
      env.put("KUBECONFIG", serviceAccountKubeconfig(ns, sa, work).toString());
      // Loopback only, on a free port; the chart's probes use the same paths.
      env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
      env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
      env.putAll(extraEnv);
      return new PackagedOperator(podName, pb.start(), log, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String podName() {
    return podName;
  }

  public Process process() {
    return process;
  }

  public Path log() {
    return log;
  }

  /** The HTTP port (probes, metrics) on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Whether the chart's startup probe path answers 200. */
  public boolean started() {
    return get("/q/health/started").map(r -> r.statusCode() == 200).orElse(false);
  }

  /** GET of a path on the operator's HTTP port; empty when it does not answer. */
  public Optional<HttpResponse<String>> get(String path) {
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      return Optional.of(
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** SIGTERM, as the kubelet sends it. */
  public void terminate() {
    process.destroy();
  }

  /** The log so far. */
  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** The last {@code lines} lines of the log. */
  public String logTail(int lines) {
    List<String> all = logText().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** The holder of the Lease {@code namespace/name}, or null. */
  public static String leaseHolder(TestNamespace ns, String name) {
    Lease l = ns.client().leases().inNamespace(ns.name()).withName(name).get();
    return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    System.out.println("[operator " + podName + " log tail]\n" + logTail(40));
  }

  /** A kubeconfig with the API server and CA of the admin's, and the ServiceAccount's token. */
  private static Path serviceAccountKubeconfig(TestNamespace ns, String sa, Path dir)
      throws IOException {
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
    var admin = ns.client().getConfiguration();
    String ca = admin.getCaCertData();
    if (ca == null && admin.getCaCertFile() != null) {
      ca = Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(admin.getCaCertFile())));
    }
    String yaml =
        """
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
        """
            .formatted(admin.getMasterUrl(), ca, sa, token, sa, ns.name());
    Path f = dir.resolve("operator-sa.kubeconfig");
    Files.writeString(f, yaml);
    return f;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
