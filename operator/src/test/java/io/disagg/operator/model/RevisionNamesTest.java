package io.disagg.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import io.disagg.operator.testing.Samples;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RevisionNamesTest {

  /** The DisaggCluster name limit of the committed CRD (its CEL rule on metadata.name). */
  private static int crdNameLimit() throws Exception {
    Matcher m =
        Pattern.compile("size\\(self\\.metadata\\.name\\) <= ([0-9]+)")
            .matcher(Files.readString(Samples.crdFile()));
    assertThat(m.find()).as("the CRD limits metadata.name").isTrue();
    return Integer.parseInt(m.group(1));
  }

  private static EffectiveSpec spec(String name) {
    return EffectiveSpecs.of(Fixtures.minimal("team-a", name), List.of()).spec();
  }

  private static final String REV = "0123456789";
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private static List<String> objectNames(RevisionNames n) {
    return List.of(
        n.pool(Pool.CONTEXT),
        n.pool(Pool.GENERATION),
        n.configMap(),
        n.fabricConfigMap(),
        n.router(),
        n.routerService());
  }

  @Test
  void theFirstRevisionKeepsTheLegacyNamesAndClusterName() {
    EffectiveSpec spec = spec("demo");
    RevisionNames n = RevisionNames.forNew(spec, REV, List.of());
    assertThat(n.legacy()).isTrue();
    assertThat(objectNames(n))
        .containsExactly(
            "demo-context",
            "demo-generation",
            "demo-config",
            "demo-fabric",
            "demo-router",
            "demo-router");
    assertThat(n.clusterName()).isEqualTo("team-a.demo");
    assertThat(n).isEqualTo(RevisionNames.legacy(spec, REV));
  }

  @Test
  void laterRevisionsHaveAFiveCharacterSuffixAndTheirOwnClusterName() {
    EffectiveSpec spec = spec("demo");
    RevisionNames first = RevisionNames.legacy(spec, "ffffffffff");
    RevisionNames n = RevisionNames.forNew(spec, REV, List.of(first));
    assertThat(n.suffix()).isEqualTo("01234");
    assertThat(objectNames(n))
        .containsExactly(
            "demo-01234-ctx",
            "demo-01234-gen",
            "demo-01234-cfg",
            "demo-01234-fab",
            "demo-01234-rtr",
            "demo-router");
    assertThat(n.clusterName()).isEqualTo("team-a.demo." + REV);

    DisaggCluster own = Fixtures.minimal("team-a", "demo");
    own.getSpec().getDiscovery().setClusterName("shared-prefix");
    RevisionNames custom =
        RevisionNames.forNew(EffectiveSpecs.of(own, List.of()).spec(), REV, List.of(first));
    assertThat(custom.clusterName()).isEqualTo("shared-prefix." + REV);
  }

  @Test
  void aSuffixTakenByARevisionStillPresentMovesOn() {
    EffectiveSpec spec = spec("demo");
    RevisionNames a = RevisionNames.of(spec, "01234aaaaa", "01234");
    RevisionNames b = RevisionNames.forNew(spec, REV, List.of(a));
    assertThat(b.suffix()).as("the next five characters").isEqualTo("56789");

    RevisionNames c = RevisionNames.of(spec, "56789bbbbb", "56789");
    RevisionNames d = RevisionNames.forNew(spec, REV, List.of(a, c));
    assertThat(d.suffix()).matches("[0-9a-f]{5}").isNotIn("01234", "56789");
    assertThat(RevisionNames.forNew(spec, REV, List.of(c, a)))
        .as("deterministic, whatever the order of the present ones")
        .isEqualTo(d);

    assertThat(RevisionNames.forNew(spec, REV, List.of(a, d)))
        .as("a revision still present keeps its names (rollback)")
        .isSameAs(d);
  }

  @Test
  void everyNameFitsKubernetesLimitsForTheLongestDisaggClusterName() throws Exception {
    int limit = crdNameLimit();
    assertThat(limit).isEqualTo(DisaggCluster.MAX_NAME_LENGTH);
    EffectiveSpec spec = spec("n" + "x".repeat(limit - 1));
    RevisionNames legacy = RevisionNames.legacy(spec, "ffffffffff");
    RevisionNames later = RevisionNames.forNew(spec, REV, List.of(legacy));
    for (RevisionNames n : List.of(legacy, later)) {
      for (String name : objectNames(n)) {
        assertThat(name).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL);
      }
      for (Pool p : Pool.values()) {
        // StatefulSet pods: controller-revision-hash = <sts>-<hash of up to 10 characters>
        // (controller.ComputeHash, rand.SafeEncodeString of a uint32), and
        // statefulset.kubernetes.io/pod-name = <sts>-<ordinal>, ordinals up to 9999.
        assertThat(n.pool(p) + "-" + "h".repeat(10)).hasSizeLessThanOrEqualTo(63);
        assertThat(n.pool(p) + "-9999").hasSizeLessThanOrEqualTo(63);
      }
    }
    assertThat(later.pool(Pool.GENERATION)).hasSize(limit + 10);
    assertThat(legacy.pool(Pool.GENERATION)).hasSize(limit + 11);
  }

  @Test
  void noRevisionNameIsANameOfAnotherDisaggCluster() {
    // Revision "abcde..." of "foo" next to a DisaggCluster named "foo-abcde": with -router and
    // -config tokens both would own foo-abcde-router and foo-abcde-config.
    EffectiveSpec foo = spec("foo");
    EffectiveSpec fooAbcde = spec("foo-abcde");
    RevisionNames revision =
        RevisionNames.forNew(foo, "abcde01234", List.of(RevisionNames.legacy(foo, "ffffffffff")));
    List<String> others =
        new ArrayList<>(objectNames(RevisionNames.legacy(fooAbcde, "1111111111")));
    others.addAll(
        objectNames(
            RevisionNames.forNew(
                fooAbcde, "2222222222", List.of(RevisionNames.legacy(fooAbcde, "1111111111")))));
    List<String> ours = new ArrayList<>(objectNames(revision));
    ours.remove(revision.routerService());
    assertThat(ours).doesNotContainAnyElementsOf(others);
    for (String name : others) {
      assertThat(RevisionNames.suffixOf(foo, name)).as(name).isEmpty();
    }
  }

  @Test
  void theSuffixIsReadBackFromAnObjectName() {
    EffectiveSpec spec = spec("demo");
    RevisionNames n = RevisionNames.of(spec, REV, "7abcd");
    for (String name : Set.of(n.pool(Pool.CONTEXT), n.configMap(), n.router())) {
      assertThat(RevisionNames.suffixOf(spec, name)).as(name).hasValue("7abcd");
      assertThat(RevisionNames.of(spec, REV, RevisionNames.suffixOf(spec, name).get()))
          .isEqualTo(n);
    }
    assertThat(RevisionNames.suffixOf(spec, "demo-context")).isEmpty();
    assertThat(RevisionNames.suffixOf(spec, "demo-7abcd-ctx-0")).isEmpty();
  }
}
