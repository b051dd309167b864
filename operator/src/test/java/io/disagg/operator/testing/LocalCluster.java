package io.disagg.operator.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The Kubernetes cluster the integration tests run against, had once per test JVM.
 *
 * <p>Order of preference: the cluster named by {@code KUBECONFIG} (e.g. a Kind cluster) when that
 * file exists; otherwise the project's local control plane, started with {@code e2e/cluster/up.sh}
 * (real kube-apiserver, etcd, controller-manager and scheduler with simulated GPU nodes) and
 * stopped again at JVM exit if this class started it. When no cluster can be had, {@link
 * #availability()} says why; {@link ClusterExtension} then skips the test, or fails it when {@code
 * CI} is set, because in CI the cluster must be had.
 */
public final class LocalCluster {

  private static final Duration UP_TIMEOUT = Duration.ofMinutes(45);
  private static volatile Availability availability;

  private LocalCluster() {}

  /** Whether a cluster is available, starting the local one if needed (at most once per JVM). */
  public static synchronized Availability availability() {
    if (availability == null) {
      availability = findOrStart();
    }
    return availability;
  }

  /**
   * A new client for the cluster, optionally with extra HTTP client settings (e.g. interceptors).
   */
  public static KubernetesClient newClient(Consumer<HttpClient.Builder> httpCustomizer) {
    Availability a = availability();
    if (!a.available()) {
      throw new IllegalStateException("no Kubernetes cluster: " + a.reason());
    }
    try {
      Config config = Config.fromKubeconfig(Files.readString(a.kubeconfig()));
      config.setRequestTimeout(30_000);
      KubernetesClientBuilder builder = new KubernetesClientBuilder().withConfig(config);
      if (httpCustomizer != null) {
        builder.withHttpClientBuilderConsumer(httpCustomizer);
      }
      return builder.build();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read kubeconfig " + a.kubeconfig(), e);
    }
  }

  /** A new client for the cluster. */
  public static KubernetesClient newClient() {
    return newClient(null);
  }

  /** The repository root (the directory holding {@code e2e/cluster/up.sh}). */
  public static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("e2e/cluster/up.sh"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "e2e/cluster/up.sh not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  private static Availability findOrStart() {
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank() && Files.isRegularFile(Path.of(env))) {
      return Availability.of(Path.of(env), "KUBECONFIG");
    }
    Path root;
    try {
      root = repoRoot();
    } catch (IllegalStateException e) {
      return Availability.none(e.getMessage());
    }
    Path up = root.resolve("e2e/cluster/up.sh");
    Path log = root.resolve("operator/target/local-cluster-up.log");
    try {
      Files.createDirectories(log.getParent());
      Path kubeconfig =
          Path.of(
              capture(
                  List.of(
                      "bash",
                      "-c",
                      ". \"$0\"; printf %s \"$KUBECONFIG_OUT\"",
                      root.resolve("e2e/cluster/lib.sh").toString())));
      boolean wasRunning = reachable(kubeconfig);
      int rc = run(List.of("bash", up.toString()), log, UP_TIMEOUT);
      if (rc != 0) {
        return Availability.none("e2e/cluster/up.sh exited with " + rc + ": " + tail(log));
      }
      if (!wasRunning && !"true".equals(System.getenv("DISAGG_KEEP_CLUSTER"))) {
        Path down = root.resolve("e2e/cluster/down.sh");
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        run(List.of("bash", down.toString()), log, Duration.ofMinutes(2));
                      } catch (IOException | InterruptedException ignored) {
                        // best effort at JVM exit
                      }
                    },
                    "local-cluster-down"));
      }
      return Availability.of(kubeconfig, "e2e/cluster/up.sh");
    } catch (IOException e) {
      return Availability.none("cannot run e2e/cluster/up.sh: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Availability.none("interrupted while starting the local cluster");
    }
  }

  private static boolean reachable(Path kubeconfig) {
    if (!Files.isRegularFile(kubeconfig)) {
      return false;
    }
    try {
      Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
      config.setRequestTimeout(3_000);
      config.setConnectionTimeout(3_000);
      try (KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build()) {
        return c.getKubernetesVersion() != null;
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static int run(List<String> cmd, Path log, Duration timeout)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      return -1;
    }
    return p.exitValue();
  }

  private static String capture(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor();
    return out;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Whether a cluster is had, its kubeconfig, and where it came from or why there is none. */
  public record Availability(boolean available, Path kubeconfig, String reason) {
    static Availability of(Path kubeconfig, String source) {
      return new Availability(true, kubeconfig, source);
    }

    static Availability none(String reason) {
      return new Availability(false, null, reason);
    }
  }
}
