package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * A JOSDK event source that produces no events and no secondary resources: it only hears, as every
 * {@link ResourceEventAware} event source does, when the informer of the primary resource sees a
 * DisaggCluster deleted, and passes it on. This is how in-memory state of a cluster is dropped
 * without a finalizer ({@code Cleaner} would add one, making every deletion wait for the operator).
 */
final class DeletionListener extends AbstractEventSource<Void, DisaggCluster>
    implements ResourceEventAware<DisaggCluster> {

  static final String NAME = "deletion-listener";
  private static final Logger LOG = Logger.getLogger(DeletionListener.class);
  private final Consumer<DisaggCluster> onDeleted;

  DeletionListener(Consumer<DisaggCluster> onDeleted) {
    super(Void.class, NAME);
    this.onDeleted = Objects.requireNonNull(onDeleted, "onDeleted");
  }

  @Override
  public void onResourceDeleted(DisaggCluster resource) {
    try {
      onDeleted.accept(resource);
    } catch (RuntimeException e) {
      LOG.warnf(
          e,
          "cleaning up after deleted DisaggCluster %s/%s failed",
          resource.getMetadata().getNamespace(),
          resource.getMetadata().getName());
    }
  }

  @Override
  public Set<Void> getSecondaryResources(DisaggCluster primary) {
    return Set.of();
  }
}
