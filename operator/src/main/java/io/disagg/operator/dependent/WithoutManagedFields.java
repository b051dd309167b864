package io.disagg.operator.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * Informer cache that keeps objects without {@code metadata.managedFields}: the server-side-apply
 * field ownership, which the API server returns with every object and which is often the largest
 * part of a small object's metadata. The operator never reads it: a child's drift is decided by its
 * {@link io.disagg.operator.model.Labels#DESIRED_HASH} annotation ({@link
 * DesiredHashDependent#match}), not by JOSDK's server-side-apply matcher, which would need it.
 * Measured by the control-plane benchmark (docs/benchmarks.md, live heap per DisaggCluster).
 *
 * <p>The transformation mutates the object the watch has just decoded, before it is stored, as
 * JOSDK's {@link TransformingItemStore} allows (it restores name, namespace and resourceVersion).
 *
 * @param <R> the cached resource type
 */
public class WithoutManagedFields<R extends HasMetadata> extends TransformingItemStore<R> {

  public WithoutManagedFields() {
    super(
        r -> {
          r.getMetadata().setManagedFields(null);
          return r;
        });
  }
}
