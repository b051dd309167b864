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
 * (N = 5, 5 s windows, no warm-up), part of the integration tests so the benchmark cannot rot.
 * {@code bench/run-control-plane.sh} runs it with:
 *
 * <ul>
 *   <li>{@code controlPlane.n}: comma-separated N, default {@code 5}
 *   <li>{@code controlPlane.quietSeconds}: the quiet window, default 5 (the benchmark: 60); below
 *       60 the other windows are shortened too and the operator is not warmed up (a smoke run)
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

  private static void write(List<Result> results, Instant started) throws Exception {
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
  }

  @Test
  void controlPlaneCost() throws Exception {
    List<Integer> ns =
        Arrays.stream(System.getProperty("controlPlane.n", "5").split(","))
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
    long quietSeconds = Long.getLong("controlPlane.quietSeconds", 5);
    boolean smoke = quietSeconds < 60;
    Instant started = Instant.now();
    List<Result> results = new ArrayList<>();
    try (KubernetesClient admin = LocalCluster.newClient()) {
      Samples.installCrd(admin);
      try {
        for (int n : ns) {
          Options o =
              new Options(
                  n,
                  Duration.ofSeconds(quietSeconds),
                  Duration.ofSeconds(smoke ? 5 : 10),
                  Duration.ofSeconds(smoke ? 3 : 10),
                  Duration.ofSeconds(
                      Long.getLong("controlPlane.timeoutSeconds", Math.max(120, 3L * n))),
                  !smoke,
                  Boolean.parseBoolean(System.getProperty("controlPlane.ssaSide", "true")));
          results.add(ControlPlaneBench.run(admin, o, System.out));
          write(results, started); // after each N, so a later failure keeps what was measured
        }
      } finally {
        ControlPlaneBench.removeNodes(admin);
      }
    }

    if (!smoke) {
      return; // the benchmark reports what it measured; the smoke run checks behaviour
    }
    for (Result r : results) {
      assertThat(r.operator().readySeconds())
          .as("operator side Ready (%s at the timeout)", r.operator().readyAtTimeout())
          .isNotNaN();
      assertThat(r.ssa().readySeconds())
          .as("SSA side ready (%s at the timeout)", r.ssa().readyAtTimeout())
          .isNotNaN();
      assertThat(r.operator().readySeconds())
          .isGreaterThanOrEqualTo(r.operator().childrenSeconds());
      assertThat(r.ssa().readySeconds()).isGreaterThanOrEqualTo(r.ssa().childrenSeconds());
      assertThat(r.loaded().threads()).isPositive();
      // the targets for writes (the leader-election Lease apart; a scale change may also
      // record an Event)
      assertThat(Report.withoutLease(r.quietWrites())).as("writes in the quiet window").isEmpty();
      assertThat(Report.withoutLease(r.noOpWrites()).keySet())
          .as("writes after a no-op annotation")
          .isSubsetOf("disaggclusters/status patch");
      assertThat(Report.withoutLease(r.scaleWrites()).keySet())
          .as("writes of one pool's scale change")
          .contains("statefulsets patch")
          .isSubsetOf(
              "statefulsets patch", "disaggclusters/status patch", "events create", "events patch");
    }
  }
}
