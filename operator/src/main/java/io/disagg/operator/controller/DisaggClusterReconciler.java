package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.MonitoringStatus;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.RevisionStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.dependent.ConfigMapDependent;
import io.disagg.operator.dependent.ContextPdbDependent;
import io.disagg.operator.dependent.ContextServiceDependent;
import io.disagg.operator.dependent.ContextStatefulSetDependent;
import io.disagg.operator.dependent.FabricConfigMapDependent;
import io.disagg.operator.dependent.GenerationPdbDependent;
import io.disagg.operator.dependent.GenerationServiceDependent;
import io.disagg.operator.dependent.GenerationStatefulSetDependent;
import io.disagg.operator.dependent.ModelCacheClaimDependent;
import io.disagg.operator.dependent.ModelCacheJobDependent;
import io.disagg.operator.dependent.NetworkPoliciesWanted;
import io.disagg.operator.dependent.PodMonitorsActivation;
import io.disagg.operator.dependent.PodMonitorsWanted;
import io.disagg.operator.dependent.RouterDeploymentDependent;
import io.disagg.operator.dependent.RouterNetworkPolicyDependent;
import io.disagg.operator.dependent.RouterPodMonitorDependent;
import io.disagg.operator.dependent.RouterServiceDependent;
import io.disagg.operator.dependent.WithoutManagedFields;
import io.disagg.operator.dependent.WorkerNetworkPolicyDependent;
import io.disagg.operator.dependent.WorkerPodMonitorDependent;
import io.disagg.operator.discovery.Deregistration;
import io.disagg.operator.discovery.DiscoveryConfigException;
import io.disagg.operator.discovery.DiscoveryEventSource;
import io.disagg.operator.discovery.DiscoverySettings;
import io.disagg.operator.discovery.DiscoverySnapshot;
import io.disagg.operator.discovery.EtcdConnections;
import io.disagg.operator.discovery.EtcdTarget;
import io.disagg.operator.discovery.EtcdTargetResolver;
import io.disagg.operator.discovery.PodRegistrations;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.metrics.PerfMetricsClient;
import io.disagg.operator.metrics.PrometheusQueryClient;
import io.disagg.operator.metrics.RouterMetricsClient;
import io.disagg.operator.metrics.WorkerLoad;
import io.disagg.operator.metrics.WorkerMetricsClient;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.SecurityContexts;
import io.disagg.operator.plan.Plan;
import io.disagg.operator.release.Feature;
import io.disagg.operator.rollout.PairingRevision;
import io.disagg.operator.rollout.RecordedDrains;
import io.disagg.operator.rollout.RolloutObservation;
import io.disagg.operator.rollout.RolloutPlan;
import io.disagg.operator.rollout.RolloutPlanner;
import io.disagg.operator.scaling.Autoscaler;
import io.disagg.operator.scaling.AutoscalingMetrics;
import io.disagg.operator.scaling.DrainPlanner;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.spec.MonitoringDefaults;
import io.disagg.operator.spec.NetworkPolicyDefaults;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.status.ModelCacheState;
import io.disagg.operator.status.Reason;
import io.disagg.operator.status.StatusCalculator;
import io.disagg.operator.status.TransferPoisoning;
import io.disagg.operator.telemetry.ClusterTelemetry;
import io.disagg.operator.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Reconciles a {@link DisaggCluster} into its children (ConfigMaps, one StatefulSet, headless
 * Service and PodDisruptionBudget per pool, router Deployment and Service) and reports what it
 * observes in the status.
 *
 * <p>Order of a reconcile: validate the spec (semantic errors block any change to the children and
 * become a {@code Degraded} condition and a Warning Event; running children are left as they are);
 * apply the dependent-resource workflow; compute the status from the observed children and pods;
 * write the status only if it changed, so an unchanged cluster costs no write.
 */
// Explicit invocation: reconcile() validates the spec first and runs the workflow only when it is
// valid.
@Workflow(
    explicitInvocation = true,
    dependents = {
      @Dependent(type = ConfigMapDependent.class, name = "config"),
      @Dependent(type = FabricConfigMapDependent.class, name = "fabric-config"),
      @Dependent(type = ContextServiceDependent.class, name = "context-service"),
      @Dependent(type = GenerationServiceDependent.class, name = "generation-service"),
      @Dependent(
          type = ContextStatefulSetDependent.class,
          name = "context-statefulset",
          dependsOn = {"config", "fabric-config", "context-service"}),
      @Dependent(
          type = GenerationStatefulSetDependent.class,
          name = "generation-statefulset",
          dependsOn = {"config", "fabric-config", "generation-service"}),
      @Dependent(type = ContextPdbDependent.class, name = "context-pdb"),
      @Dependent(type = GenerationPdbDependent.class, name = "generation-pdb"),
      @Dependent(
          type = RouterDeploymentDependent.class,
          name = "router-deployment",
          dependsOn = "config"),
      @Dependent(type = RouterServiceDependent.class, name = "router-service"),
      @Dependent(
          type = WorkerPodMonitorDependent.class,
          name = "workers-podmonitor",
          activationCondition = PodMonitorsActivation.class,
          reconcilePrecondition = PodMonitorsWanted.class),
      @Dependent(
          type = RouterPodMonitorDependent.class,
          name = "router-podmonitor",
          activationCondition = PodMonitorsActivation.class,
          reconcilePrecondition = PodMonitorsWanted.class),
      @Dependent(
          type = WorkerNetworkPolicyDependent.class,
          name = "workers-networkpolicy",
          reconcilePrecondition = NetworkPoliciesWanted.class),
      @Dependent(
          type = RouterNetworkPolicyDependent.class,
          name = "router-networkpolicy",
          reconcilePrecondition = NetworkPoliciesWanted.class),
      @Dependent(
          type = ModelCacheClaimDependent.class,
          name = "model-cache-claim",
          reconcilePrecondition = ModelCacheClaimDependent.Active.class),
      @Dependent(
          type = ModelCacheJobDependent.class,
          name = "model-cache-job",
          reconcilePrecondition = ModelCacheJobDependent.Active.class),
    })
@ControllerConfiguration(
    name = DisaggClusterReconciler.NAME,
    informer = @Informer(itemStore = WithoutManagedFields.class))
// Beyond the dependents (added by the Operator SDK), as the chart grants them
// (templates/_rbac.tpl):
// pods are watched for status and drains and deleted to restart a worker that serves nobody
// (HealingStep), a not ready worker's log names a poisoned transfer buffer, Events report what
// happened, Secrets hold the operator's etcd TLS material and
// credentials (granted by the chart only with rbac.readEtcdSecrets=true). Whether the Prometheus
// Operator's PodMonitor CRD is installed is read from API discovery, which needs no grant
// (PodMonitorsActivation).
@RBACRule(
    apiGroups = "",
    resources = "pods",
    verbs = {"list", "watch", "delete"})
@RBACRule(
    apiGroups = "",
    resources = "pods/log",
    verbs = {"get"})
@RBACRule(
    apiGroups = "",
    resources = "events",
    verbs = {"create"})
@RBACRule(
    apiGroups = "",
    resources = "secrets",
    verbs = {"get"})
// The model cache's claim is created and updated, never deleted (ModelCacheClaimDependent); its
// download Jobs are created, never updated (immutable) nor deleted by the operator: they go with
// the
// DisaggCluster through their owner references (ModelCacheJobDependent).
@RBACRule(
    apiGroups = "",
    resources = "persistentvolumeclaims",
    verbs = {"list", "watch", "create", "patch"})
@RBACRule(
    apiGroups = "batch",
    resources = "jobs",
    verbs = {"list", "watch", "create", "patch"})
public class DisaggClusterReconciler implements Reconciler<DisaggCluster> {

  /**
   * Controller name, used in configuration keys ({@code
   * quarkus.operator-sdk.controllers.disaggcluster.*}).
   */
  public static final String NAME = "disaggcluster";

  static final String POD_EVENT_SOURCE = "pods";
  private static final Logger LOG = Logger.getLogger(DisaggClusterReconciler.class);

  /**
   * Wait after a drained worker left etcd before its in-flight count is trusted (a request the
   * router picked just before may still be connecting).
   */
  static final Duration DEREGISTRATION_GRACE = Duration.ofSeconds(3);

  /**
   * How soon a reconcile comes back while a rollout is in progress (pods and registrations trigger
   * reconciles too; this is the backstop).
   */
  static final Duration ROLLOUT_POLL = Duration.ofSeconds(10);

  /** How soon a reconcile comes back while a drain is in progress. */
  static final Duration DRAIN_POLL = Duration.ofSeconds(2);

  private final Clock clock;
  private final DiscoverySettings settings;
  private final MonitoringDefaults monitoringDefaults;
  private final NetworkPolicyDefaults networkPolicyDefaults;
  private final WorkerMetricsClient metrics;
  private final EtcdConnections connections = new EtcdConnections();
  private final DiscoveryEventSource discovery = new DiscoveryEventSource(connections);
  private final KubernetesSerialization serialization = new KubernetesSerialization();
  private final AutoscalingMetrics autoscalingMetrics;
  private final ClusterTelemetry telemetry;
  private final AutoscalingStep autoscaling;
  private final RouterReannouncements reannouncements = new RouterReannouncements();
  private final HealingStep healing = new HealingStep();
  private final KvTransferStep kvTransfer = new KvTransferStep(new PerfMetricsClient());
  private final ForeignRegistrationStep foreign = new ForeignRegistrationStep();

  /**
   * The operator's reconciler; under Quarkus every argument is a CDI bean ({@code
   * io.disagg.operator.runtime.OperatorBeans}, Micrometer's registry).
   *
   * @param clock the time of conditions, drains and autoscaling evaluations
   * @param settings installation-wide discovery settings (default etcd endpoints)
   * @param monitoringDefaults installation-wide defaults of {@code spec.monitoring}
   * @param networkPolicyDefaults installation-wide NetworkPolicy settings (defaults of {@code
   *     spec.networkPolicy}, the operator's own pods)
   * @param metrics reads workers' {@code /prometheus/metrics} (drains, the {@code Pods} load
   *     source)
   * @param routerMetrics reads the router's counters (the {@code Router} load source)
   * @param prometheus runs PromQL queries (the {@code Prometheus} load source)
   * @param registry where the operator's autoscaling and cluster-state metrics go
   */
  @Inject
  public DisaggClusterReconciler(
      Clock clock,
      DiscoverySettings settings,
      MonitoringDefaults monitoringDefaults,
      NetworkPolicyDefaults networkPolicyDefaults,
      WorkerMetricsClient metrics,
      RouterMetricsClient routerMetrics,
      PrometheusQueryClient prometheus,
      MeterRegistry registry) {
    this.clock = clock;
    this.settings = settings;
    this.monitoringDefaults = monitoringDefaults;
    this.networkPolicyDefaults = networkPolicyDefaults;
    this.metrics = metrics;
    this.autoscalingMetrics = new AutoscalingMetrics(registry);
    this.telemetry = new ClusterTelemetry(registry);
    this.autoscaling =
        new AutoscalingStep(clock, metrics, routerMetrics, prometheus, autoscalingMetrics);
  }

  /**
   * Called once the DisaggCluster is gone (JOSDK's delete event of the primary resource, through
   * {@link DeletionListener}): drops the autoscaler's memory and the operator metrics of it. No
   * finalizer is needed: there is nothing outside this process to clean up (the children are
   * garbage-collected through their owner references, the discovery watch is stopped by its own
   * event source), and a delete event missed while the operator was down leaves nothing behind
   * either, since these live only in memory.
   */
  void onDeleted(DisaggCluster cr) {
    autoscaling.forget(cr);
    reannouncements.forget(cr);
    healing.forget(cr);
    kvTransfer.forget(cr);
    foreign.forget(cr);
    telemetry.remove(cr.getMetadata().getNamespace(), cr.getMetadata().getName());
  }

  @Override
  public List<EventSource<?, DisaggCluster>> prepareEventSources(
      EventSourceContext<DisaggCluster> context) {
    // Pods are owned by StatefulSets/ReplicaSets, not by the DisaggCluster: map them back by label.
    var pods =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Pod.class, DisaggCluster.class)
                .withName(POD_EVENT_SOURCE)
                .withLabelSelector(Labels.MANAGED_SELECTOR)
                .withItemStore(new WithoutManagedFields<>())
                .withSecondaryToPrimaryMapper(
                    p ->
                        p.getMetadata().getLabels() == null
                                || p.getMetadata().getLabels().get(Labels.INSTANCE) == null
                            ? Set.of()
                            : Set.of(
                                new ResourceID(
                                    p.getMetadata().getLabels().get(Labels.INSTANCE),
                                    p.getMetadata().getNamespace())))
                .build(),
            context);
    return List.of(pods, discovery, new DeletionListener(this::onDeleted));
  }

  /**
   * One reconcile, in three phases. <b>Observe</b>: the effective spec (every default applied once,
   * {@link EffectiveSpec}) and its problems, the pods and StatefulSets, the autoscaler's targets,
   * the discovery snapshot. <b>Plan</b>: per pool the StatefulSet replicas (the target, held while
   * a scale-down drains, {@link DrainPlanner}), the rendered files, the status. <b>Act</b>: etcd
   * deregistrations and restores, the dependent-resource workflow (with the {@link Plan}), the
   * status patch, Events, the next reconcile. An invalid spec changes nothing.
   */
  @Override
  public UpdateControl<DisaggCluster> reconcile(DisaggCluster cr, Context<DisaggCluster> context) {
    Instant now = clock.instant();
    // Observe.
    EffectiveSpec.Result effective =
        EffectiveSpec.of(
            cr, settings.defaultEtcdEndpoints(), monitoringDefaults, networkPolicyDefaults);
    DisaggCluster spec = effective.spec().cluster();
    List<SpecProblem> problems = new ArrayList<>(effective.problems());
    problems.addAll(SpecValidator.validate(effective.spec()));
    boolean valid = problems.stream().noneMatch(SpecProblem::isError);
    List<Pod> pods = pods(cr, context);
    List<StatefulSet> sets = context.getSecondaryResourcesAsStream(StatefulSet.class).toList();
    // The desired revision: a present one recorded with the same pairing fields (by this or an
    // earlier operator version), else the hash of the current ones.
    PairingRevision pairing = PairingRevision.of(effective.spec());
    String desired = pairing.revisionAmong(RolloutObservation.recordedPairings(sets));
    List<Deployment> deployments = context.getSecondaryResourcesAsStream(Deployment.class).toList();
    // The revisions present (a retired one, all at 0 and already out of the status, is not), and
    // the desired one's names; then one discovery watch per revision's cluster_name.
    RolloutObservation present =
        RolloutObservation.of(effective.spec(), desired, sets, deployments, pods, Map.of());
    RevisionNames target =
        RevisionNames.forNew(effective.spec(), desired, present.names().values());
    List<String> clusterNames = new ArrayList<>();
    clusterNames.add(target.clusterName());
    live(cr, present, desired)
        .forEach(
            r -> {
              String n = present.names().get(r.revision()).clusterName();
              if (!clusterNames.contains(n)) {
                clusterNames.add(n);
              }
            });
    Discovery seen =
        valid ? watchDiscovery(effective.spec(), context, clusterNames) : Discovery.NONE;
    RolloutObservation observed =
        RolloutObservation.of(
            effective.spec(), desired, sets, deployments, pods, seen.registrations());
    List<RolloutPlanner.ObservedRevision> revisions = live(cr, observed, desired);
    AutoscalingStep.Result scaling =
        autoscaling.run(spec, scaled(cr, observed, revisions, target, desired), valid);
    reportScaling(cr, context, scaling.changes());

    // Plan: the rollout (which revision keeps how many instances), then per pool the drains.
    RolloutPlanner.Input input =
        RolloutPlanner.Input.of(
            effective.spec(),
            desired,
            scaling.targets(),
            cr.getStatus() == null ? null : cr.getStatus().getServingRevision(),
            revisions);
    RolloutPlan rollout = RolloutPlanner.plan(input);
    Map<String, RevisionNames> names = new LinkedHashMap<>(observed.names());
    names.putIfAbsent(desired, target);
    RolloutPlan.Revision wanted = rollout.revision(desired);

    // Act: drains deregister (or restore) workers in etcd, the workflow applies the desired
    // revision, older revisions only change their replicas.
    Map<Pool, DrainStatus> drains = new EnumMap<>(Pool.class);
    Map<String, Map<Pool, DrainStatus>> olderDrains = new LinkedHashMap<>();
    List<String> waiting = new ArrayList<>();
    Map<Pool, Integer> replicas = new EnumMap<>(Pool.class);
    if (valid && wanted != null) {
      Map<Pool, StatefulSet> before = observed.statefulSets().getOrDefault(desired, Map.of());
      for (Pool pool : Pool.values()) {
        DrainPlanner.Decision d =
            planPool(
                spec,
                context,
                pool,
                target.pool(pool),
                wanted.replicas(pool),
                before.get(pool),
                RecordedDrains.of(cr.getStatus(), target, pool),
                observed.workers(desired, pool),
                seen.snapshot(target.clusterName()),
                now);
        replicas.put(pool, d.replicas());
        Optional.ofNullable(d.drain()).ifPresent(drain -> drains.put(pool, drain));
        Optional.ofNullable(d.waiting()).ifPresent(w -> waiting.add(pool.id() + ": " + w));
      }
      Plan.of(effective.spec(), target, pairing.json(), replicas, wanted.routerReplicas())
          .attachTo(context);
      context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
    } else {
      recordedDrains(spec)
          .forEach(drains::put); // kept visible; nothing changes while the spec is invalid
    }
    if (valid) {
      for (RolloutPlan.Revision r : rollout.revisions()) {
        if (!r.revision().equals(desired)) {
          olderDrains.put(r.revision(), scaleOlder(cr, context, observed, r, seen, waiting, now));
        }
      }
      if (!effective.spec().release().has(Feature.ROUTER_ROUTES_EARLIER_WORKERS)) {
        reannounce(cr, context, observed, seen);
      }
      deleteRetired(cr, context, observed, revisions, rollout, desired);
    }
    HealingStep.Result healed =
        healing.run(
            cr,
            spec.getSpec().getSelfHealing(),
            healingInput(observed, rollout, desired, target, replicas, drains, olderDrains, seen),
            valid && wanted != null,
            context.getClient(),
            keys -> discovery.deregister(ResourceID.fromResource(cr), keys),
            now);
    ForeignRegistrationStep.Result removed =
        foreign.run(
            cr,
            spec.getSpec().getDiscovery(),
            seen.snapshots(),
            allPods(cr, context),
            () -> clusterNameSharedWith(cr, effective.spec(), clusterNames, context),
            valid,
            ForeignRegistrationStep.UncachedPods.of(context.getClient(), cr),
            context.getClient(),
            regs -> discovery.deleteIfUnchanged(ResourceID.fromResource(cr), regs),
            now);

    // Status, Events, next reconcile. The pools and router reported are the serving revision's.
    String shown =
        rollout.serving() != null && names.containsKey(rollout.serving())
            ? rollout.serving()
            : desired;
    RevisionNames shownNames = names.get(shown);
    List<Pod> shownPods = observed.pods().getOrDefault(shown, List.of());
    DiscoverySnapshot shownSnapshot = removed.visible(seen.snapshot(shownNames.clusterName()));
    DisaggClusterStatus status =
        StatusCalculator.compute(
            spec,
            new StatusCalculator.Observed(
                statefulSets(context, shownNames),
                router(context, shownNames),
                shownPods,
                scaling.targets(),
                problems,
                shownSnapshot,
                seen.problem(),
                shownSnapshot == null
                    ? null
                    : PodRegistrations.match(shownSnapshot.registrations(), shownPods),
                drains,
                waiting),
            now);
    status.setTrtllm(StatusCalculator.trtllm(effective.spec().release()));
    status.setPodSecurityLevel(
        valid
            ? SecurityContexts.level(effective.spec()).label()
            : cr.getStatus() == null ? null : cr.getStatus().getPodSecurityLevel());
    status.setMonitoring(
        valid && wanted != null
            ? monitoringStatus(effective.spec(), context)
            : cr.getStatus() == null ? null : cr.getStatus().getMonitoring());
    reportMonitoring(cr, context, status.getMonitoring());
    for (Pool pool : Pool.values()) {
      status.pool(pool).setAutoscaling(scaling.statuses().get(pool));
      status.pool(pool).setUnregisteredReadyWorkers(healed.unregisteredReady().get(pool));
      status.pool(pool).setLastRecovery(healed.lastRecovery().get(pool));
    }
    Duration kvNext =
        kvTransfer.run(
            cr,
            spec,
            observed.workers(shown, Pool.GENERATION),
            valid,
            status,
            context.getClient(),
            now);
    status.setConditions(
        TransferPoisoning.apply(
            status.getConditions(),
            healed.poisoned(),
            Boolean.TRUE.equals(spec.getSpec().getFabric().getKvTransferCheck().getEnabled()),
            cr.getMetadata().getGeneration(),
            now));
    removed.applyTo(status, cr.getMetadata().getGeneration(), now);
    modelCacheStatus(cr, spec, context, status, now);
    rolloutStatus(cr, status, valid, input, rollout, names, olderDrains, now);
    reportTransitions(cr, context, status, problems, shownSnapshot);
    telemetry.record(cr, status, pods, now);
    if (valid) {
      for (RolloutPlan.Event e : rollout.events()) {
        LOG.infof(
            "%s/%s %s: %s",
            cr.getMetadata().getNamespace(), cr.getMetadata().getName(), e.reason(), e.message());
        EventRecorder.normal(context.getClient(), cr, e.reason(), e.message());
      }
    }
    if (!sameStatus(cr.getStatus(), status)) {
      // Written here rather than through UpdateControl: the response goes into the informer's
      // cache, so the next reconcile (often queued already, e.g. by the etcd watch seeing the
      // keys a drain just deleted) starts from this status and not from a stale one. Otherwise it
      // would plan the drain again and record it without the registrations it deleted. A
      // server-side apply of the status (name, namespace, status), as UpdateControl.patchStatus
      // does.
      PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
          cr, statusPatch(cr, status), context);
    }
    boolean draining =
        !drains.isEmpty() || olderDrains.values().stream().anyMatch(m -> !m.isEmpty());
    return Stream.of(
            draining ? DRAIN_POLL : null,
            valid && rollout.progressing() != null ? ROLLOUT_POLL : null,
            scaling.requeueAfter(),
            healed.requeueAfter(),
            removed.requeueAfter(),
            kvNext,
            status.getMonitoring() != null
                    && MonitoringStatus.CRD_MISSING.equals(status.getMonitoring().getPodMonitors())
                ? PodMonitorsActivation.CHECK_INTERVAL
                : null)
        .filter(Objects::nonNull)
        .min(Duration::compareTo)
        .map(UpdateControl.<DisaggCluster>noUpdate()::rescheduleAfter)
        .orElseGet(UpdateControl::noUpdate);
  }

  /**
   * What the self-healing step reads: the worker pods of every revision the rollout keeps, with the
   * names of the pods being drained. The desired revision's pods at or above the replicas decided
   * now are on their way out; an older revision's pods shrink only through drains.
   */
  private static List<HealingStep.Observed> healingInput(
      RolloutObservation observed,
      RolloutPlan rollout,
      String desired,
      RevisionNames target,
      Map<Pool, Integer> replicas,
      Map<Pool, DrainStatus> drains,
      Map<String, Map<Pool, DrainStatus>> olderDrains,
      Discovery seen) {
    List<HealingStep.Observed> out = new ArrayList<>();
    for (RolloutPlan.Revision r : rollout.revisions()) {
      boolean current = r.revision().equals(desired);
      RevisionNames n = current ? target : observed.names().get(r.revision());
      if (n == null) {
        continue;
      }
      Map<Pool, DrainStatus> d =
          current ? drains : olderDrains.getOrDefault(r.revision(), Map.of());
      for (Pool pool : Pool.values()) {
        Set<String> draining = new HashSet<>();
        Optional.ofNullable(d.get(pool))
            .ifPresent(x -> x.getPods().forEach(p -> draining.add(p.getName())));
        out.add(
            new HealingStep.Observed(
                pool,
                observed.workers(r.revision(), pool),
                current ? replicas.get(pool) : null,
                seen.snapshot(n.clusterName()),
                draining));
      }
    }
    return out;
  }

  /**
   * The revisions the planner sees: every present one but a retired one (both pools and the router
   * at 0, no router pod left) that the status no longer lists (its retirement was reported) and
   * that is not the desired one. Such a revision's objects are deleted ({@link #deleteRetired}); a
   * rollback to it creates it again.
   */
  private static List<RolloutPlanner.ObservedRevision> live(
      DisaggCluster cr, RolloutObservation observed, String desired) {
    List<String> listed =
        cr.getStatus() == null || cr.getStatus().getRevisions() == null
            ? List.of()
            : cr.getStatus().getRevisions().stream().map(RevisionStatus::getRevision).toList();
    return observed.revisions().stream()
        .filter(
            r ->
                r.revision().equals(desired)
                    || listed.contains(r.revision())
                    || r.router().replicas() > 0
                    || r.router().pods() > 0
                    || r.pool(Pool.CONTEXT).replicas() > 0
                    || r.pool(Pool.GENERATION).replicas() > 0)
        .toList();
  }

  /**
   * Deletes the objects of each retired revision: one the plan retires now ({@link
   * RolloutPlan.Action#DELETE}: its router, then its context, then its generation pool are at 0),
   * and one retired before (at 0 everywhere, no longer in the status) whose objects are still
   * there; never the desired revision, never one with a pod left. Its StatefulSets, router
   * Deployment and ConfigMaps go; the headless Services, PDBs and the router Service are shared by
   * every revision and stay. Each object is deleted only when it is this DisaggCluster's (an owner
   * reference to it) and carries the revision's label.
   */
  private static void deleteRetired(
      DisaggCluster cr,
      Context<DisaggCluster> context,
      RolloutObservation observed,
      List<RolloutPlanner.ObservedRevision> live,
      RolloutPlan rollout,
      String desired) {
    Set<String> retired = new java.util.LinkedHashSet<>();
    rollout.revisions().stream()
        .filter(r -> r.action() == RolloutPlan.Action.DELETE)
        .forEach(r -> retired.add(r.revision()));
    Set<String> liveNames =
        live.stream().map(RolloutPlanner.ObservedRevision::revision).collect(Collectors.toSet());
    observed.names().keySet().stream().filter(r -> !liveNames.contains(r)).forEach(retired::add);
    retired.remove(desired);
    for (String revision : retired) {
      RevisionNames n = observed.names().get(revision);
      if (n == null || !observed.pods().getOrDefault(revision, List.of()).isEmpty()) {
        continue;
      }
      Set<String> names =
          Set.of(
              n.pool(Pool.CONTEXT),
              n.pool(Pool.GENERATION),
              n.router(),
              n.configMap(),
              n.fabricConfigMap());
      List<HasMetadata> doomed = new ArrayList<>();
      Stream.of(StatefulSet.class, Deployment.class, ConfigMap.class)
          .flatMap(type -> context.getSecondaryResourcesAsStream(type))
          .filter(o -> names.contains(o.getMetadata().getName()))
          .filter(o -> revision.equals(RolloutObservation.label(o)))
          .filter(o -> ownedBy(o, cr))
          .forEach(doomed::add);
      for (HasMetadata o : doomed) {
        context
            .getClient()
            .genericKubernetesResources(HasMetadata.getApiVersion(o.getClass()), o.getKind())
            .inNamespace(o.getMetadata().getNamespace())
            .withName(o.getMetadata().getName())
            .withPropagationPolicy(DeletionPropagation.BACKGROUND)
            .delete();
      }
      if (!doomed.isEmpty()) {
        LOG.infof(
            "%s/%s: deleted retired revision %s: %s",
            cr.getMetadata().getNamespace(),
            cr.getMetadata().getName(),
            revision,
            doomed.stream().map(o -> o.getKind() + " " + o.getMetadata().getName()).toList());
      }
    }
  }

  private static boolean ownedBy(HasMetadata o, DisaggCluster cr) {
    return o.getMetadata().getOwnerReferences() != null
        && o.getMetadata().getOwnerReferences().stream()
            .anyMatch(
                r ->
                    cr.getMetadata().getUid() != null
                        && cr.getMetadata().getUid().equals(r.getUid()));
  }

  /**
   * An older revision is frozen: never rendered from the current spec, only its replicas change,
   * through a JSON merge patch of {@code spec.replicas} (a server-side apply of a partial object
   * would drop the fields the operator's field manager no longer sends). Its scale-downs drain like
   * any other (deregistered under its own {@code cluster_name}, in-flight requests finished first).
   *
   * @return its pools' drains in progress
   */
  private Map<Pool, DrainStatus> scaleOlder(
      DisaggCluster cr,
      Context<DisaggCluster> context,
      RolloutObservation observed,
      RolloutPlan.Revision r,
      Discovery seen,
      List<String> waiting,
      Instant now) {
    Map<Pool, DrainStatus> drains = new EnumMap<>(Pool.class);
    RevisionNames n = observed.names().get(r.revision());
    if (n == null || r.action() == RolloutPlan.Action.CREATE) {
      return drains;
    }
    Map<Pool, StatefulSet> sets = observed.statefulSets().getOrDefault(r.revision(), Map.of());
    for (Pool pool : Pool.values()) {
      StatefulSet sts = sets.get(pool);
      if (sts == null) {
        continue;
      }
      DrainPlanner.Decision d =
          planPool(
              cr,
              context,
              pool,
              n.pool(pool),
              r.replicas(pool),
              sts,
              RecordedDrains.of(cr.getStatus(), n, pool),
              observed.workers(r.revision(), pool),
              seen.snapshot(n.clusterName()),
              now);
      Optional.ofNullable(d.drain()).ifPresent(drain -> drains.put(pool, drain));
      Optional.ofNullable(d.waiting())
          .ifPresent(w -> waiting.add(r.revision() + " " + pool.id() + ": " + w));
      if (!Objects.equals(sts.getSpec().getReplicas(), d.replicas())) {
        scale(context, StatefulSet.class, sts, d.replicas());
      }
    }
    Deployment router = observed.routers().get(r.revision());
    if (router != null && !Objects.equals(router.getSpec().getReplicas(), r.routerReplicas())) {
      scale(context, Deployment.class, router, r.routerReplicas());
    }
    return drains;
  }

  /**
   * JSON merge patch of {@code spec.replicas} only, of the object as the informer holds it: Fabric8
   * patches an operation that names no object ({@code withName}) only after reading it from the
   * server ({@code HasMetadataOperation.patch(PatchContext, String)} calls {@code
   * getItemOrRequireFromServer}), a GET the chart does not grant.
   */
  private static <T extends HasMetadata> void scale(
      Context<DisaggCluster> context, Class<T> type, T object, int replicas) {
    context
        .getClient()
        .resources(type)
        .resource(object)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":" + replicas + "}}");
  }

  /**
   * {@code status.modelCache} of the current model identity ({@link ModelCacheState#of}) from the
   * download Job and its pods, and {@code Degraded} when the download failed (the Warning Event
   * follows from the condition's change).
   */
  private static void modelCacheStatus(
      DisaggCluster cr,
      DisaggCluster spec,
      Context<DisaggCluster> context,
      DisaggClusterStatus status,
      Instant now) {
    if (!ModelCaches.enabled(spec)) {
      return;
    }
    boolean downloads = ModelCaches.downloads(spec);
    String jobName = downloads ? ModelCaches.jobName(spec) : null;
    String identity = downloads ? ModelCaches.identity(spec) : null;
    Job job =
        downloads
            ? context
                .getSecondaryResourcesAsStream(Job.class)
                .filter(j -> jobName.equals(j.getMetadata().getName()))
                .findFirst()
                .orElse(null)
            : null;
    List<Pod> jobPods =
        downloads
            ? allPods(cr, context).stream()
                .filter(
                    p ->
                        isDownload(p)
                            && identity.equals(
                                p.getMetadata().getLabels().get(ModelCaches.IDENTITY_LABEL)))
                .toList()
            : List.of();
    status.setModelCache(ModelCacheState.of(spec, job, jobPods));
    status.setConditions(
        ModelCacheState.apply(
            status.getConditions(),
            cr.getStatus() == null ? List.of() : cr.getStatus().getConditions(),
            status.getModelCache(),
            cr.getMetadata().getGeneration(),
            now));
  }

  /** {@code status.servingRevision}, {@code status.revisions} and the rollout's condition. */
  private static void rolloutStatus(
      DisaggCluster cr,
      DisaggClusterStatus status,
      boolean valid,
      RolloutPlanner.Input input,
      RolloutPlan rollout,
      Map<String, RevisionNames> names,
      Map<String, Map<Pool, DrainStatus>> olderDrains,
      Instant now) {
    status.setServingRevision(rollout.serving());
    List<RevisionStatus> revisions = RolloutPlanner.statuses(input, rollout, names);
    for (RevisionStatus r : revisions) {
      olderDrains
          .getOrDefault(r.getRevision(), Map.of())
          .forEach((pool, drain) -> r.pool(pool).setDrain(drain));
    }
    status.setRevisions(revisions);
    if (valid && rollout.progressing() != null) {
      Long g = cr.getMetadata().getGeneration();
      status.setConditions(
          Conditions.withGitOpsSummary(
              Conditions.set(
                  status.getConditions(),
                  ConditionType.PROGRESSING,
                  true,
                  Reason.ROLLING_OUT,
                  rollout.progressing(),
                  g,
                  now),
              g,
              now));
    }
  }

  /**
   * What the discovery watches show of one DisaggCluster, by {@code cluster_name} (one per
   * revision); {@link #NONE} when it is not watched.
   */
  private record Discovery(Map<String, DiscoverySnapshot> snapshots, String problem) {
    static final Discovery NONE = new Discovery(Map.of(), null);

    DiscoverySnapshot snapshot(String clusterName) {
      return snapshots.get(clusterName);
    }

    /** Every registration, by {@code cluster_name}. */
    Map<String, List<Registration>> registrations() {
      Map<String, List<Registration>> out = new HashMap<>();
      snapshots.forEach((n, s) -> out.put(n, s.registrations()));
      return out;
    }
  }

  /** Starts (or keeps) one etcd watch per {@code cluster_name}, stops the others. */
  private Discovery watchDiscovery(
      EffectiveSpec spec, Context<DisaggCluster> context, List<String> clusterNames) {
    try {
      EtcdTarget target =
          new EtcdTargetResolver(EtcdTargetResolver.SecretReader.of(context.getClient()))
              .resolve(spec);
      return new Discovery(discovery.watch(spec.cluster(), target, clusterNames), null);
    } catch (DiscoveryConfigException e) {
      return new Discovery(Map.of(), e.getMessage());
    }
  }

  /**
   * What the autoscaler reads: the revision serving before this reconcile ({@link
   * RolloutPlanner#serving}; the desired one when none serves yet), its pods, StatefulSet names and
   * drains.
   */
  private static AutoscalingStep.Scaled scaled(
      DisaggCluster cr,
      RolloutObservation observed,
      List<RolloutPlanner.ObservedRevision> revisions,
      RevisionNames target,
      String desired) {
    String serving =
        Optional.ofNullable(
                RolloutPlanner.serving(
                    revisions,
                    cr.getStatus() == null ? null : cr.getStatus().getServingRevision(),
                    desired))
            .orElse(desired);
    RevisionNames names = serving.equals(desired) ? target : observed.names().get(serving);
    Map<Pool, String> sets = new EnumMap<>(Pool.class);
    Map<Pool, DrainStatus> drains = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      sets.put(pool, names.pool(pool));
      Optional.ofNullable(RecordedDrains.of(cr.getStatus(), names, pool))
          .ifPresent(d -> drains.put(pool, d));
    }
    return new AutoscalingStep.Scaled(
        sets, observed.pods().getOrDefault(serving, List.of()), drains);
  }

  /**
   * Writes each revision's registrations again for its router containers that started since the
   * last time ({@link RouterReannouncements}): a 1.2 router routes only to workers that register
   * after it started. Once per container start; a revision whose watch has no snapshot yet is tried
   * again on the next reconcile.
   */
  private void reannounce(
      DisaggCluster cr,
      Context<DisaggCluster> context,
      RolloutObservation observed,
      Discovery seen) {
    ResourceID id = ResourceID.fromResource(cr);
    List<Pod> routers =
        observed.pods().values().stream()
            .flatMap(List::stream)
            .filter(p -> RouterReannouncements.containerStart(p) != null)
            .toList();
    List<Pod> due = reannouncements.due(id, routers);
    List<Pod> announced = new ArrayList<>();
    for (Map.Entry<String, RevisionNames> e : observed.names().entrySet()) {
      List<Pod> mine =
          due.stream()
              .filter(p -> observed.pods().getOrDefault(e.getKey(), List.of()).contains(p))
              .toList();
      DiscoverySnapshot snapshot = seen.snapshot(e.getValue().clusterName());
      if (mine.isEmpty() || snapshot == null) {
        continue;
      }
      List<Registration> regs =
          RouterReannouncements.announced(
              snapshot.registrations(), observed.pods().getOrDefault(e.getKey(), List.of()));
      try {
        int n = regs.isEmpty() ? 0 : discovery.reannounce(id, regs);
        announced.addAll(mine);
        if (n > 0) {
          String names = mine.stream().map(p -> p.getMetadata().getName()).toList().toString();
          String message =
              "wrote "
                  + n
                  + " registrations of "
                  + e.getValue().clusterName()
                  + " again for router "
                  + names
                  + ", which started after them (a TensorRT-LLM 1.2 router routes only to"
                  + " workers that register after it started)";
          LOG.infof(
              "%s/%s: %s", cr.getMetadata().getNamespace(), cr.getMetadata().getName(), message);
          EventRecorder.normal(context.getClient(), cr, "RegistrationsReannounced", message);
        }
      } catch (RuntimeException ex) {
        LOG.warnf(
            "%s/%s: writing the registrations again for the router failed, will retry: %s",
            cr.getMetadata().getNamespace(), cr.getMetadata().getName(), ex.getMessage());
      }
    }
    reannouncements.record(id, routers, announced);
  }

  /**
   * The first other DisaggCluster in the operator's cache ({@code namespace/name}) that uses one of
   * {@code clusterNames} on the same etcd: its effective {@code spec.discovery.clusterName}, or a
   * {@code cluster_name} its status names (the shown one and every revision's). DisaggClusters in
   * namespaces the operator does not watch, or of another installation, cannot be seen.
   */
  private Optional<String> clusterNameSharedWith(
      DisaggCluster cr,
      EffectiveSpec spec,
      List<String> clusterNames,
      Context<DisaggCluster> context) {
    List<ForeignRegistrationStep.Claim> claims =
        context
            .getPrimaryCache()
            .list()
            .map(
                o ->
                    ForeignRegistrationStep.Claim.of(
                        o,
                        EffectiveSpec.of(
                                o,
                                settings.defaultEtcdEndpoints(),
                                monitoringDefaults,
                                networkPolicyDefaults)
                            .spec()
                            .cluster()))
            .toList();
    List<String> mine = spec.cluster().getSpec().getDiscovery().getEtcd().getEndpoints();
    return ForeignRegistrationStep.sharing(
        cr.getMetadata().getNamespace(),
        cr.getMetadata().getName(),
        clusterNames,
        mine == null ? List.of() : mine,
        claims);
  }

  /** The drains recorded in the status. */
  private static Map<Pool, DrainStatus> recordedDrains(DisaggCluster cr) {
    Map<Pool, DrainStatus> out = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      DrainStatus d = cr.getStatus() == null ? null : cr.getStatus().pool(pool).getDrain();
      if (d != null) {
        out.put(pool, d);
      }
    }
    return out;
  }

  private static Deployment router(Context<DisaggCluster> context, RevisionNames names) {
    return context
        .getSecondaryResourcesAsStream(Deployment.class)
        .filter(d -> names.router().equals(d.getMetadata().getName()))
        .findFirst()
        .orElse(null);
  }

  /**
   * A Normal Event and a log line per decision that changes a pool's target; none for a quiet
   * evaluation.
   */
  private static void reportScaling(
      DisaggCluster cr, Context<DisaggCluster> context, List<Autoscaler.PoolDecision> changes) {
    for (Autoscaler.PoolDecision d : changes) {
      String reason = d.replicas() > d.currentReplicas() ? "ScaledUp" : "ScaledDown";
      LOG.infof(
          "%s/%s %s: %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), reason, d.reason());
      EventRecorder.normal(context.getClient(), cr, reason, d.reason());
    }
  }

  /**
   * Decides one pool's StatefulSet replicas with {@link DrainPlanner} and carries out what it asks:
   * deregistering drained workers from etcd, or putting their registrations back when the drain is
   * cancelled.
   */
  private DrainPlanner.Decision planPool(
      DisaggCluster cr,
      Context<DisaggCluster> context,
      Pool pool,
      String stsName,
      int target,
      StatefulSet sts,
      DrainStatus recorded,
      Map<Integer, Pod> workers,
      DiscoverySnapshot snapshot,
      Instant now) {
    PodRegistrations.Match match =
        snapshot == null
            ? null
            : PodRegistrations.match(snapshot.registrations(), List.copyOf(workers.values()));
    Integer current = sts == null || sts.getSpec() == null ? null : sts.getSpec().getReplicas();
    Map<String, List<Registration>> byPod = new HashMap<>();
    Map<String, Integer> inFlight = new HashMap<>();
    if (current != null && (target < current || recorded != null)) {
      for (int i = Math.min(target, current);
          i < Math.max(current, recorded == null ? 0 : recorded.getFromReplicas());
          i++) {
        String name = stsName + "-" + i;
        if (match != null) {
          byPod.put(name, match.of(name));
        }
        Pod pod = workers.get(i);
        inFlight.put(
            name,
            pod == null ? Integer.valueOf(0) : inFlight(pod, cr.getSpec().pool(pool).getPort()));
      }
    }
    PoolSpec spec = cr.getSpec().pool(pool);
    DrainPlanner.Decision d =
        DrainPlanner.plan(
            new DrainPlanner.Input(
                stsName,
                target,
                current,
                recorded,
                byPod,
                inFlight,
                snapshot != null && snapshot.reachable(),
                Duration.ofSeconds(spec.getDrainTimeoutSeconds()),
                DEREGISTRATION_GRACE,
                now));
    ResourceID id = ResourceID.fromResource(cr);
    if (!d.keysToDeregister().isEmpty()) {
      try {
        discovery.deregister(id, d.keysToDeregister());
        LOG.infof(
            "%s/%s: deregistered %s",
            cr.getMetadata().getNamespace(), cr.getMetadata().getName(), d.keysToDeregister());
      } catch (Deregistration.DeregistrationException | RuntimeException e) {
        LOG.warnf(
            "%s/%s: deregistering %s failed, will retry: %s",
            cr.getMetadata().getNamespace(),
            cr.getMetadata().getName(),
            d.keysToDeregister(),
            e.getMessage());
      }
    }
    if (!d.toRestore().isEmpty()) {
      List<Registration> failed;
      try {
        failed = discovery.restore(id, d.toRestore());
      } catch (RuntimeException e) {
        failed = d.toRestore();
      }
      for (Registration r : failed) {
        EventRecorder.warning(
            context.getClient(),
            cr,
            "RegistrationNotRestored",
            "could not put back "
                + r.key()
                + " (its lease expired); restart that worker so it registers again");
      }
    }
    if (d.event() != null) {
      LOG.infof(
          "%s/%s %s: %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), pool.id(), d.event());
      EventRecorder.normal(
          context.getClient(),
          cr,
          d.drain() == null ? "Scaled" : "Draining",
          pool.id() + ": " + d.event());
    }
    return d;
  }

  /** Requests a pod's worker is serving (running + waiting), or null when it cannot be read. */
  private Integer inFlight(Pod pod, int port) {
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (ip == null || ip.isBlank()) {
      return 0; // never started serving
    }
    return metrics.load(ip, port).map(WorkerLoad::inFlight).orElse(null);
  }

  /** The cluster's worker and router pods (not the model download's), by name. */
  private static List<Pod> pods(DisaggCluster cr, Context<DisaggCluster> context) {
    return allPods(cr, context).stream().filter(p -> !isDownload(p)).toList();
  }

  /** Every pod of the cluster the pod informer holds, the model download's included, by name. */
  private static List<Pod> allPods(DisaggCluster cr, Context<DisaggCluster> context) {
    return context
        .eventSourceRetriever()
        .getEventSourceFor(Pod.class, POD_EVENT_SOURCE)
        .getSecondaryResources(cr)
        .stream()
        .sorted((a, b) -> a.getMetadata().getName().compareTo(b.getMetadata().getName()))
        .toList();
  }

  private static boolean isDownload(Pod p) {
    return p.getMetadata().getLabels() != null
        && ModelCaches.COMPONENT.equals(p.getMetadata().getLabels().get(Labels.COMPONENT));
  }

  private static Map<Pool, StatefulSet> statefulSets(
      Context<DisaggCluster> context, RevisionNames names) {
    Map<Pool, StatefulSet> sets = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      String name = names.pool(pool);
      context
          .getSecondaryResourcesAsStream(StatefulSet.class)
          .filter(s -> name.equals(s.getMetadata().getName()))
          .findFirst()
          .ifPresent(s -> sets.put(pool, s));
    }
    return sets;
  }

  @Override
  public ErrorStatusUpdateControl<DisaggCluster> updateErrorStatus(
      DisaggCluster cr, Context<DisaggCluster> context, Exception e) {
    String message = rootMessage(e);
    LOG.warnf(
        e,
        "reconcile of %s/%s failed",
        cr.getMetadata().getNamespace(),
        cr.getMetadata().getName());
    DisaggClusterStatus previous =
        cr.getStatus() == null ? new DisaggClusterStatus() : cr.getStatus();
    List<Condition> before = previous.getConditions();
    List<Condition> after =
        Conditions.withGitOpsSummary(
            Conditions.set(
                before,
                ConditionType.DEGRADED,
                true,
                Reason.RECONCILE_ERROR,
                message,
                cr.getMetadata().getGeneration(),
                clock.instant()),
            cr.getMetadata().getGeneration(),
            clock.instant());
    boolean firstOfItsKind =
        Conditions.find(before, ConditionType.DEGRADED)
            .map(
                c ->
                    !Conditions.hasReason(c, Reason.RECONCILE_ERROR)
                        || !Objects.equals(c.getMessage(), message))
            .orElse(true);
    if (firstOfItsKind) {
      EventRecorder.warning(context.getClient(), cr, "ReconcileError", message);
    }
    previous.setConditions(after);
    return firstOfItsKind
        ? ErrorStatusUpdateControl.patchStatus(statusPatch(cr, previous))
        : ErrorStatusUpdateControl.<DisaggCluster>noStatusUpdate();
  }

  /** Events for what changed: condition transitions and spec problems, once each. */
  private void reportTransitions(
      DisaggCluster cr,
      Context<DisaggCluster> context,
      DisaggClusterStatus status,
      List<SpecProblem> problems,
      DiscoverySnapshot snapshot) {
    List<Condition> before = cr.getStatus() == null ? List.of() : cr.getStatus().getConditions();
    List<Condition> after = status.getConditions();
    var client = context.getClient();
    if (Conditions.changed(before, after, ConditionType.DISCOVERY_AVAILABLE)) {
      Conditions.find(after, ConditionType.DISCOVERY_AVAILABLE)
          .ifPresent(
              c -> {
                String detail =
                    snapshot != null && snapshot.lastError() != null
                        ? " (" + snapshot.lastError() + ")"
                        : "";
                if ("True".equals(c.getStatus()) && Conditions.hasReason(c, Reason.WATCHING)) {
                  EventRecorder.normal(client, cr, "DiscoveryAvailable", c.getMessage());
                } else if (!Conditions.hasReason(c, Reason.WATCH_STARTING)) {
                  EventRecorder.warning(client, cr, c.getReason(), c.getMessage() + detail);
                }
              });
    }
    if (Conditions.changed(before, after, ConditionType.DEGRADED)) {
      Conditions.find(after, ConditionType.DEGRADED)
          .ifPresent(
              c -> {
                if ("True".equals(c.getStatus())) {
                  EventRecorder.warning(client, cr, c.getReason(), c.getMessage());
                } else if (Conditions.isTrue(before, ConditionType.DEGRADED)) {
                  EventRecorder.normal(client, cr, "Recovered", "no longer degraded");
                }
              });
    }
    if (Conditions.changed(before, after, ConditionType.READY)) {
      Conditions.find(after, ConditionType.READY)
          .ifPresent(
              c -> {
                if ("True".equals(c.getStatus())) {
                  EventRecorder.normal(client, cr, "Ready", c.getMessage());
                } else if (Conditions.isTrue(before, ConditionType.READY)) {
                  EventRecorder.warning(client, cr, c.getReason(), c.getMessage());
                }
              });
    }
    boolean specChanged =
        cr.getStatus() == null
            || !Objects.equals(
                cr.getStatus().getObservedGeneration(), cr.getMetadata().getGeneration());
    if (specChanged) {
      for (SpecProblem p : problems) {
        if (p.severity() == SpecProblem.Severity.WARNING) {
          EventRecorder.warning(client, cr, "SpecWarning", p.field() + ": " + p.message());
        }
      }
      if (problems.stream().noneMatch(p -> p.severity() == SpecProblem.Severity.ERROR)) {
        EventRecorder.normal(
            client,
            cr,
            "Reconciled",
            "applied generation "
                + cr.getMetadata().getGeneration()
                + ": context "
                + status.getContext().getDesiredReplicas()
                + ", generation "
                + status.getGeneration().getDesiredReplicas()
                + " instances, router "
                + cr.getSpec().getRouter().getReplicas());
      }
    }
  }

  /**
   * {@code status.monitoring} after the workflow ran: {@code Applied} or {@code CrdMissing} while
   * PodMonitors are wanted, null otherwise (once the workflow deleted them, or never had any).
   */
  private static MonitoringStatus monitoringStatus(
      EffectiveSpec spec, Context<DisaggCluster> context) {
    if (!spec.podMonitors()) {
      return null;
    }
    boolean present = PodMonitorsActivation.crdPresent(context).orElse(false);
    String name = spec.cluster().getMetadata().getName();
    return present
        ? new MonitoringStatus(
            MonitoringStatus.APPLIED,
            "PodMonitors " + name + "-workers and " + name + "-router are applied")
        : new MonitoringStatus(
            MonitoringStatus.CRD_MISSING,
            "spec.monitoring asks for PodMonitors, but the Prometheus Operator's CRD"
                + " podmonitors.monitoring.coreos.com is not installed; none are created (checked"
                + " again every "
                + PodMonitorsActivation.CHECK_INTERVAL.toSeconds()
                + " s)");
  }

  /** One Normal Event when PodMonitors are wanted but their CRD is missing (not an error). */
  private static void reportMonitoring(
      DisaggCluster cr, Context<DisaggCluster> context, MonitoringStatus now) {
    MonitoringStatus before = cr.getStatus() == null ? null : cr.getStatus().getMonitoring();
    if (now != null
        && MonitoringStatus.CRD_MISSING.equals(now.getPodMonitors())
        && (before == null || !MonitoringStatus.CRD_MISSING.equals(before.getPodMonitors()))) {
      EventRecorder.normal(context.getClient(), cr, "PodMonitorCrdMissing", now.getMessage());
    }
  }

  private boolean sameStatus(DisaggClusterStatus a, DisaggClusterStatus b) {
    return a != null
        && serialization
            .convertValue(a, Map.class)
            .equals(serialization.convertValue(b, Map.class));
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
