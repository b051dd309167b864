package io.disagg.e2e.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.disagg.e2e.testing.GitOpsHealth;
import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Argo CD and Flux samples under config-samples/ point at things that exist in this repository
 * (chart, sample directory, kustomization resources) and carry the settings docs/gitops.md relies
 * on.
 */
class GitOpsSamplesTest {
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Path ROOT = LocalCluster.repoRoot();

  private static List<JsonNode> load(String dir) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT.resolve(dir))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
          it.readAll().stream().filter(n -> n != null && !n.isEmpty()).forEach(out::add);
        }
      }
    }
    return out;
  }

  private static List<JsonNode> ofKind(List<JsonNode> all, String kind) {
    return all.stream().filter(n -> kind.equals(n.path("kind").asText())).toList();
  }

  private static void assertDirInRepo(String path) {
    Path p = ROOT.resolve(path.replaceFirst("^\\./", ""));
    assertThat(p).as(path).isDirectory();
  }

  @Test
  void argoCdApplicationsPointAtTheChartAndTheSamples() throws IOException {
    List<JsonNode> all = load("config-samples/argocd");
    List<JsonNode> apps = ofKind(all, "Application");
    assertThat(apps)
        .extracting(a -> a.path("spec").path("source").path("path").asText())
        .containsExactlyInAnyOrder("helm/disagg-operator", "config-samples");
    apps.forEach(a -> assertDirInRepo(a.path("spec").path("source").path("path").asText()));
    JsonNode operator =
        apps.stream()
            .filter(a -> a.path("metadata").path("name").asText().equals("disagg-operator"))
            .findFirst()
            .orElseThrow();
    assertThat(operator.path("spec").path("syncPolicy").path("syncOptions").toString())
        .as("the CRD is over 256 KiB: client-side apply fails")
        .contains("ServerSideApply=true");
    assertThat(Files.size(ROOT.resolve("crds/disaggclusters.serving.disagg.io-v1.yml")))
        .isGreaterThan(262_144);
    assertThat(ofKind(all, "ConfigMap"))
        .singleElement()
        .satisfies(
            cm ->
                assertThat(cm.path("data").path(GitOpsHealth.ARGOCD_KEY).asText())
                    .contains("obj.status"));
  }

  @Test
  void fluxInstallsTheChartFromGitAndWaitsForTheClusters() throws IOException {
    List<JsonNode> all = load("config-samples/flux");
    JsonNode release = ofKind(all, "HelmRelease").get(0);
    assertDirInRepo(release.path("spec").path("chart").path("spec").path("chart").asText());
    assertThat(release.path("spec").path("upgrade").path("crds").asText())
        .isEqualTo("CreateReplace");
    List<JsonNode> ks = ofKind(all, "Kustomization");
    assertThat(ks).hasSize(2);
    ks.forEach(
        k -> {
          assertDirInRepo(k.path("spec").path("path").asText());
          assertThat(k.path("spec").path("wait").asBoolean())
              .as("health checks with kstatus")
              .isTrue();
        });
    JsonNode clusters =
        ks.stream()
            .filter(k -> k.path("spec").path("path").asText().equals("./config-samples"))
            .findFirst()
            .orElseThrow();
    assertThat(clusters.path("spec").path("dependsOn").get(0).path("name").asText())
        .isEqualTo("disagg-operator");
    // The operator's Kustomization applies the directory that holds the HelmRelease.
    JsonNode operator = ks.stream().filter(k -> k != clusters).findFirst().orElseThrow();
    assertThat(
            ROOT.resolve(operator.path("spec").path("path").asText().replaceFirst("^\\./", ""))
                .resolve("helmrelease.yaml"))
        .isRegularFile();
    String url = ofKind(all, "GitRepository").get(0).path("spec").path("url").asText();
    assertThat(
            load("config-samples/argocd").stream()
                .filter(n -> n.path("kind").asText().equals("Application"))
                .map(a -> a.path("spec").path("source").path("repoURL").asText()))
        .as("one repository in every sample")
        .containsOnly(url);
  }

  @Test
  void theSampleKustomizationListsExistingDisaggClusters() throws IOException {
    JsonNode k = YAML.readTree(ROOT.resolve("config-samples/kustomization.yaml").toFile());
    assertThat(k.path("resources")).isNotEmpty();
    for (JsonNode r : k.path("resources")) {
      JsonNode sample = YAML.readTree(ROOT.resolve("config-samples").resolve(r.asText()).toFile());
      assertThat(sample.path("kind").asText()).isEqualTo("DisaggCluster");
      assertThat(sample.path("metadata").has("namespace"))
          .as("the GitOps tool sets the namespace")
          .isFalse();
    }
  }
}
