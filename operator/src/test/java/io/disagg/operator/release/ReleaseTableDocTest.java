package io.disagg.operator.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/trtllm-releases.md shows the same table as {@link TrtllmRelease}: the block between the
 * markers is generated from the code, so the two cannot drift apart.
 */
class ReleaseTableDocTest {

  static final Path DOC = Path.of("..", "docs", "trtllm-releases.md");
  static final String BEGIN = "<!-- release-table:begin (generated from TrtllmRelease) -->";
  static final String END = "<!-- release-table:end -->";

  static String table() {
    StringBuilder sb = new StringBuilder();
    sb.append("| feature | upstream code |");
    for (TrtllmRelease r : TrtllmRelease.values()) {
      sb.append(' ').append(r.id()).append(" |");
    }
    sb.append(" unknown release |\n| --- | --- |");
    sb.append(" --- |".repeat(TrtllmRelease.values().length + 1)).append('\n');
    for (Feature f : Feature.values()) {
      sb.append("| ").append(f.what()).append(" | `").append(f.upstream()).append("` |");
      for (TrtllmRelease r : TrtllmRelease.values()) {
        sb.append(r.has(f) ? " yes |" : " no |");
      }
      sb.append(TrtllmRelease.common().contains(f) ? " yes |" : " no |").append('\n');
    }
    return sb.toString();
  }

  @Test
  void docShowsTheTableOfTheCode() throws IOException {
    String doc = Files.readString(DOC);
    int begin = doc.indexOf(BEGIN);
    int end = doc.indexOf(END);
    assertThat(begin).as("begin marker in " + DOC).isNotNegative();
    assertThat(end).as("end marker in " + DOC).isGreaterThan(begin);
    String block = doc.substring(begin + BEGIN.length(), end).strip() + "\n";
    assertThat(block)
        .as("the table in %s; regenerate it from ReleaseTableDocTest.table()", DOC)
        .isEqualTo(table());
  }
}
