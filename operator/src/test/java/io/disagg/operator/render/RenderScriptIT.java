package io.disagg.operator.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code operator/render.sh} on the packaged application ({@code operator/target/quarkus-app},
 * which {@code package} has built when integration tests run): it renders a sample into a directory
 * with the same bytes as the render in this JVM and nothing else on stderr, refuses an invalid spec
 * with the field-named message and exit code 1, and exits 3 without a packaged application. No
 * cluster.
 */
class RenderScriptIT {

  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result script(Map<String, String> env, String... args) throws Exception {
    Path root = LocalCluster.repoRoot();
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", "operator/render.sh"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
    pb.environment().remove(RenderMain.ENDPOINTS_ENV);
    pb.environment().remove("DISAGG_RENDER_APP");
    pb.environment()
        .put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    pb.environment().putAll(env);
    Path out = Files.createTempFile("render-out", ".txt");
    Path err = Files.createTempFile("render-err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    try {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("render.sh finished").isTrue();
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @Test
  void rendersTheEfaSampleAsTheRenderInThisJvm() throws Exception {
    Path dir = tmp.resolve("out");
    Result r = script(Map.of(), "config-samples/aws-efa-p5.yaml", "-o", dir.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(RenderMain.OK);
    assertThat(r.err())
        .as("nothing but the summary on stderr (no logging noise)")
        .isEqualTo("rendered DisaggCluster default/llama-70b-efa into " + dir + "\n");

    String yaml =
        Files.readString(LocalCluster.repoRoot().resolve("config-samples/aws-efa-p5.yaml"));
    OfflineRender.Rendered here =
        (OfflineRender.Rendered)
            new OfflineRender(CrdAdmission.builtIn(), new OfflineRender.Settings(List.of(), null))
                .render(yaml);
    Map<String, String> fromScript = read(dir);
    Map<String, String> inJvm = new TreeMap<>(RenderOutput.files(here));
    assertThat(fromScript.keySet()).containsExactlyElementsOf(inJvm.keySet());
    inJvm.forEach((file, text) -> assertThat(fromScript.get(file)).as(file).isEqualTo(text));
    assertThat(Files.readString(dir.resolve("trtllm/fabric.env")))
        .contains("NIXL_PLUGIN_DIR=/opt/nixl/lib/x86_64-linux-gnu/plugins");
  }

  @Test
  void refusesAnInvalidSpecWithTheFieldNamedMessage() throws Exception {
    Path file = tmp.resolve("bad.yaml");
    Files.writeString(
        file,
        Files.readString(LocalCluster.repoRoot().resolve("config-samples/minimal.yaml"))
            .replace("endpoints: [\"etcd.disagg-system.svc:2379\"]", "endpoints: [\"etcd\"]"));
    Result r = script(Map.of(), file.toString());
    assertThat(r.code()).isEqualTo(RenderMain.INVALID_SPEC);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .startsWith("The operator would refuse DisaggCluster \"tinyllama\"")
        .contains("* spec.discovery.etcd.endpoints[0]: 'etcd'");
  }

  @Test
  void withoutThePackagedApplicationItSaysHowToBuildIt() throws Exception {
    Result r =
        script(
            Map.of("DISAGG_RENDER_APP", tmp.resolve("nothing").toString()),
            "config-samples/minimal.yaml");
    assertThat(r.code()).isEqualTo(RenderMain.IO_ERROR);
    assertThat(r.err()).contains("./mvnw -B -ntp install -DskipTests");
  }

  private static Map<String, String> read(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(p).toString(), Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    return files;
  }
}
