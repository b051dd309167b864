package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.dependent.ConfigMapDependent;
import io.disagg.operator.dependent.ContextPdbDependent;
import io.disagg.operator.dependent.ContextServiceDependent;
import io.disagg.operator.dependent.ContextStatefulSetDependent;
import io.disagg.operator.dependent.FabricConfigMapDependent;
import io.disagg.operator.dependent.GenerationPdbDependent;
import io.disagg.operator.dependent.GenerationServiceDependent;
import io.disagg.operator.dependent.GenerationStatefulSetDependent;
import io.disagg.operator.dependent.RouterDeploymentDependent;
import io.disagg.operator.dependent.RouterServiceDependent;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.Names;
import io.disagg.operator.model.Pool;
import io.disagg.operator.model.Replicas;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.status.StatusCalculator;
import io.disagg.operator.validation.SpecProblem;
import io.disagg.operator.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Reconciles a {@link DisaggCluster} into its children (ConfigMaps, one StatefulSet, headless
 * Service and PodDisruptionBudget per pool, router Deployment and Service) and reports what it
 * observes in the status.
 *
 * <p>Order of a reconcile: validate the spec (semantic errors block any change to the children
 * and become a {@code Degraded} condition and a Warning Event; running children are left as
 * they are); apply the dependent-resource workflow; compute the status from the observed
 * children and pods; write the status only if it changed, so an unchanged cluster costs no
 * write.
 */
// Explicit invocation: reconcile() validates the spec first and runs the workflow only when it is valid.
@Workflow(explicitInvocation = true, dependents = {
    @Dependent(type = ConfigMapDependent.class, name = "config"),
    @Dependent(type = FabricConfigMapDependent.class, name = "fabric-config"),
    @Dependent(type = ContextServiceDependent.class, name = "context-service"),
    @Dependent(type = GenerationServiceDependent.class, name = "generation-service"),
    @Dependent(type = ContextStatefulSetDependent.class, name = "context-statefulset",
        dependsOn = {"config", "fabric-config", "context-service"}),
    @Dependent(type = GenerationStatefulSetDependent.class, name = "generation-statefulset",
        dependsOn = {"config", "fabric-config", "generation-service"}),
    @Dependent(type = ContextPdbDependent.class, name = "context-pdb"),
    @Dependent(type = GenerationPdbDependent.class, name = "generation-pdb"),
    @Dependent(type = RouterDeploymentDependent.class, name = "router-deployment", dependsOn = "config"),
    @Dependent(type = RouterServiceDependent.class, name = "router-service"),
})
@ControllerConfiguration(name = DisaggClusterReconciler.NAME)
public class DisaggClusterReconciler implements Reconciler<DisaggCluster> {

  /** Controller name, used in configuration keys ({@code quarkus.operator-sdk.controllers.disaggcluster.*}). */
  public static final String NAME = "disaggcluster";
  static final String POD_EVENT_SOURCE = "pods";
  private static final Logger LOG = Logger.getLogger(DisaggClusterReconciler.class);

  private final Clock clock;
  private final KubernetesSerialization serialization = new KubernetesSerialization();

  public DisaggClusterReconciler() {
    this(Clock.systemUTC());
  }

  /** For tests: a reconciler with the given clock. */
  public DisaggClusterReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, DisaggCluster>> prepareEventSources(EventSourceContext<DisaggCluster> context) {
    // Pods are owned by StatefulSets/ReplicaSets, not by the DisaggCluster: map them back by label.
    var pods = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Pod.class, DisaggCluster.class)
            .withName(POD_EVENT_SOURCE)
            .withLabelSelector(Labels.MANAGED_SELECTOR)
            .withSecondaryToPrimaryMapper(p -> p.getMetadata().getLabels() == null
                || p.getMetadata().getLabels().get(Labels.INSTANCE) == null
                ? Set.of()
                : Set.of(new ResourceID(p.getMetadata().getLabels().get(Labels.INSTANCE), p.getMetadata().getNamespace())))
            .build(),
        context);
    return List.of(pods);
  }

  @Override
  public UpdateControl<DisaggCluster> reconcile(DisaggCluster cr, Context<DisaggCluster> context) {
    List<SpecProblem> problems = SpecValidator.validate(cr);
    boolean valid = problems.stream().noneMatch(p -> p.severity() == SpecProblem.Severity.ERROR);
    if (valid) {
      context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
    }
    DisaggClusterStatus status = StatusCalculator.compute(cr, observe(cr, context, problems), clock.instant());
    reportTransitions(cr, context, status, problems);
    if (sameStatus(cr.getStatus(), status)) {
      return UpdateControl.noUpdate();
    }
    DisaggCluster patch = statusPatch(cr, status);
    return UpdateControl.patchStatus(patch);
  }

  @Override
  public ErrorStatusUpdateControl<DisaggCluster> updateErrorStatus(DisaggCluster cr, Context<DisaggCluster> context, Exception e) {
    String message = rootMessage(e);
    LOG.warnf(e, "reconcile of %s/%s failed", cr.getMetadata().getNamespace(), cr.getMetadata().getName());
    DisaggClusterStatus previous = cr.getStatus() == null ? new DisaggClusterStatus() : cr.getStatus();
    List<Condition> before = previous.getConditions();
    List<Condition> after = Conditions.set(before, Conditions.DEGRADED, true, "ReconcileError", message,
        cr.getMetadata().getGeneration(), clock.instant());
    boolean firstOfItsKind = Conditions.find(before, Conditions.DEGRADED)
        .map(c -> !"ReconcileError".equals(c.getReason()) || !Objects.equals(c.getMessage(), message)).orElse(true);
    if (firstOfItsKind) {
      EventRecorder.warning(context.getClient(), cr, "ReconcileError", message);
    }
    previous.setConditions(after);
    return firstOfItsKind ? ErrorStatusUpdateControl.patchStatus(statusPatch(cr, previous))
        : ErrorStatusUpdateControl.<DisaggCluster>noStatusUpdate();
  }

  private StatusCalculator.Observed observe(DisaggCluster cr, Context<DisaggCluster> context, List<SpecProblem> problems) {
    Map<Pool, StatefulSet> sets = new EnumMap<>(Pool.class);
    Map<Pool, Integer> desired = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      String name = Names.pool(cr, pool);
      context.getSecondaryResourcesAsStream(StatefulSet.class)
          .filter(s -> name.equals(s.getMetadata().getName()))
          .findFirst()
          .ifPresent(s -> sets.put(pool, s));
      desired.put(pool, Replicas.desired(cr, pool));
    }
    Deployment router = context.getSecondaryResourcesAsStream(Deployment.class)
        .filter(d -> Names.router(cr).equals(d.getMetadata().getName()))
        .findFirst().orElse(null);
    List<Pod> pods = context.eventSourceRetriever()
        .getEventSourceFor(Pod.class, POD_EVENT_SOURCE)
        .getSecondaryResources(cr).stream()
        .sorted((a, b) -> a.getMetadata().getName().compareTo(b.getMetadata().getName()))
        .toList();
    return new StatusCalculator.Observed(sets, router, pods, desired, problems);
  }

  /** Events for what changed: condition transitions and spec problems, once each. */
  private void reportTransitions(DisaggCluster cr, Context<DisaggCluster> context, DisaggClusterStatus status,
      List<SpecProblem> problems) {
    List<Condition> before = cr.getStatus() == null ? List.of() : cr.getStatus().getConditions();
    List<Condition> after = status.getConditions();
    var client = context.getClient();
    if (Conditions.changed(before, after, Conditions.DEGRADED)) {
      Conditions.find(after, Conditions.DEGRADED).ifPresent(c -> {
        if ("True".equals(c.getStatus())) {
          EventRecorder.warning(client, cr, c.getReason(), c.getMessage());
        } else if (Conditions.isTrue(before, Conditions.DEGRADED)) {
          EventRecorder.normal(client, cr, "Recovered", "no longer degraded");
        }
      });
    }
    if (Conditions.changed(before, after, Conditions.READY)) {
      Conditions.find(after, Conditions.READY).ifPresent(c -> {
        if ("True".equals(c.getStatus())) {
          EventRecorder.normal(client, cr, "Ready", c.getMessage());
        } else if (Conditions.isTrue(before, Conditions.READY)) {
          EventRecorder.warning(client, cr, c.getReason(), c.getMessage());
        }
      });
    }
    boolean specChanged = cr.getStatus() == null || !Objects.equals(cr.getStatus().getObservedGeneration(), cr.getMetadata().getGeneration());
    if (specChanged) {
      for (SpecProblem p : problems) {
        if (p.severity() == SpecProblem.Severity.WARNING) {
          EventRecorder.warning(client, cr, "SpecWarning", p.field() + ": " + p.message());
        }
      }
      if (problems.stream().noneMatch(p -> p.severity() == SpecProblem.Severity.ERROR)) {
        EventRecorder.normal(client, cr, "Reconciled", "applied generation " + cr.getMetadata().getGeneration()
            + ": context " + status.getContext().getDesiredReplicas() + ", generation " + status.getGeneration().getDesiredReplicas()
            + " instances, router " + cr.getSpec().getRouter().getReplicas());
      }
    }
  }

  private boolean sameStatus(DisaggClusterStatus a, DisaggClusterStatus b) {
    return a != null && serialization.convertValue(a, Map.class).equals(serialization.convertValue(b, Map.class));
  }

  private static DisaggCluster statusPatch(DisaggCluster cr, DisaggClusterStatus status) {
    DisaggCluster patch = new DisaggCluster();
    patch.getMetadata().setName(cr.getMetadata().getName());
    patch.getMetadata().setNamespace(cr.getMetadata().getNamespace());
    patch.setStatus(status);
    return patch;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return m.length() > 500 ? m.substring(0, 497) + "..." : m;
  }
}
