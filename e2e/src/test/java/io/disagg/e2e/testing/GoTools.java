package io.disagg.e2e.testing;

import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The project's Go test tools ({@code e2e/tools/<name>/}), built on first use by {@code
 * e2e/tools/build.sh} (cached in {@code ~/.cache/disagg-operator/bin/tools}; a cold build downloads
 * the tool's modules from the Go module proxy).
 */
public final class GoTools {
  private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();

  private GoTools() {}

  /**
   * The tool's binary, built if needed.
   *
   * @throws IllegalStateException when the build fails or takes longer than 20 minutes
   */
  public static synchronized Path binary(String name) {
    Path known = BUILT.get(name);
    if (known != null) {
      return known;
    }
    try {
      Path build = LocalCluster.repoRoot().resolve("e2e/tools/build.sh");
      Process p =
          new ProcessBuilder(List.of("bash", build.toString(), name))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("e2e/tools/build.sh " + name + " failed");
      }
      Path bin = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
      BUILT.put(name, bin);
      return bin;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The output and exit code of one run. */
  public record Result(int exitCode, String output) {}

  /**
   * Runs the tool with the arguments in {@code dir}, stdout and stderr together.
   *
   * @throws IllegalStateException when it does not end within 5 minutes
   */
  public static Result run(String name, Path dir, List<String> args) {
    try {
      List<String> cmd = new java.util.ArrayList<>();
      cmd.add(binary(name).toString());
      cmd.addAll(args);
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(name + " " + args + " did not end:\n" + out);
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
