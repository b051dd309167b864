package io.disagg.e2e.bench;

import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The local cluster's tools as {@code e2e/cluster/lib.sh} names them: its {@code kubectl}, its
 * audit log and the Kubernetes version of its simulated nodes.
 */
final class LocalTools {

  private LocalTools() {}

  /** A variable of {@code e2e/cluster/lib.sh}, e.g. {@code BIN_DIR}. */
  static String libVariable(String name) {
    Path lib = LocalCluster.repoRoot().resolve("e2e/cluster/lib.sh");
    return run(
            Duration.ofSeconds(30),
            List.of("bash", "-c", ". \"$0\"; printf %s \"$" + name + "\"", lib.toString()),
            null)
        .stdout();
  }

  /** The cluster's kubectl ({@code $BIN_DIR/kubectl}). */
  static Path kubectl() {
    return Path.of(libVariable("BIN_DIR"), "kubectl");
  }

  /** The kube-apiserver's audit log ({@code e2e/cluster/audit-policy.yaml}). */
  static Path auditLog() {
    return Path.of(libVariable("KWOK_CLUSTER_DIR"), "logs", "audit.log");
  }

  /** {@code kubectl --kubeconfig <the cluster's> <args>}; stdin from {@code input} if not null. */
  static Result kubectl(Duration timeout, Path input, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(kubectl().toString());
    cmd.add("--kubeconfig");
    cmd.add(LocalCluster.availability().kubeconfig().toString());
    cmd.addAll(List.of(args));
    return run(timeout, cmd, input);
  }

  record Result(int exitCode, String stdout, String stderr, List<String> command) {
    Result orFail() {
      if (exitCode != 0) {
        throw new IllegalStateException(
            "exit " + exitCode + ": " + String.join(" ", command) + "\n" + stderr + stdout);
      }
      return this;
    }
  }

  static Result run(Duration timeout, List<String> cmd, Path input) {
    try {
      Path out = Files.createTempFile("cpbench-out", ".txt");
      Path err = Files.createTempFile("cpbench-err", ".txt");
      try {
        ProcessBuilder pb =
            new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (input != null) {
          pb.redirectInput(input.toFile());
        }
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("did not finish within " + timeout + ": " + cmd);
        }
        return new Result(
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8),
            cmd);
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + cmd, e);
    }
  }
}
