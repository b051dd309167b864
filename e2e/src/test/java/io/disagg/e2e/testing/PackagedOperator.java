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
    return start(ns, d, podName, extraEnv, List.of());
  }

  /**
   * Starts one replica of the chart's Deployment {@code d} as pod {@code podName}, with JVM options
   * before {@code -jar} (e.g. {@link #chartJvmOptions}).
   *
   * @param extraEnv further environment, e.g. shorter Lease timings
   * @param jvmOptions options of the {@code java} command
   */
  public static PackagedOperator start(
      TestNamespace ns,
      Deployment d,
      String podName,
      Map<String, String> extraEnv,
      List<String> jvmOptions) {
    try {
      Path work = Files.createTempDirectory("operator-" + podName);
      Path log = work.resolve("operator.log");
      Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
      String sa = d.getSpec().getTemplate().getSpec().getServiceAccountName();
      int port = freePort();
      ProcessBuilder pb =
          new ProcessBuilder(command(jvmOptions))
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

  /**
   * The JVM options the chart's container runs the operator with, as far as they reach a JVM
   * started here: {@code -XX:MaxRAM} of the container's memory limit (so the heap is sized from the
   * limit as in the container, where the JVM reads the cgroup limit), the chart's {@code JAVA_OPTS}
   * (value {@code javaOpts}), and the log manager of the image's {@code JAVA_OPTS_APPEND} ({@code
   * operator/src/main/docker/Dockerfile.jvm}). Options the image's {@code run-java.sh} adds on its
   * own are not known here and not included.
   */
  public static List<String> chartJvmOptions(Deployment d) {
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> options = new java.util.ArrayList<>();
    if (c.getResources() != null
        && c.getResources().getLimits() != null
        && c.getResources().getLimits().get("memory") != null) {
      options.add(
          "-XX:MaxRAM="
              + io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(
                      c.getResources().getLimits().get("memory"))
                  .toBigInteger());
    }
    for (EnvVar e : c.getEnv()) {
      if (e.getName().equals("JAVA_OPTS") && e.getValue() != null && !e.getValue().isBlank()) {
        options.addAll(List.of(e.getValue().trim().split("\\s+")));
      }
    }
    options.add("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
    return options;
  }

  private static List<String> command(List<String> jvmOptions) {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add("java");
    cmd.addAll(jvmOptions);
    cmd.add("-jar");
    cmd.add(jar().toString());
    return cmd;
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
