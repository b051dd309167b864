package io.disagg.operator.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.RouterDeployments;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.release.TrtllmRelease;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every config sample rendered for every supported TensorRT-LLM release, and for an unknown one,
 * against committed golden files ({@code src/test/resources/golden/<release>/<sample>.txt}): the
 * worker and router YAML, the fabric environment and each container's command line, or the problems
 * that keep the sample from being rendered for that release. The differences between releases
 * follow {@link TrtllmRelease} (each cited there and in docs/trtllm-releases.md); a change to any
 * rendered byte shows up here as a diff to review. Run with {@code -Dgolden.update=true} to write
 * the files after an intended change.
 */
class GoldenRenderTest {

  static final Path GOLDEN = Path.of("src", "test", "resources", "golden");
  static final String UNKNOWN = "unknown";

  static Stream<Arguments> samplesByRelease() throws IOException {
    List<String> samples;
    try (Stream<Path> files = Files.list(LocalCluster.repoRoot().resolve("config-samples"))) {
      samples =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
              .sorted()
              .toList();
    }
    assertThat(samples).contains("minimal.yaml", "aws-efa-p5.yaml");
    List<String> releases = new ArrayList<>();
    for (TrtllmRelease r : TrtllmRelease.values()) {
      releases.add(r.id());
    }
    releases.add(UNKNOWN);
    return releases.stream().flatMap(r -> samples.stream().map(s -> Arguments.of(r, s)));
  }

  @ParameterizedTest(name = "{1} for TensorRT-LLM {0}")
  @MethodSource("samplesByRelease")
  void sampleRendersAsCommitted(String release, String sample) throws IOException {
    DisaggCluster cr = Samples.load(sample);
    if (cr.getMetadata().getNamespace() == null) {
      cr.getMetadata().setNamespace("default");
    }
    if (UNKNOWN.equals(release)) {
      cr.getSpec().setTrtllmVersion(null);
      cr.getSpec().setImage(cr.getSpec().getImage().replaceAll(":[^:/]*$", "") + ":latest");
    } else {
      cr.getSpec().setTrtllmVersion(release);
    }
    String rendered = render(cr);
    Path file = GOLDEN.resolve(release).resolve(sample.replace(".yaml", ".txt"));
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, rendered);
    }
    assertThat(file).as("golden file (run with -Dgolden.update=true to write it)").exists();
    assertThat(rendered).isEqualTo(Files.readString(file));
  }

  /** Each sample, as written (its own image tag decides the release), renders without error. */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"minimal.yaml", "aws-efa-p5.yaml"})
  void sampleAsWrittenFitsItsRelease(String sample) {
    DisaggCluster cr = Samples.load(sample);
    cr.getMetadata().setNamespace("default");
    assertThat(render(cr)).doesNotContain("# not rendered").contains("=== router.yaml");
    assertThat(EffectiveSpecs.of(cr, List.of()).spec().release().release()).isPresent();
  }

  /** What the operator would apply for {@code cr}, as text, or why it would apply nothing. */
  static String render(DisaggCluster cr) {
    EffectiveSpec.Result result = EffectiveSpecs.of(cr, List.of());
    EffectiveSpec effective = result.spec();
    List<SpecProblem> problems = new ArrayList<>(result.problems());
    problems.addAll(SpecValidator.validate(effective));
    StringBuilder sb = new StringBuilder();
    sb.append("# release: ").append(effective.release().message()).append('\n');
    if (problems.stream().anyMatch(SpecProblem::isError)) {
      sb.append("# not rendered:\n");
      problems.forEach(p -> sb.append(p.severity()).append(' ').append(p).append('\n'));
      return sb.toString();
    }
    problems.forEach(p -> sb.append("# ").append(p.severity()).append(' ').append(p).append('\n'));
    DisaggCluster c = effective.cluster();
    for (Map.Entry<String, String> e : TrtllmConfig.configMapData(effective).entrySet()) {
      if (e.getKey().endsWith(".yaml")) {
        sb.append("\n=== ").append(e.getKey()).append('\n').append(e.getValue());
      }
    }
    sb.append("\n=== fabric env\n");
    TrtllmConfig.fabricEnv(c).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    for (Pool pool : Pool.values()) {
      sb.append("\n=== ")
          .append(pool.id())
          .append(" worker script\n")
          .append(WorkerStatefulSets.script(c, pool));
    }
    if (TrtllmConfig.preflightEnabled(c)) {
      // only with EFA or LIBFABRIC: the other samples render as before
      RevisionNames names = RevisionNames.legacy(effective, "0123456789");
      for (Pool pool : Pool.values()) {
        Container init = WorkerStatefulSets.preflightContainer(c, names, pool);
        sb.append("\n=== ")
            .append(pool.id())
            .append(" init container ")
            .append(init.getName())
            .append('\n')
            .append(String.join(" ", init.getCommand()))
            .append('\n');
        for (EnvVar e : init.getEnv()) {
          sb.append("env ")
              .append(e.getName())
              .append('=')
              .append(
                  e.getValue() != null
                      ? e.getValue()
                      : "(" + e.getValueFrom().getFieldRef().getFieldPath() + ")")
              .append('\n');
        }
        init.getResources()
            .getLimits()
            .forEach((k, v) -> sb.append("limit ").append(k).append('=').append(v).append('\n'));
      }
    }
    if (ModelCaches.enabled(c)) {
      // only with spec.modelCache: the other samples render as before
      sb.append("\n=== model cache ").append(ModelCaches.claimName(c)).append('\n');
      if (ModelCaches.downloads(c)) {
        Container wait = ModelCaches.waitContainer(c);
        sb.append("init container ")
            .append(wait.getName())
            .append(": ")
            .append(String.join(" ", wait.getCommand()))
            .append('\n');
        Container download =
            ModelCaches.job(c).getSpec().getTemplate().getSpec().getContainers().get(0);
        sb.append("job ").append(ModelCaches.jobName(c)).append('\n');
        for (EnvVar e : download.getEnv()) {
          sb.append("env ")
              .append(e.getName())
              .append('=')
              .append(
                  e.getValue() != null
                      ? e.getValue()
                      : "(secret "
                          + e.getValueFrom().getSecretKeyRef().getName()
                          + "/"
                          + e.getValueFrom().getSecretKeyRef().getKey()
                          + ")")
              .append('\n');
        }
        sb.append(String.join(" ", download.getCommand())).append('\n');
      }
    }
    sb.append("\n=== router command\n")
        .append(String.join(" ", RouterDeployments.command(c)))
        .append('\n');
    return sb.toString();
  }
}
