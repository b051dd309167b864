package io.disagg.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.DrainedPod;
import io.disagg.operator.api.v1alpha1.RevisionPoolStatus;
import io.disagg.operator.api.v1alpha1.RevisionStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.ModelFixtures;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordedDrainsTest {

  static final EffectiveSpec SPEC =
      EffectiveSpecs.of(ModelFixtures.cluster(), List.of("etcd:2379")).spec();
  static final RevisionNames FIRST = RevisionNames.legacy(SPEC, "aaaaaaaaaa");
  static final RevisionNames LATER = RevisionNames.of(SPEC, "bbbbbbbbbb", "bbbbb");

  static DrainStatus drain(String... pods) {
    DrainStatus d = new DrainStatus();
    List<DrainedPod> list = new ArrayList<>();
    for (String p : pods) {
      DrainedPod dp = new DrainedPod();
      dp.setName(p);
      list.add(dp);
    }
    d.setPods(list);
    return d;
  }

  @Test
  void theDrainOfTheRevisionThatWasDesiredGoesOnAfterTheSpecMovedOn() {
    DisaggClusterStatus status = new DisaggClusterStatus();
    DrainStatus first = drain("demo-generation-2", "demo-generation-3");
    status.pool(Pool.GENERATION).setDrain(first);

    assertThat(RecordedDrains.of(status, FIRST, Pool.GENERATION))
        .as("status.generation.drain holds the first revision's pods")
        .isSameAs(first);
    assertThat(RecordedDrains.of(status, LATER, Pool.GENERATION))
        .as("never another revision's pods")
        .isNull();
    assertThat(RecordedDrains.of(status, FIRST, Pool.CONTEXT)).isNull();
  }

  @Test
  void aDrainListedUnderTheRevisionComesFirst() {
    DisaggClusterStatus status = new DisaggClusterStatus();
    status.pool(Pool.CONTEXT).setDrain(drain("demo-bbbbb-ctx-1"));
    RevisionStatus r = new RevisionStatus();
    r.setRevision("aaaaaaaaaa");
    RevisionPoolStatus p = new RevisionPoolStatus();
    DrainStatus listed = drain("demo-context-1");
    p.setDrain(listed);
    r.setPool(Pool.CONTEXT, p);
    status.setRevisions(new ArrayList<>(List.of(r)));

    assertThat(RecordedDrains.of(status, FIRST, Pool.CONTEXT)).isSameAs(listed);
    assertThat(RecordedDrains.of(status, LATER, Pool.CONTEXT))
        .isSameAs(status.getContext().getDrain());
    assertThat(RecordedDrains.of(null, LATER, Pool.CONTEXT)).isNull();
    assertThat(RecordedDrains.podsOf(drain(), "demo-context")).as("no pods").isFalse();
    assertThat(RecordedDrains.podsOf(drain("demo-context-x"), "demo-context")).isFalse();
  }
}
