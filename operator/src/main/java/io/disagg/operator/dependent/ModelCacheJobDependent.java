package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * The download Job {@code <name>-model-<identity>} of the model cache ({@link ModelCaches#job}),
 * only when the operator downloads ({@link Active}). Named after the model identity, so a change of
 * {@code spec.model} or of the download revision creates a new Job; a Job of an earlier identity
 * stays (its pods' logs, its completion) until the DisaggCluster is deleted (owner reference). The
 * operator never deletes a Job: without a download (or without {@code spec.modelCache}) the
 * dependent targets no Job ({@code <name>-model-none}), so the reconcile precondition deletes
 * nothing.
 *
 * <p>A Job's pod template is immutable, so an existing Job always matches: other changes of {@code
 * spec.modelCache.download} (token, resources, retries) apply to the next model identity. To run a
 * failed download again, delete the Job: the operator creates it again.
 */
@KubernetesDependent(
    informer =
        @Informer(labelSelector = ModelCaches.JOB_CHILDREN, itemStore = WithoutManagedFields.class))
public class ModelCacheJobDependent extends DesiredHashDependent<Job> {

  public ModelCacheJobDependent() {
    super(Job.class);
  }

  @Override
  protected String childName(DisaggCluster primary, Context<DisaggCluster> context) {
    DisaggCluster cr = Plan.of(context).cluster();
    return ModelCaches.downloads(cr)
        ? ModelCaches.jobName(cr)
        : primary.getMetadata().getName() + "-model-none";
  }

  @Override
  protected Job desired(DisaggCluster primary, Context<DisaggCluster> context) {
    return ModelCaches.job(Plan.of(context).cluster());
  }

  /** An existing Job is never updated: its template is immutable. */
  @Override
  public Matcher.Result<Job> match(
      Job actual, Job desired, DisaggCluster primary, Context<DisaggCluster> context) {
    return Matcher.Result.computed(true, desired);
  }

  /** Reconcile precondition: the cluster has a model cache with download on. */
  public static class Active implements Condition<Job, DisaggCluster> {
    @Override
    public boolean isMet(
        DependentResource<Job, DisaggCluster> dependentResource,
        DisaggCluster primary,
        Context<DisaggCluster> context) {
      return ModelCaches.downloads(Plan.of(context).cluster());
    }
  }
}
