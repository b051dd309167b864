package io.disagg.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.core.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke run of the benchmark: one simulated hour of rising morning traffic, every policy. */
class AutoscalerReplayTest {

  @Test
  void oneHourReplaysEveryPolicyAndWritesTheTable(@TempDir Path dir) throws Exception {
    AutoscalerReplay.Options o =
        AutoscalerReplay.Options.parse(
            new String[] {
              "--hours",
              "1",
              "--start-hour",
              "8",
              "--rate",
              "8",
              "--load-minutes",
              "2",
              "--commit",
              "test"
            });
    AutoscalerReplay.Run run = AutoscalerReplay.run(o);
    assertThat(run.results()).hasSize(11);
    Result oracle = run.results().get(0);
    Result reactive = run.results().get(1);
    Result peak = byName(run, "static at peak");
    Result operator = byName(run, "operator defaults");
    assertThat(oracle.policy()).isEqualTo("oracle");
    assertThat(reactive.policy()).startsWith("reactive oracle (headroom ctx ");
    assertThat(oracle.requests()).isPositive();
    // every policy saw the same trace
    run.results().forEach(r -> assertThat(r.requests()).isEqualTo(oracle.requests()));
    assertThat(oracle.sloAttainment()).isGreaterThan(0.95);
    assertThat(peak.gpuHours()).isGreaterThanOrEqualTo(oracle.gpuHours() * 0.95);
    // knowing only the present costs headroom: never cheaper than the oracle by much
    assertThat(reactive.gpuHours()).isGreaterThanOrEqualTo(oracle.gpuHours() * 0.9);
    // per-pool GPU-hours add up
    run.results()
        .forEach(
            r ->
                assertThat(r.gpuHours(Pool.CONTEXT) + r.gpuHours(Pool.GENERATION))
                    .isCloseTo(r.gpuHours(), org.assertj.core.data.Offset.offset(1e-6)));
    // the morning ramp makes the operator's autoscaler grow at least one pool
    assertThat(operator.scaleEvents(Pool.CONTEXT) + operator.scaleEvents(Pool.GENERATION))
        .isPositive();
    // the context pool read through Prometheus (prompt-token rate, in flight) follows the ramp too
    assertThat(
            byName(run, "operator, tuned + ctx prompt tokens/s (Prometheus)")
                .scaleEvents(Pool.CONTEXT))
        .isPositive();
    assertThat(run.markdown())
        .contains("| oracle |", "| operator defaults |", "commit test", "Reactive oracle: ");

    Path doc = dir.resolve("benchmarks.md");
    Files.writeString(
        doc, "# B\n\n" + AutoscalerReplay.START + "\nold\n" + AutoscalerReplay.END + "\n\ntail\n");
    AutoscalerReplay.updateDoc(doc, run.markdown());
    String text = Files.readString(doc);
    assertThat(text).startsWith("# B\n\n").endsWith("\n\ntail\n").doesNotContain("\nold\n");
    assertThat(text).contains("| oracle |");

    for (Path png : Plots.write(dir, 8, run.results(), AutoscalerReplay::plotted)) {
      java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
      assertThat(img).as(png.toString()).isNotNull();
      assertThat(img.getWidth()).isPositive();
    }
  }

  private static Result byName(AutoscalerReplay.Run run, String name) {
    return run.results().stream().filter(r -> r.policy().equals(name)).findFirst().orElseThrow();
  }
}
