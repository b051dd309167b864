package io.disagg.e2e.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.disagg.e2e.testing.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The objects of a {@code helm template} run, parsed with Jackson YAML, typed with Fabric8's model
 * on demand.
 */
final class Rendered {

  static final String RELEASE = "ops";
  static final String NAMESPACE = "disagg-system";

  /** Full name of the release's objects: {@code <release>-<chart>}. */
  static final String FULLNAME = RELEASE + "-disagg-operator";

  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final YAMLMapper YAML = new YAMLMapper();
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  final String yaml;
  final List<ObjectNode> objects;

  private Rendered(String yaml, List<ObjectNode> objects) {
    this.yaml = yaml;
    this.objects = objects;
  }

  /**
   * {@code helm template ops <chart> --namespace disagg-system <extra args>}; fails the test when
   * helm fails.
   */
  static Rendered template(String... extraArgs) {
    return parse(Helm.run(TIMEOUT, args(extraArgs)).orFail());
  }

  /**
   * The failing {@code helm template} run's combined output, failing the test if helm succeeded.
   */
  static String templateError(String... extraArgs) {
    Helm.Result r = Helm.run(TIMEOUT, args(extraArgs));
    if (r.ok()) {
      throw new AssertionError(
          "helm template succeeded but should have failed: " + String.join(" ", r.command()));
    }
    return r.stderr() + r.stdout();
  }

  private static List<String> args(String... extraArgs) {
    List<String> a =
        new ArrayList<>(
            List.of("template", RELEASE, Helm.chartDir().toString(), "--namespace", NAMESPACE));
    a.addAll(List.of(extraArgs));
    return a;
  }

  static Rendered parse(String yaml) {
    List<ObjectNode> out = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n instanceof ObjectNode o && o.hasNonNull("kind")) {
          out.add(o);
        }
      }
    } catch (IOException e) {
      throw new AssertionError(
          "rendered manifests are not YAML: " + e.getMessage() + "\n" + yaml, e);
    }
    return new Rendered(yaml, out);
  }

  List<ObjectNode> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
  }

  Optional<ObjectNode> find(String kind, String namespace, String name) {
    return ofKind(kind).stream()
        .filter(o -> name.equals(o.path("metadata").path("name").asText()))
        .filter(
            o ->
                namespace == null
                    || namespace.equals(o.path("metadata").path("namespace").asText()))
        .findFirst();
  }

  /** The one object of this kind, typed. */
  <T> T only(String kind, Class<T> type) {
    List<ObjectNode> all = ofKind(kind);
    if (all.size() != 1) {
      throw new AssertionError(
          "expected exactly one " + kind + " but found " + all.size() + ":\n" + yaml);
    }
    return SERIALIZATION.convertValue(all.get(0), type);
  }

  <T> T get(String kind, String namespace, String name, Class<T> type) {
    return SERIALIZATION.convertValue(
        find(kind, namespace, name)
            .orElseThrow(
                () ->
                    new AssertionError(
                        "no " + kind + " " + namespace + "/" + name + " in:\n" + yaml)),
        type);
  }

  List<GenericKubernetesResource> generic() {
    return objects.stream()
        .map(o -> SERIALIZATION.convertValue(o, GenericKubernetesResource.class))
        .toList();
  }
}
