package io.disagg.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeletionListenerTest {

  @Test
  void passesDeletedClustersOnAndNothingElse() {
    List<DisaggCluster> deleted = new ArrayList<>();
    DeletionListener l = new DeletionListener(deleted::add);
    DisaggCluster a = Fixtures.minimal("ns", "a");
    l.onResourceCreated(a);
    l.onResourceUpdated(a, a);
    assertThat(deleted).isEmpty();
    l.onResourceDeleted(a);
    assertThat(deleted).containsExactly(a);
    assertThat(l.getSecondaryResources(a)).isEmpty();
  }

  @Test
  void aFailingCleanupDoesNotEscapeIntoTheInformer() {
    DeletionListener l =
        new DeletionListener(
            cr -> {
              throw new IllegalStateException("boom");
            });
    l.onResourceDeleted(Fixtures.minimal("ns", "a"));
  }
}
