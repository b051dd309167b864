package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart's {@code crds/} holds exactly the files of the repository's {@code crds/} (which {@code
 * CommittedCrdIT} compares with the CRD generated from the API classes). No helm needed.
 */
class HelmCrdSyncTest {

  static final String FIX = "sync both from the generated CRD with: helm/sync-crds.sh";

  @Test
  void chartCrdsAreTheCommittedCrds() throws IOException {
    Path root = LocalCluster.repoRoot();
    Path committed = root.resolve("crds");
    Path chart = root.resolve("helm/disagg-operator/crds");
    List<String> names = names(committed);
    assertThat(names).as("CRD files in crds/").isNotEmpty();
    assertThat(names(chart))
        .as("helm/disagg-operator/crds/ must hold the same files as crds/; %s", FIX)
        .containsExactlyElementsOf(names);
    for (String name : names) {
      assertThat(Files.readString(chart.resolve(name)))
          .as("helm/disagg-operator/crds/%s differs from crds/%s; %s", name, name, FIX)
          .isEqualTo(Files.readString(committed.resolve(name)));
    }
  }

  private static List<String> names(Path dir) throws IOException {
    assertThat(dir).as(dir + " " + FIX).isDirectory();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
