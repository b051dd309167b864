package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Hashes;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.Updater;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * The claim {@code <name>-model-cache} the operator creates for the model cache ({@link
 * ModelCaches#claim}), only when {@code spec.modelCache.size} is set ({@link Active}); a {@code
 * claimName} given by the user is never created, changed or deleted.
 *
 * <p><b>Never deletes user data.</b> Unlike the other children this one is not garbage-collected
 * with the DisaggCluster: it is neither a {@code GarbageCollected} nor a {@code Deleter} dependent
 * and by default carries no owner reference (JOSDK maps it to its DisaggCluster through its
 * primary-name annotations instead). Weights of hundreds of GB take long to download again, and a
 * {@code kubectl delete dgc} followed by an apply (a GitOps re-sync, a rename) should find them.
 * With {@code spec.modelCache.deleteClaimWithCluster: true} it gets an owner reference to the
 * DisaggCluster and Kubernetes deletes it with the DisaggCluster. Removing {@code spec.modelCache}
 * leaves the claim as it is.
 *
 * <p>Idempotence as in {@link DesiredHashDependent}: matched iff the desired hash is the same. A
 * change of {@code size} is applied (expansion, if the StorageClass allows it); a change of {@code
 * storageClassName} is refused by the API server (immutable) and reported as a reconcile error.
 */
@KubernetesDependent(
    informer =
        @Informer(
            labelSelector = ModelCaches.CLAIM_CHILDREN,
            itemStore = WithoutManagedFields.class))
public class ModelCacheClaimDependent
    extends KubernetesDependentResource<PersistentVolumeClaim, DisaggCluster>
    implements Creator<PersistentVolumeClaim, DisaggCluster>,
        Updater<PersistentVolumeClaim, DisaggCluster> {

  public ModelCacheClaimDependent() {
    super(PersistentVolumeClaim.class);
  }

  /** No automatic owner reference: the claim outlives the DisaggCluster unless asked. */
  @Override
  protected boolean addOwnerReference() {
    return false;
  }

  @Override
  protected PersistentVolumeClaim desired(DisaggCluster primary, Context<DisaggCluster> context) {
    DisaggCluster cr = Plan.of(context).cluster();
    PersistentVolumeClaim pvc = ModelCaches.claim(cr);
    if (Boolean.TRUE.equals(cr.getSpec().getModelCache().getDeleteClaimWithCluster())
        && primary.getMetadata().getUid() != null) {
      pvc.getMetadata()
          .getOwnerReferences()
          .add(
              new OwnerReferenceBuilder()
                  .withApiVersion(primary.getApiVersion())
                  .withKind(primary.getKind())
                  .withName(primary.getMetadata().getName())
                  .withUid(primary.getMetadata().getUid())
                  .withBlockOwnerDeletion(false)
                  .build());
    }
    return pvc;
  }

  @Override
  protected ResourceID targetSecondaryResourceID(
      DisaggCluster primary, Context<DisaggCluster> context) {
    DisaggCluster cr = Plan.of(context).cluster();
    String name =
        ModelCaches.enabled(cr)
            ? ModelCaches.claimName(cr)
            : primary.getMetadata().getName() + ModelCaches.CLAIM_SUFFIX;
    return new ResourceID(name, primary.getMetadata().getNamespace());
  }

  @Override
  public Matcher.Result<PersistentVolumeClaim> match(
      PersistentVolumeClaim actual,
      PersistentVolumeClaim desired,
      DisaggCluster primary,
      Context<DisaggCluster> context) {
    return Matcher.Result.computed(Hashes.sameDesiredHash(actual, desired), desired);
  }

  /** Reconcile precondition: the cluster has a model cache whose claim the operator creates. */
  public static class Active implements Condition<PersistentVolumeClaim, DisaggCluster> {
    @Override
    public boolean isMet(
        DependentResource<PersistentVolumeClaim, DisaggCluster> dependentResource,
        DisaggCluster primary,
        Context<DisaggCluster> context) {
      return ModelCaches.createsClaim(Plan.of(context).cluster());
    }
  }
}
