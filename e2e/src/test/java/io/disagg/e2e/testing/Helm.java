package io.disagg.e2e.testing;

import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The pinned helm binary the chart tests run, and a way to run it.
 *
 * <p>Found like the harness finds the control plane: {@code $DISAGG_HELM} when set, else {@code
 * $HELM_BIN} of {@code e2e/cluster/lib.sh}, i.e. {@code
 * ~/.cache/disagg-operator/bin/helm-<HELM_VERSION>/helm}, which {@code e2e/cluster/build.sh}
 * compiles from the Go module pinned in {@code e2e/cluster/helm/}. A helm on {@code PATH} is not
 * used: the tests pin the version. Helm's own config, cache and data directories are redirected
 * under {@code e2e/target/helm-home}, so the tests neither read nor change the user's helm set-up
 * (repositories, plugins).
 */
public final class Helm {

  private static volatile Availability availability;

  private Helm() {}

  /**
   * Whether the pinned helm binary exists, its path, and where it came from or why it is missing.
   */
  public record Availability(boolean available, Path binary, String reason) {}

  /** The outcome of one helm command. */
  public record Result(int exitCode, String stdout, String stderr, List<String> command) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** stdout, or an {@link AssertionError} with the command and its stderr when helm failed. */
    public String orFail() {
      if (!ok()) {
        throw new AssertionError(
            "helm failed (exit "
                + exitCode
                + "): "
                + String.join(" ", command)
                + "\n"
                + stderr
                + stdout);
      }
      return stdout;
    }
  }

  /** Locates helm (once per JVM). */
  public static synchronized Availability availability() {
    if (availability == null) {
      availability = locate();
    }
    return availability;
  }

  /** The chart directory, {@code helm/disagg-operator} of the repository. */
  public static Path chartDir() {
    return LocalCluster.repoRoot().resolve("helm/disagg-operator");
  }

  /** Runs {@code helm <args>} and waits at most {@code timeout}. */
  public static Result run(Duration timeout, List<String> args) {
    Availability a = availability();
    if (!a.available()) {
      throw new IllegalStateException("helm is not available: " + a.reason());
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(a.binary().toString());
    cmd.addAll(args);
    Path home = LocalCluster.repoRoot().resolve("e2e/target/helm-home");
    try {
      Files.createDirectories(home);
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
      pb.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
      pb.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
      Process p = pb.start();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            "helm did not finish within " + timeout + ": " + String.join(" ", cmd));
      }
      return new Result(p.exitValue(), out.get(), err.get(), cmd);
    } catch (IOException | ExecutionException e) {
      throw new IllegalStateException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + cmd, e);
    }
  }

  /**
   * Installs the chart as the tests that run {@link PackagedOperator} processes need it: CRDs
   * skipped (the test installs them), {@code replicas=0} (no image runs; the test starts the
   * processes), watching only {@code namespace}, {@code etcdEndpoint} as the default etcd of
   * DisaggClusters. Waits for the release; fails when helm does.
   *
   * @return an {@link AutoCloseable} that uninstalls the release
   */
  public static AutoCloseable installForPackagedOperator(
      String release, String namespace, String etcdEndpoint) {
    String kubeconfig = LocalCluster.availability().kubeconfig().toString();
    run(
            Duration.ofMinutes(4),
            List.of(
                "install",
                release,
                chartDir().toString(),
                "--namespace",
                namespace,
                "--kubeconfig",
                kubeconfig,
                "--skip-crds",
                "--wait",
                "--set",
                "replicas=0",
                "--set",
                "watchNamespaces={" + namespace + "}",
                "--set",
                "discovery.defaultEtcdEndpoints={" + etcdEndpoint + "}"))
        .orFail();
    return () ->
        run(
            Duration.ofMinutes(2),
            List.of("uninstall", release, "--namespace", namespace, "--kubeconfig", kubeconfig));
  }

  /** Runs {@code helm <args>} with a two-minute limit. */
  public static Result run(String... args) {
    return run(Duration.ofMinutes(2), List.of(args));
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static Availability locate() {
    String env = System.getenv("DISAGG_HELM");
    if (env != null && !env.isBlank()) {
      Path p = Path.of(env);
      return Files.isExecutable(p)
          ? new Availability(true, p, "DISAGG_HELM")
          : new Availability(false, null, "DISAGG_HELM=" + env + " is not an executable file");
    }
    Path root;
    try {
      root = LocalCluster.repoRoot();
    } catch (IllegalStateException e) {
      return new Availability(false, null, e.getMessage());
    }
    try {
      Process p =
          new ProcessBuilder(
                  "bash",
                  "-c",
                  ". \"$0\"; printf %s \"$HELM_BIN\"",
                  root.resolve("e2e/cluster/lib.sh").toString())
              .redirectErrorStream(true)
              .start();
      String path = read(p.getInputStream()).trim();
      p.waitFor(30, TimeUnit.SECONDS);
      if (path.isEmpty()) {
        return new Availability(false, null, "e2e/cluster/lib.sh defines no HELM_BIN");
      }
      Path bin = Path.of(path);
      if (Files.isExecutable(bin)) {
        return new Availability(true, bin, "e2e/cluster/build.sh cache");
      }
      return new Availability(
          false,
          null,
          "no helm at "
              + bin
              + "; build it with e2e/cluster/build.sh"
              + " (compiles the pinned helm from its Go module, a few minutes the first time) or set DISAGG_HELM");
    } catch (IOException e) {
      return new Availability(false, null, "cannot read e2e/cluster/lib.sh: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Availability(false, null, "interrupted");
    }
  }
}
