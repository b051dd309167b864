package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.plan.Plan;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.CRDPresentActivationCondition;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import java.time.Duration;
import java.util.Optional;

/**
 * Activation condition of the PodMonitor dependents: the {@code podmonitors.monitoring.coreos.com}
 * CRD exists. While it does not, JOSDK neither reconciles them nor starts their informer (an
 * informer of a missing resource type would fail), and nothing fails.
 *
 * <p>The CRD is looked up only for a DisaggCluster that asks for PodMonitors or has had them
 * ({@code status.monitoring} set): an installation that never uses them needs no access to CRDs.
 * The lookup is JOSDK's {@link CRDPresentActivationCondition} (a GET of the CRD, shared by all
 * DisaggClusters through its static cache), here with no limit on the number of checks and one
 * check every {@link #CHECK_INTERVAL} at most while the CRD is missing, so a Prometheus Operator
 * installed later is picked up without restarting the operator. Once found, the CRD is not looked
 * up again (JOSDK's cache; removing the CRD later makes the PodMonitor reconcile fail until the
 * operator restarts).
 *
 * <p>What it found is recorded in the reconcile's context ({@link #crdPresent}) for {@code
 * status.monitoring}.
 */
public class PodMonitorsActivation implements Condition<PodMonitor, DisaggCluster> {

  /** How often a missing CRD is looked up again (at most; a reconcile triggers the lookup). */
  public static final Duration CHECK_INTERVAL = Duration.ofSeconds(15);

  private static final String KEY = PodMonitorsActivation.class.getName() + ".crdPresent";

  private static final CrdPresent CRD = new CrdPresent();

  @Override
  public boolean isMet(
      DependentResource<PodMonitor, DisaggCluster> dependentResource,
      DisaggCluster primary,
      Context<DisaggCluster> context) {
    boolean relevant =
        Plan.of(context).spec().podMonitors()
            || primary.getStatus() != null && primary.getStatus().getMonitoring() != null;
    if (!relevant) {
      return false;
    }
    boolean present = CRD.isMet(dependentResource, primary, context);
    context.managedWorkflowAndDependentResourceContext().put(KEY, present);
    return present;
  }

  /**
   * Whether this reconcile's workflow found the PodMonitor CRD; empty when it did not look (no
   * PodMonitors wanted or had, or the workflow did not run).
   */
  public static Optional<Boolean> crdPresent(Context<DisaggCluster> context) {
    return context.managedWorkflowAndDependentResourceContext().get(KEY, Boolean.class);
  }

  /** JOSDK's CRD check, unlimited, every {@link #CHECK_INTERVAL} at most. */
  private static final class CrdPresent
      extends CRDPresentActivationCondition<PodMonitor, DisaggCluster> {
    CrdPresent() {
      super(Integer.MAX_VALUE, CHECK_INTERVAL);
    }
  }
}
