package io.disagg.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.core.Pool;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.ModelFixtures;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RolloutObservationTest {

  static final EffectiveSpec SPEC =
      EffectiveSpecs.of(ModelFixtures.cluster(), List.of("etcd:2379")).spec();
  static final String OLD = "aaaaaaaaaa";
  static final String NEW = "bbbbbbbbbb";
  static final int PORT = 8000;

  @Test
  void anUnlabelledClusterIsAdoptedAsTheDesiredRevision() {
    List<StatefulSet> sets =
        List.of(sts("demo-context", null, 2, "t1"), sts("demo-generation", null, 1, "t1"));
    List<Pod> pods =
        List.of(
            pod("demo-context-0", "context", null, "127.0.0.1", true),
            pod("demo-context-1", "context", null, "127.0.0.2", false),
            pod("demo-generation-0", "generation", null, "127.0.0.3", true),
            pod("demo-router-x-1", Labels.ROUTER_COMPONENT, null, "127.0.0.4", true));
    var regs =
        Map.of(
            "serving.demo",
            List.of(
                reg("127.0.0.1", Pool.CONTEXT),
                reg("127.0.0.2", Pool.CONTEXT),
                reg("127.0.0.3", Pool.GENERATION)));
    RolloutObservation o =
        RolloutObservation.of(
            SPEC, NEW, sets, List.of(router("demo-router", null, 1, "t1")), pods, regs);

    assertThat(o.first()).isEqualTo(NEW);
    assertThat(o.names().get(NEW)).isEqualTo(RevisionNames.legacy(SPEC, NEW));
    assertThat(o.revisions()).hasSize(1);
    var r = o.revisions().get(0);
    assertThat(r.revision()).isEqualTo(NEW);
    assertThat(r.pool(Pool.CONTEXT))
        .isEqualTo(new RolloutPlanner.ObservedPool(2, 1, 2, List.of(0), 0, null));
    assertThat(r.pool(Pool.GENERATION))
        .isEqualTo(new RolloutPlanner.ObservedPool(1, 1, 1, List.of(0), 0, null));
    assertThat(r.router()).isEqualTo(new RolloutPlanner.ObservedRouter(1, 1, 1));
    assertThat(o.workers(NEW, Pool.CONTEXT)).containsOnlyKeys(0, 1);
  }

  @Test
  void aLaterRevisionIsReadFromItsLabelAndNamesWithItsOwnClusterName() {
    List<StatefulSet> sets =
        List.of(
            sts("demo-bbbbb-ctx", NEW, 1, "t2"),
            sts("demo-context", OLD, 2, "t1"),
            sts("demo-generation", OLD, 1, "t1"),
            sts("demo-bbbbb-gen", NEW, 1, "t2"),
            // not the operator's: no label
            sts("demo-ccccc-ctx", null, 1, "t0"),
            // another DisaggCluster's
            sts("demo2-context", OLD, 1, "t0"));
    List<Deployment> routers =
        List.of(router("demo-router", OLD, 1, "t1"), router("demo-bbbbb-rtr", NEW, 0, "t2"));
    List<Pod> pods = new ArrayList<>();
    pods.add(pod("demo-context-0", "context", null, "127.0.0.1", true));
    pods.add(pod("demo-bbbbb-ctx-0", "context", NEW, "127.0.1.1", true));
    pods.add(pod("demo-bbbbb-gen-0", "generation", NEW, "127.0.1.2", true));
    Map<String, List<Registration>> regs = new HashMap<>();
    regs.put("serving.demo", List.of(reg("127.0.0.1", Pool.CONTEXT)));
    // the new revision's workers registered under the old cluster_name do not count
    regs.put(
        "serving.demo." + NEW,
        List.of(reg("127.0.1.1", Pool.CONTEXT), reg("127.0.1.2", Pool.GENERATION)));
    RolloutObservation o = RolloutObservation.of(SPEC, NEW, sets, routers, pods, regs);

    assertThat(o.first()).isEqualTo(OLD);
    assertThat(o.revisions())
        .extracting(RolloutPlanner.ObservedRevision::revision)
        .containsExactly(OLD, NEW);
    assertThat(o.names().get(NEW)).isEqualTo(RevisionNames.of(SPEC, NEW, "bbbbb"));
    assertThat(o.names().get(NEW).clusterName()).isEqualTo("serving.demo." + NEW);
    var n = o.revisions().get(1);
    assertThat(n.pool(Pool.CONTEXT).serving()).containsExactly(0);
    assertThat(n.pool(Pool.GENERATION).serving()).containsExactly(0);
    assertThat(n.router()).isEqualTo(new RolloutPlanner.ObservedRouter(0, 0, 0));
    var old = o.revisions().get(0);
    assertThat(old.pool(Pool.CONTEXT))
        .isEqualTo(new RolloutPlanner.ObservedPool(2, 1, 1, List.of(0), 0, null));
    assertThat(old.pool(Pool.GENERATION).replicas()).isEqualTo(1);
    assertThat(o.statefulSets().get(NEW).get(Pool.GENERATION).getMetadata().getName())
        .isEqualTo("demo-bbbbb-gen");
  }

  @Test
  void theRecordedPairingsAreReadByRevisionOldestFirst() {
    StatefulSet unadopted = sts("demo-context", null, 1, "t0");
    unadopted.getMetadata().setAnnotations(Map.of(RevisionNames.PAIRING, "{\"a\":1}"));
    StatefulSet unrecorded = sts("demo-ccccc-ctx", "cccccccccc", 1, "t0");
    StatefulSet newer = sts("demo-bbbbb-ctx", NEW, 1, "t2");
    newer.getMetadata().setAnnotations(Map.of(RevisionNames.PAIRING, "{\"b\":2}"));
    StatefulSet older = sts("demo-generation", OLD, 1, "t1");
    older.getMetadata().setAnnotations(Map.of(RevisionNames.PAIRING, "{\"a\":1}"));

    assertThat(RolloutObservation.recordedPairings(List.of(newer, unadopted, unrecorded, older)))
        .containsExactly(Map.entry(OLD, "{\"a\":1}"), Map.entry(NEW, "{\"b\":2}"));
  }

  @Test
  void nothingPresentIsNoRevision() {
    RolloutObservation o =
        RolloutObservation.of(SPEC, NEW, List.of(), List.of(), List.of(), Map.of());
    assertThat(o.revisions()).isEmpty();
    assertThat(o.first()).isNull();
  }

  static StatefulSet sts(String name, String revision, int replicas, String created) {
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("serving")
        .withCreationTimestamp(created)
        .withLabels(labels(revision, "x"))
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .endSpec()
        .build();
  }

  static Deployment router(String name, String revision, int replicas, String created) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("serving")
        .withCreationTimestamp(created)
        .withLabels(labels(revision, Labels.ROUTER_COMPONENT))
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .endSpec()
        .build();
  }

  static Pod pod(String name, String component, String revision, String ip, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("serving")
        .withLabels(labels(revision, component))
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("worker")
        .addNewPort()
        .withName("http")
        .withContainerPort(PORT)
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .endStatus()
        .build();
  }

  static Registration reg(String host, Pool pool) {
    return new Registration("/k/" + host, host, host, PORT, pool, 1, 1, false, "");
  }

  private static Map<String, String> labels(String revision, String component) {
    Map<String, String> l = new HashMap<>();
    l.put(Labels.INSTANCE, "demo");
    l.put(Labels.COMPONENT, component);
    if (revision != null) {
      l.put(RevisionNames.LABEL, revision);
    }
    return l;
  }
}
