package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Hashes;
import io.disagg.operator.model.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Optional;

/**
 * Base of every dependent of a {@link DisaggCluster}: one named child resource, created and updated
 * by JOSDK (server-side apply), owned by the DisaggCluster (owner reference, so Kubernetes
 * garbage-collects it).
 *
 * <p><b>Which secondary resource is "mine".</b> In JOSDK 5.2 {@code
 * AbstractDependentResource.getSecondaryResource} collects the secondaries of the resource type
 * from <em>every</em> event source of that type, then {@code
 * KubernetesDependentResource.selectTargetSecondaryResource} keeps the one whose name and namespace
 * equal {@code targetSecondaryResourceID}, by default the id of {@code desired()}. Several
 * dependents of one type (two StatefulSets, three Services, two PDBs) therefore each find their own
 * child. This class overrides {@link #targetSecondaryResourceID} to give that id from {@link
 * #childName} directly, without rendering the whole desired resource.
 *
 * <p>Each dependent has its own informer (named after the dependent). Because the context merges
 * all informers of a type, a just-written child could be seen in a stale version from a sibling's
 * informer; {@link #getSecondaryResource} therefore reads this dependent's own informer (which also
 * holds its own recent writes) and falls back to the context only when no event source is attached
 * (unit tests). Compare JOSDK pull request 2968.
 *
 * <p><b>Idempotence.</b> The default server-side-apply matcher trips over fields the API server
 * defaults (JOSDK issues 1989, 3034) and would write on every reconcile. Every desired resource
 * instead carries {@link Labels#DESIRED_HASH}, a hash of its own content computed before the
 * annotation is added; {@link #match} says "matched" iff the actual resource carries the same hash,
 * so an unchanged DisaggCluster causes no write. The price: a manual edit of a child is not
 * reverted until the desired state changes (or the hash annotation is removed).
 */
public abstract class DesiredHashDependent<R extends HasMetadata>
    extends CRUDKubernetesDependentResource<R, DisaggCluster> {

  protected DesiredHashDependent(Class<R> resourceType) {
    super(resourceType);
  }

  /**
   * The desired child: a pure function of the primary (see {@code io.disagg.operator.model}),
   * carrying {@link Labels#DESIRED_HASH}.
   */
  @Override
  protected abstract R desired(DisaggCluster primary, Context<DisaggCluster> context);

  /**
   * Name of this dependent's child in the DisaggCluster's namespace; must equal desired()'s name.
   */
  protected abstract String childName(DisaggCluster primary, Context<DisaggCluster> context);

  @Override
  protected ResourceID targetSecondaryResourceID(
      DisaggCluster primary, Context<DisaggCluster> context) {
    return new ResourceID(childName(primary, context), primary.getMetadata().getNamespace());
  }

  @Override
  public Optional<R> getSecondaryResource(DisaggCluster primary, Context<DisaggCluster> context) {
    var own = eventSource();
    if (own.isEmpty()) {
      return super.getSecondaryResource(primary, context);
    }
    return selectTargetSecondaryResource(
        own.get().getSecondaryResources(primary), primary, context);
  }

  /**
   * Matched iff the actual resource's {@link Labels#DESIRED_HASH} equals the desired one's. The
   * desired resource is handed back as computed, so JOSDK applies it without rendering again.
   */
  @Override
  public Matcher.Result<R> match(
      R actual, R desired, DisaggCluster primary, Context<DisaggCluster> context) {
    return Matcher.Result.computed(Hashes.sameDesiredHash(actual, desired), desired);
  }
}
