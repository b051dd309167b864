package io.disagg.operator.status;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DiscoveryStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.PoolStatus;
import io.disagg.operator.api.v1alpha1.RouterStatus;
import io.disagg.operator.api.v1alpha1.TrtllmStatus;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.discovery.DiscoverySnapshot;
import io.disagg.operator.discovery.PodRegistrations;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.Names;
import io.disagg.operator.release.ResolvedRelease;
import io.disagg.operator.release.TrtllmRelease;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Computes the status of a DisaggCluster from what is observed: its StatefulSets, router Deployment
 * and pods. A pure function: same observations, same status (conditions keep their {@code
 * lastTransitionTime} unless their status flips), so the reconciler can skip the write.
 */
public final class StatusCalculator {
  private StatusCalculator() {}

  /** What the reconciler observed and decided, the input of {@link #compute}. */
  public record Observed(
      Map<Pool, StatefulSet> statefulSets,
      Deployment router,
      List<Pod> pods,
      Map<Pool, Integer> desiredReplicas,
      List<SpecProblem> problems,
      DiscoverySnapshot discovery,
      String discoveryProblem,
      PodRegistrations.Match registrations,
      Map<Pool, DrainStatus> drains,
      List<String> waiting) {}

  /** What blocks readiness: a reason and a message for a person. */
  private record Blocker(Reason reason, String message) {}

  private static final int LISTED = 10;

  /**
   * {@code status.trtllm}: the TensorRT-LLM release the files are rendered for ({@code
   * major.minor}, empty when unknown), where it comes from ({@code Spec}, {@code ImageTag}, {@code
   * Assumed}) and how it was decided.
   */
  public static TrtllmStatus trtllm(ResolvedRelease release) {
    return new TrtllmStatus(
        release.release().map(TrtllmRelease::id).orElse(""),
        release.source().value(),
        release.message());
  }

  /**
   * The new status.
   *
   * @param cr the cluster, with its previous status (may be null)
   * @param now time used for condition transitions
   */
  public static DisaggClusterStatus compute(DisaggCluster cr, Observed o, Instant now) {
    DisaggClusterStatus previous =
        cr.getStatus() == null ? new DisaggClusterStatus() : cr.getStatus();
    Long generation = cr.getMetadata().getGeneration();
    DisaggClusterStatus s = new DisaggClusterStatus();
    s.setObservedGeneration(generation);
    s.setClusterName(TrtllmConfig.clusterName(cr));

    List<Blocker> notReady = new ArrayList<>();
    List<String> progressing = new ArrayList<>();
    for (Pool pool : Pool.values()) {
      PoolSpec spec = cr.getSpec().pool(pool);
      StatefulSet sts = o.statefulSets().get(pool);
      PoolStatus ps = s.pool(pool);
      int desired = o.desiredReplicas().getOrDefault(pool, 0);
      ps.setDesiredReplicas(desired);
      ps.setGpusPerInstance(spec.gpusPerInstance());
      ps.setRegisteredInstances(
          o.discovery() == null
              ? previous.pool(pool).getRegisteredInstances()
              : Integer.valueOf(o.discovery().of(pool).size()));
      ps.setDrain(o.drains().get(pool));
      if (o.discovery() == null || !o.discovery().reachable()) {
        notReady.add(
            new Blocker(
                Reason.DISCOVERY_UNAVAILABLE, pool.id() + " registrations in etcd unknown"));
      } else if (ps.getRegisteredInstances() < spec.getMinimalInstances()) {
        notReady.add(
            new Blocker(
                pool == Pool.CONTEXT
                    ? Reason.CONTEXT_NOT_REGISTERED
                    : Reason.GENERATION_NOT_REGISTERED,
                pool.id()
                    + " "
                    + ps.getRegisteredInstances()
                    + "/"
                    + spec.getMinimalInstances()
                    + " registered in etcd (minimalInstances)"));
      }
      if (sts == null) {
        ps.setReplicas(0);
        ps.setReadyReplicas(0);
        ps.setUpdatedReplicas(0);
        progressing.add(pool.id() + " StatefulSet not created yet");
        notReady.add(
            new Blocker(notReadyReason(pool), pool.id() + " 0/" + spec.getMinimalInstances()));
        continue;
      }
      var st = sts.getStatus();
      int replicas = st == null || st.getReplicas() == null ? 0 : st.getReplicas();
      int ready = st == null || st.getReadyReplicas() == null ? 0 : st.getReadyReplicas();
      int updated = st == null || st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
      ps.setReplicas(replicas);
      ps.setReadyReplicas(ready);
      ps.setUpdatedReplicas(updated);
      if (ready < spec.getMinimalInstances()) {
        notReady.add(
            new Blocker(
                notReadyReason(pool),
                pool.id()
                    + " "
                    + ready
                    + "/"
                    + spec.getMinimalInstances()
                    + " ready (minimalInstances)"));
      }
      boolean stale =
          st == null
              || st.getObservedGeneration() == null
              || st.getObservedGeneration() < sts.getMetadata().getGeneration();
      boolean rolling =
          st != null
              && st.getUpdateRevision() != null
              && !Objects.equals(st.getCurrentRevision(), st.getUpdateRevision());
      int specReplicas = sts.getSpec().getReplicas() == null ? 0 : sts.getSpec().getReplicas();
      if (stale
          || rolling
          || replicas != specReplicas
          || ready != specReplicas
          || updated != specReplicas
          || specReplicas != desired) {
        progressing.add(
            pool.id() + " " + ready + "/" + desired + " ready, " + updated + " updated");
      }
    }

    RouterStatus rs = s.getRouter();
    Deployment d = o.router();
    int routerWanted = cr.getSpec().getRouter().getReplicas();
    rs.setEndpoint(
        "http://"
            + Names.router(cr)
            + "."
            + cr.getMetadata().getNamespace()
            + ".svc:"
            + cr.getSpec().getRouter().getPort());
    if (d == null) {
      rs.setReplicas(0);
      rs.setReadyReplicas(0);
      progressing.add("router Deployment not created yet");
    } else {
      var st = d.getStatus();
      int ready = st == null || st.getReadyReplicas() == null ? 0 : st.getReadyReplicas();
      int updated = st == null || st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
      rs.setReplicas(st == null || st.getReplicas() == null ? 0 : st.getReplicas());
      rs.setReadyReplicas(ready);
      boolean stale =
          st == null
              || st.getObservedGeneration() == null
              || st.getObservedGeneration() < d.getMetadata().getGeneration();
      if (stale || ready != routerWanted || updated != routerWanted) {
        progressing.add("router " + ready + "/" + routerWanted + " ready");
      }
    }
    if (routerWanted > 0 && rs.getReadyReplicas() < 1) {
      notReady.add(new Blocker(Reason.ROUTER_NOT_READY, "router 0/" + routerWanted + " ready"));
    }

    progressing.addAll(o.waiting());
    if (o.waiting().isEmpty()) {
      o.drains()
          .forEach(
              (p, drain) ->
                  progressing.add(p.id() + " draining to " + drain.getToReplicas() + " instances"));
    }
    s.setDiscovery(discoveryStatus(o));

    List<String> errors =
        o.problems().stream()
            .filter(SpecProblem::isError)
            .map(SpecProblem::toString)
            .collect(Collectors.toList());
    if (!errors.isEmpty() && !notReady.isEmpty()) {
      // What blocks readiness first: without a valid spec nothing is watched or changed.
      notReady.add(0, new Blocker(Reason.SPEC_INVALID, "spec invalid: " + errors.get(0)));
    }
    List<Blocker> podTrouble = podTrouble(o.pods());

    List<Condition> c = previous.getConditions();
    Long g = generation;
    c = discoveryCondition(c, o, g, now);
    if (notReady.isEmpty()) {
      c = Conditions.set(c, ConditionType.READY, true, Reason.READY, readyMessage(s, cr), g, now);
    } else {
      c =
          Conditions.set(
              c,
              ConditionType.READY,
              false,
              notReady.get(0).reason(),
              notReady.stream().map(Blocker::message).collect(Collectors.joining("; ")),
              g,
              now);
    }
    if (!errors.isEmpty()) {
      c =
          Conditions.set(
              c,
              ConditionType.PROGRESSING,
              false,
              Reason.SPEC_INVALID,
              "spec changes are not applied until fixed",
              g,
              now);
      c =
          Conditions.set(
              c,
              ConditionType.DEGRADED,
              true,
              Reason.SPEC_INVALID,
              String.join("; ", errors),
              g,
              now);
    } else {
      c =
          progressing.isEmpty()
              ? Conditions.set(
                  c,
                  ConditionType.PROGRESSING,
                  false,
                  Reason.COMPLETE,
                  "all pools and the router match the spec",
                  g,
                  now)
              : Conditions.set(
                  c,
                  ConditionType.PROGRESSING,
                  true,
                  o.drains().isEmpty() ? Reason.RECONCILING : Reason.DRAINING,
                  String.join("; ", progressing),
                  g,
                  now);
      c =
          podTrouble.isEmpty()
              ? Conditions.set(
                  c,
                  ConditionType.DEGRADED,
                  false,
                  Reason.AS_EXPECTED,
                  "no problems observed",
                  g,
                  now)
              : Conditions.set(
                  c,
                  ConditionType.DEGRADED,
                  true,
                  podTrouble.get(0).reason(),
                  podTrouble.stream().map(Blocker::message).collect(Collectors.joining("; ")),
                  g,
                  now);
    }
    s.setConditions(Conditions.withGitOpsSummary(c, g, now));
    return s;
  }

  private static String readyMessage(DisaggClusterStatus s, DisaggCluster cr) {
    return "context "
        + s.getContext().getReadyReplicas()
        + "/"
        + s.getContext().getDesiredReplicas()
        + " ready ("
        + s.getContext().getRegisteredInstances()
        + " registered), generation "
        + s.getGeneration().getReadyReplicas()
        + "/"
        + s.getGeneration().getDesiredReplicas()
        + " ready ("
        + s.getGeneration().getRegisteredInstances()
        + " registered), router "
        + s.getRouter().getReadyReplicas()
        + "/"
        + cr.getSpec().getRouter().getReplicas()
        + " ready";
  }

  private static Reason notReadyReason(Pool pool) {
    return pool == Pool.CONTEXT ? Reason.CONTEXT_NOT_READY : Reason.GENERATION_NOT_READY;
  }

  private static DiscoveryStatus discoveryStatus(Observed o) {
    if (o.discovery() == null) {
      return null;
    }
    DiscoveryStatus d = new DiscoveryStatus();
    d.setReachable(o.discovery().reachable());
    d.setRegistrations(o.discovery().registrations().size());
    if (o.registrations() != null) {
      d.setUnmatched(
          o.registrations().foreign().stream()
              .filter(r -> !r.malformed())
              .map(r -> r.endpoint() == null ? r.key() : r.endpoint())
              .sorted()
              .limit(LISTED)
              .toList());
    }
    d.setMalformed(
        o.discovery().malformed().stream().map(Registration::key).sorted().limit(LISTED).toList());
    return d;
  }

  private static List<Condition> discoveryCondition(
      List<Condition> c, Observed o, Long g, Instant now) {
    if (o.discoveryProblem() != null) {
      return Conditions.set(
          c,
          ConditionType.DISCOVERY_AVAILABLE,
          false,
          Reason.DISCOVERY_CONFIG_INVALID,
          o.discoveryProblem(),
          g,
          now);
    }
    if (o.discovery() == null) {
      return c;
    }
    if (!o.discovery().reachable() && o.discovery().lastError() == null) {
      // A new watch not yet established (its first list or the watch after it is under way) and
      // nothing failed: no EtcdUnreachable, and no Warning Event for every DisaggCluster just
      // created or every operator start. Every failure sets lastError (RegistrationWatch).
      return Conditions.set(
          c,
          ConditionType.DISCOVERY_AVAILABLE,
          false,
          Reason.WATCH_STARTING,
          "listing the workers' registrations in etcd",
          g,
          now);
    }
    if (!o.discovery().reachable()) {
      // A stable message (no error text, which varies between retries) so that the status does not
      // churn;
      // the error itself goes to an Event and the log when reachability changes.
      return Conditions.set(
          c,
          ConditionType.DISCOVERY_AVAILABLE,
          false,
          Reason.ETCD_UNREACHABLE,
          "the operator's etcd watch is down: registrations may be stale, nothing is scaled down",
          g,
          now);
    }
    int foreign =
        o.registrations() == null
            ? 0
            : (int) o.registrations().foreign().stream().filter(r -> !r.malformed()).count();
    int malformed = o.discovery().malformed().size();
    String msg = o.discovery().registrations().size() + " registrations";
    if (foreign > 0) {
      return Conditions.set(
          c,
          ConditionType.DISCOVERY_AVAILABLE,
          true,
          Reason.UNMATCHED_REGISTRATIONS,
          msg
              + "; "
              + foreign
              + " match no pod of this DisaggCluster (another deployment with the same clusterName?)",
          g,
          now);
    }
    if (malformed > 0) {
      return Conditions.set(
          c,
          ConditionType.DISCOVERY_AVAILABLE,
          true,
          Reason.MALFORMED_REGISTRATIONS,
          msg + "; " + malformed + " are not TensorRT-LLM registrations",
          g,
          now);
    }
    return Conditions.set(c, ConditionType.DISCOVERY_AVAILABLE, true, Reason.WATCHING, msg, g, now);
  }

  /**
   * Pods the scheduler cannot place, whose fabric pre-flight failed ({@link FabricPreflight}) or
   * whose containers crash, described for a person; in that order (of {@link Reason}).
   */
  private static List<Blocker> podTrouble(List<Pod> pods) {
    List<Blocker> out = new ArrayList<>();
    for (Pod p : pods) {
      if (p.getStatus() == null) {
        continue;
      }
      String component =
          p.getMetadata().getLabels() == null
              ? ""
              : p.getMetadata().getLabels().getOrDefault(Labels.COMPONENT, "");
      if (p.getStatus().getConditions() != null) {
        p.getStatus().getConditions().stream()
            .filter(
                x ->
                    "PodScheduled".equals(x.getType())
                        && "False".equals(x.getStatus())
                        && "Unschedulable".equals(x.getReason()))
            .findFirst()
            .ifPresent(
                x ->
                    out.add(
                        new Blocker(
                            Reason.UNSCHEDULABLE,
                            component
                                + " pod "
                                + p.getMetadata().getName()
                                + " unschedulable: "
                                + x.getMessage())));
      }
      FabricPreflight.failure(p).ifPresent(f -> out.add(new Blocker(f.reason(), f.message())));
      if (p.getStatus().getContainerStatuses() != null) {
        p.getStatus().getContainerStatuses().stream()
            .filter(
                cs ->
                    cs.getState() != null
                        && cs.getState().getWaiting() != null
                        && "CrashLoopBackOff".equals(cs.getState().getWaiting().getReason()))
            .findFirst()
            .ifPresent(
                cs ->
                    out.add(
                        new Blocker(
                            Reason.CRASH_LOOP_BACK_OFF,
                            component
                                + " pod "
                                + p.getMetadata().getName()
                                + " container "
                                + cs.getName()
                                + " is crash-looping")));
      }
    }
    out.sort(Comparator.comparing(Blocker::reason).thenComparing(Blocker::message));
    return out;
  }
}
