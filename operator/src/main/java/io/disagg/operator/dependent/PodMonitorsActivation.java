package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Activation condition of the PodMonitor dependents: the API server serves {@code
 * monitoring.coreos.com/v1} {@code podmonitors} (the Prometheus Operator's CRD is installed). While
 * it does not, JOSDK neither reconciles them nor starts their informer (an informer of a missing
 * resource type would fail), and nothing fails.
 *
 * <p>Like JOSDK's {@code CRDPresentActivationCondition} (looked up again at most every {@link
 * #CHECK_INTERVAL} while missing, never again once present), but through API discovery ({@code GET
 * /apis/monitoring.coreos.com/v1}), which every authenticated client may read (the {@code
 * system:discovery} ClusterRole): JOSDK's condition GETs the CustomResourceDefinition, a
 * cluster-scoped grant the chart would need even when it watches a few namespaces with Roles only.
 * Unlike JOSDK's, there is no limit on the number of lookups, so a Prometheus Operator installed
 * later is picked up without restarting the operator. Removing the CRD after it was found makes the
 * PodMonitor reconcile fail until the operator restarts.
 *
 * <p>The API is looked up only for a DisaggCluster that asks for PodMonitors or has had them
 * ({@code status.monitoring} set). What it found is recorded in the reconcile's context ({@link
 * #crdPresent}) for {@code status.monitoring}.
 */
public class PodMonitorsActivation implements Condition<PodMonitor, DisaggCluster> {

  /** How often a missing CRD is looked up again (at most; a reconcile triggers the lookup). */
  public static final Duration CHECK_INTERVAL = Duration.ofSeconds(15);

  private static final String KEY = PodMonitorsActivation.class.getName() + ".crdPresent";

  /**
   * This condition's answer. One per condition instance, i.e. per dependent of one registered
   * reconciler: a second operator in the same JVM (tests) asks the API server again.
   */
  private final ApiPresence presence =
      new ApiPresence(
          HasMetadata.getApiVersion(PodMonitor.class),
          HasMetadata.getPlural(PodMonitor.class),
          CHECK_INTERVAL,
          Clock.systemUTC());

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
    boolean present = presence.present(context.getClient());
    context.managedWorkflowAndDependentResourceContext().put(KEY, present);
    return present;
  }

  /**
   * Whether this reconcile's workflow found the PodMonitor API; empty when it did not look (no
   * PodMonitors wanted or had, or the workflow did not run).
   */
  public static Optional<Boolean> crdPresent(Context<DisaggCluster> context) {
    return context.managedWorkflowAndDependentResourceContext().get(KEY, Boolean.class);
  }

  /**
   * Whether the API server serves a resource, by API discovery; looked up at most every {@code
   * interval} while absent, never again once present. Thread-safe.
   */
  static final class ApiPresence {
    private final String groupVersion;
    private final String plural;
    private final Duration interval;
    private final Clock clock;
    private Boolean present;
    private Instant checked;

    ApiPresence(String groupVersion, String plural, Duration interval, Clock clock) {
      this.groupVersion = groupVersion;
      this.plural = plural;
      this.interval = interval;
      this.clock = clock;
    }

    synchronized boolean present(KubernetesClient client) {
      Instant now = clock.instant();
      if (present == null || !present && !now.isBefore(checked.plus(interval))) {
        APIResourceList list = client.getApiResources(groupVersion);
        present =
            list != null
                && list.getResources() != null
                && list.getResources().stream().anyMatch(r -> plural.equals(r.getName()));
        checked = now;
      }
      return present;
    }
  }
}
