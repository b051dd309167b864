package io.disagg.operator.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.disagg.operator.testing.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: options, output to a directory or a stream, messages and exit codes. */
class RenderMainTest {

  @TempDir Path tmp;

  /** One run: exit code, stdout, stderr. */
  record Run(int code, String out, String err) {}

  static Run run(String stdin, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        RenderMain.run(
            args,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Run run(String... args) {
    return run("", Map.of(), args);
  }

  static String sample(String file) {
    return LocalCluster.repoRoot().resolve("config-samples").resolve(file).toString();
  }

  static String noEndpoints() throws Exception {
    return Files.readString(Path.of(sample("minimal.yaml")))
        .replace(
            "  discovery:\n    etcd:\n      endpoints: [\"etcd.disagg-system.svc:2379\"]\n", "");
  }

  @Test
  void rendersASampleIntoADirectory() throws Exception {
    Path dir = tmp.resolve("out");
    Run r = run(sample("aws-efa-p5.yaml"), "--output-dir", dir.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(RenderMain.OK);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("rendered DisaggCluster default/llama-70b-efa into " + dir);
    List<String> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files =
          s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
    assertThat(files)
        .containsExactly(
            "commands/llama-70b-efa-context.fabric-preflight.sh",
            "commands/llama-70b-efa-context.model-cache-wait.sh",
            "commands/llama-70b-efa-context.worker.preStop.sh",
            "commands/llama-70b-efa-context.worker.sh",
            "commands/llama-70b-efa-generation.fabric-preflight.sh",
            "commands/llama-70b-efa-generation.model-cache-wait.sh",
            "commands/llama-70b-efa-generation.worker.preStop.sh",
            "commands/llama-70b-efa-generation.worker.sh",
            "commands/llama-70b-efa-router.router.preStop.sh",
            "commands/llama-70b-efa-router.router.sh",
            "configmap-llama-70b-efa-config.yaml",
            "configmap-llama-70b-efa-fabric.yaml",
            "deployment-llama-70b-efa-router.yaml",
            "job-llama-70b-efa-model-27e8972ba9.yaml",
            "networkpolicy-llama-70b-efa-router.yaml",
            "networkpolicy-llama-70b-efa-workers.yaml",
            "persistentvolumeclaim-llama-70b-efa-model-cache.yaml",
            "poddisruptionbudget-llama-70b-efa-context.yaml",
            "poddisruptionbudget-llama-70b-efa-generation.yaml",
            "podmonitor-llama-70b-efa-router.yaml",
            "podmonitor-llama-70b-efa-workers.yaml",
            "service-llama-70b-efa-context.yaml",
            "service-llama-70b-efa-generation.yaml",
            "service-llama-70b-efa-router.yaml",
            "statefulset-llama-70b-efa-context.yaml",
            "statefulset-llama-70b-efa-generation.yaml",
            "trtllm/context.yaml",
            "trtllm/deregister.py",
            "trtllm/fabric-preflight.sh",
            "trtllm/fabric.env",
            "trtllm/generation.yaml",
            "trtllm/router.yaml");
    assertThat(Files.readString(dir.resolve("trtllm/fabric.env")))
        .contains("NIXL_PLUGIN_DIR=/opt/nixl/lib/x86_64-linux-gnu/plugins");

    Run again = run(sample("aws-efa-p5.yaml"), "-o", dir.toString());
    assertThat(again.code()).isEqualTo(RenderMain.USAGE);
    assertThat(again.err()).contains("is not empty");
  }

  @Test
  void streamIsOneYamlDocumentPerObjectAndFile() throws Exception {
    Run r = run(sample("minimal.yaml"));
    assertThat(r.code()).as(r.err()).isEqualTo(RenderMain.OK);
    List<Map<String, Object>> docs = documents(r.out());
    // 12 objects, 5 TensorRT-LLM files, 6 commands (each container and each preStop hook)
    assertThat(docs).hasSize(12 + 5 + 6);
    assertThat(docs.subList(0, 12))
        .allSatisfy(d -> assertThat(d).containsKeys("apiVersion", "kind"));
    assertThat(docs.subList(12, 23))
        .allSatisfy(d -> assertThat(d).containsOnlyKeys("path", "content"));
    assertThat(r.out()).contains("# Source: statefulset-tinyllama-context.yaml\n");

    Run objects = run(sample("minimal.yaml"), "--objects-only");
    assertThat(documents(objects.out()))
        .hasSize(12)
        .allSatisfy(d -> assertThat(d).containsKeys("apiVersion", "kind", "metadata"));
    assertThat(r.out()).startsWith(objects.out());
  }

  @Test
  void readsStandardInputAndTheOperatorsDefaultEndpoints() throws Exception {
    String yaml = noEndpoints();
    Run none = run(yaml, Map.of(), "-");
    assertThat(none.code()).isEqualTo(RenderMain.INVALID_SPEC);
    assertThat(none.err())
        .contains("The operator would refuse DisaggCluster \"tinyllama\"")
        .contains("* spec.discovery.etcd.endpoints: needs at least one etcd endpoint");

    // several endpoints: a release that splits cluster_uri on commas (1.4)
    Run fromOption =
        run(
            yaml.replace(":1.2.0rc1", ":1.4.0"),
            Map.of(),
            "-",
            "--default-etcd-endpoints",
            " a.b:2379, c:2379 ,");
    assertThat(fromOption.code()).as(fromOption.err()).isEqualTo(RenderMain.OK);
    assertThat(fromOption.out()).contains("cluster_uri: \"etcd://a.b:2379,etcd://c:2379\"");

    Run fromEnv = run(yaml, Map.of(RenderMain.ENDPOINTS_ENV, "env.etcd:2379"), "-", "-n", "team-a");
    assertThat(fromEnv.code()).as(fromEnv.err()).isEqualTo(RenderMain.OK);
    assertThat(fromEnv.out())
        .contains("cluster_uri: etcd://env.etcd:2379", "cluster_name: team-a.tinyllama");

    Run optionWins =
        run(
            yaml,
            Map.of(RenderMain.ENDPOINTS_ENV, "env.etcd:2379"),
            "-",
            "--default-etcd-endpoints=opt:2379");
    assertThat(optionWins.out()).contains("cluster_uri: etcd://opt:2379");
  }

  @Test
  void invalidSpecPrintsTheFieldNamedMessagesAndExitsOne() throws Exception {
    Path file = tmp.resolve("bad.yaml");
    Files.writeString(
        file,
        Files.readString(Path.of(sample("minimal.yaml")))
            .replace("model: TinyLlama/TinyLlama-1.1B-Chat-v1.0", "model: \"\""));
    Run r = run(file.toString(), "-o", tmp.resolve("never").toString());
    assertThat(r.code()).isEqualTo(RenderMain.INVALID_SPEC);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "The API server would refuse DisaggCluster \"tinyllama\" (the CRD's schema and CEL"
                + " rules):\n"
                + "* spec.model: Invalid value: \"string\": spec.model must not be empty or"
                + " blank\n");
    assertThat(tmp.resolve("never")).doesNotExist();
  }

  @Test
  void warningsGoToStandardErrorAndTheRenderSucceeds() throws Exception {
    String yaml =
        Files.readString(Path.of(sample("minimal.yaml"))).replace("backend: UCX", "backend: MPI");
    Run r = run(yaml, Map.of(), "-");
    assertThat(r.code()).isEqualTo(RenderMain.OK);
    assertThat(r.err())
        .startsWith("warning: spec.kvCacheTransfer.backend: MPI is deprecated")
        .contains("(the operator reports it as a SpecWarning Event)");
  }

  @Test
  void usageInputAndIoErrorsHaveTheirOwnExitCodes() throws Exception {
    assertThat(run().code()).isEqualTo(RenderMain.USAGE);
    assertThat(run("a.yaml", "b.yaml").code()).isEqualTo(RenderMain.USAGE);
    assertThat(run("--bogus", "a.yaml").code()).isEqualTo(RenderMain.USAGE);
    assertThat(run("a.yaml", "-o").code()).isEqualTo(RenderMain.USAGE);
    Run notACluster =
        run(LocalCluster.repoRoot().resolve("config-samples/kustomization.yaml").toString());
    assertThat(notACluster.code()).isEqualTo(RenderMain.USAGE);
    assertThat(notACluster.err()).contains("expected kind DisaggCluster");

    Run missing = run(tmp.resolve("missing.yaml").toString());
    assertThat(missing.code()).isEqualTo(RenderMain.IO_ERROR);
    assertThat(missing.err()).contains("no such file");

    Path blocker = tmp.resolve("file");
    Files.writeString(blocker, "x");
    Run notADir = run(sample("minimal.yaml"), "-o", blocker.resolve("sub").toString());
    assertThat(notADir.code()).isEqualTo(RenderMain.IO_ERROR);

    Run help = run("--help");
    assertThat(help.code()).isEqualTo(RenderMain.OK);
    assertThat(help.out()).contains("Usage: render.sh", "Exit codes: 0 rendered; 1 invalid spec");
  }

  private static List<Map<String, Object>> documents(String stream) throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    try (MappingIterator<Map<String, Object>> it =
        new ObjectMapper(new YAMLFactory()).readerForMapOf(Object.class).readValues(stream)) {
      while (it.hasNextValue()) {
        Map<String, Object> d = it.nextValue();
        if (d != null) {
          out.add(d);
        }
      }
    }
    return out;
  }
}
