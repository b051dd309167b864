package io.disagg.e2e.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.e2e.bench.ControlPlaneBench.Options;
import io.disagg.e2e.bench.ControlPlaneBench.Result;
import io.disagg.e2e.testing.HelmTest;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The control-plane benchmark ({@link ControlPlaneBench}); with no system properties, its smoke run
 * (N = 5, 10 s windows), part of the integration tests so the benchmark cannot rot. {@code
 * bench/run-control-plane.sh} runs it with:
 *
 * <ul>
 *   <li>{@code controlPlane.n}: comma-separated N, default {@code 5}
 *   <li>{@code controlPlane.quietSeconds}: the quiet window, default 10 (the benchmark: 60)
 *   <li>{@code controlPlane.doc}: a document to write the tables into, between {@code <!--
 *       control-plane:start -->} and {@code <!-- control-plane:end -->}
 *   <li>{@code controlPlane.commit}: the commit named in the table
 * </ul>
 *
 * The tables are also written to {@code e2e/target/control-plane.md}.
 */
@ClusterTest
@HelmTest
class ControlPlaneBenchIT {

  @Test
  void controlPlaneCost() throws Exception {
    List<Integer> ns =
        Arrays.stream(System.getProperty("controlPlane.n", "5").split(","))
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
    Duration quiet = Duration.ofSeconds(Long.getLong("controlPlane.quietSeconds", 10));
    Instant started = Instant.now();
    List<Result> results = new ArrayList<>();
    try (KubernetesClient admin = LocalCluster.newClient()) {
      Samples.installCrd(admin);
      try {
        for (int n : ns) {
          Options o =
              new Options(
                  n,
                  quiet,
                  Duration.ofSeconds(10),
                  Duration.ofSeconds(10),
                  Duration.ofSeconds(Math.max(120, 3L * n)));
          results.add(ControlPlaneBench.run(admin, o, System.out));
        }
      } finally {
        ControlPlaneBench.removeNodes(admin);
      }
    }
    String table =
        Report.markdown(
            results,
            System.getProperty("controlPlane.commit", "unknown"),
            started,
            Duration.between(started, Instant.now()).toSeconds());
    System.out.println(table);
    Path out = LocalCluster.repoRoot().resolve("e2e/target/control-plane.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table);
    String doc = System.getProperty("controlPlane.doc");
    if (doc != null && !doc.isBlank()) {
      Report.writeInto(Path.of(doc), table);
    }

    for (Result r : results) {
      assertThat(r.operator().readySeconds())
          .isGreaterThanOrEqualTo(r.operator().childrenSeconds());
      assertThat(r.ssa().readySeconds()).isGreaterThanOrEqualTo(r.ssa().childrenSeconds());
      assertThat(r.loaded().threads()).isPositive();
    }
  }
}
