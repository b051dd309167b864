package io.disagg.operator.rollout;

import io.disagg.operator.api.v1alpha1.RevisionPoolStatus;
import io.disagg.operator.api.v1alpha1.RevisionRole;
import io.disagg.operator.api.v1alpha1.RevisionStatus;
import io.disagg.operator.api.v1alpha1.RolloutSpec;
import io.disagg.operator.api.v1alpha1.RolloutStrategy;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.release.Feature;
import io.disagg.operator.spec.EffectiveSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides how the pairing revisions of one DisaggCluster move towards the desired one: a pure
 * function of what the reconciler observed ({@link Input}) to a {@link RolloutPlan}. See
 * docs/rollouts.md for the sequence; the rules, per pool with target {@code T} (what the autoscaler
 * or {@code replicas} wants for the serving revision):
 *
 * <ol>
 *   <li><b>Capacity.</b> A revision serves only through its own router, which is ready only with
 *       {@code minimalInstances} of both pools registered. The desired revision {@code D}'s
 *       capacity {@code c} is its Ready-and-registered instances while its router is ready, else 0.
 *       The older revisions whose router is in the Service ({@code replicas > 0}) keep {@code T -
 *       c} serving instances between them (the recorded serving revision first), each at least
 *       {@code minimalInstances} while it keeps any, so the serving capacity never drops below the
 *       target: an older revision shrinks only by what {@code D} serves. A scale-down removes the
 *       highest ordinals, so an older revision keeps the lowest ordinals that hold its share of
 *       serving instances (a pod still loading below them is kept; one above is removed).
 *   <li><b>Surge.</b> {@code D} grows to {@code T}, but all revisions together never have more than
 *       {@code T + surge} instances of a pool ({@link #surge}); counted are the StatefulSets'
 *       {@code replicas}, so the pods of a drain in progress count until they are gone.
 *   <li><b>Router.</b> {@code D}'s router starts once every instance {@code D} can have is Ready
 *       and registered (its pools at their targets but for unschedulable pods, and at least {@code
 *       minimalInstances}), so with the default surge of 100% traffic moves at once from a full old
 *       revision to a full new one. With nothing else serving it starts with {@code D}.
 *   <li><b>Hand-over.</b> {@code D} becomes the serving revision when its router is ready and its
 *       capacity reaches {@code T} in both pools; older revisions then keep nothing.
 *   <li><b>Retiring.</b> An older revision that keeps nothing retires: its router goes to 0 first;
 *       once no router pod is left its context pool drains to 0; once the context StatefulSet is at
 *       0 (its drain finished) the generation pool drains to 0; then its objects are deleted.
 *   <li><b>Unschedulable.</b> {@code D}'s pods the scheduler cannot place hold nothing back but
 *       themselves: older revisions shrink only by what {@code D} serves, so when {@code D} cannot
 *       be scheduled at all nothing is drained, and when it partly can, the GPUs freed by each step
 *       let the next pods of {@code D} be placed. The message says why.
 *   <li><b>Rollback.</b> A desired revision still present is reused (scaled back up, its drains
 *       cancelled); no third revision is created.
 *   <li><b>Recreate.</b> With strategy {@code Recreate} every older revision retires at once and
 *       {@code D} is created at {@code T} when none is left.
 * </ol>
 *
 * Decisions are kept in the objects, not in memory: whether an older revision's router is in the
 * Service is its Deployment's {@code replicas}, whether {@code D}'s router started likewise, and
 * the serving revision is recorded in the status. Applying a plan's writes and observing again
 * before any pod or registration changes gives the same plan (the rollout is idempotent, so a
 * restarted operator continues it). What the writes cause can only move it on: a drain cancelled by
 * a rollback puts its registrations back, which may start the reused revision's router one step
 * sooner.
 */
public final class RolloutPlanner {
  private RolloutPlanner() {}

  /**
   * One pool of one revision as observed.
   *
   * @param replicas its StatefulSet's {@code spec.replicas} (0 when absent); a drain in progress
   *     keeps it until the drained pods are done
   * @param ready pods passing their readiness probe (for the status)
   * @param registered instances registered in etcd under the revision's {@code cluster_name}, as
   *     its router counts them (for the status)
   * @param serving the ordinals of the pods that serve: Ready and registered (the reconciler
   *     matches registrations to pods). Ordinals, not a count: a scale-down removes the highest
   *     ordinals, so what an older revision keeps serving depends on which pods serve
   * @param unschedulable pods Pending with {@code PodScheduled=False}, reason {@code Unschedulable}
   * @param unschedulableMessage the scheduler's message of one of them, or null
   */
  public record ObservedPool(
      int replicas,
      int ready,
      int registered,
      List<Integer> serving,
      int unschedulable,
      String unschedulableMessage) {

    /** A pool with no StatefulSet. */
    public static final ObservedPool NONE = new ObservedPool(0, 0, 0, List.of(), 0, null);

    public ObservedPool {
      serving = List.copyOf(new TreeSet<>(serving));
    }

    /** Instances that serve: Ready and registered. */
    public int capacity() {
      return serving.size();
    }

    /**
     * The fewest replicas whose pods (the lowest ordinals) include {@code n} serving ones; {@link
     * #replicas} when fewer than {@code n} serve (keep every pod: the others may still become
     * ready).
     */
    int replicasServing(int n) {
      if (n <= 0) {
        return 0;
      }
      return n > serving.size() ? replicas : Math.min(replicas, serving.get(n - 1) + 1);
    }
  }

  /**
   * The router of one revision as observed.
   *
   * @param replicas its Deployment's {@code spec.replicas} (0 when absent): the operator's own
   *     decision whether the router is in the Service
   * @param pods router pods that still exist, terminating ones included (their in-flight requests
   *     still reach the revision's workers)
   * @param ready router pods that are Ready (so in the Service's endpoints)
   */
  public record ObservedRouter(int replicas, int pods, int ready) {

    /** No router. */
    public static final ObservedRouter NONE = new ObservedRouter(0, 0, 0);
  }

  /**
   * One revision present in the cluster (its objects exist).
   *
   * @param revision the pairing revision (label {@link RevisionNames#LABEL})
   * @param pools both pools
   * @param router its router
   */
  public record ObservedRevision(
      String revision, Map<Pool, ObservedPool> pools, ObservedRouter router) {
    public ObservedRevision {
      Objects.requireNonNull(revision, "revision");
      Objects.requireNonNull(router, "router");
      pools = new EnumMap<>(pools);
      for (Pool p : Pool.values()) {
        pools.putIfAbsent(p, ObservedPool.NONE);
      }
    }

    /** One pool. */
    public ObservedPool pool(Pool pool) {
      return pools.get(pool);
    }
  }

  /**
   * What one pool should become.
   *
   * @param target instances the serving revision should have now (what the autoscaler or {@code
   *     replicas} wants; the autoscaled count, not the floor), at least {@code minimal}
   * @param minimal {@code minimalInstances}: the router's floor, at least 1
   * @param maxSurge {@code spec.rollout.<pool>.maxSurge} (defaulted): a count or a percentage
   */
  public record PoolGoal(int target, int minimal, IntOrString maxSurge) {}

  /**
   * Everything the planner reads.
   *
   * @param desired the revision the spec asks for ({@link PairingRevision#of})
   * @param strategy {@code spec.rollout.strategy} (defaulted)
   * @param pools both pools' goals
   * @param routerReplicas {@code spec.router.replicas}, at least 1
   * @param serving the serving revision recorded in the status ({@code status.servingRevision}), or
   *     null
   * @param revisions the revisions present, in a stable order (e.g. by creation)
   * @param routerSeesEarlierWorkers whether a router routes to workers that registered before it
   *     started ({@link Feature#ROUTER_ROUTES_EARLIER_WORKERS}); when not (1.2), a new revision's
   *     router starts together with its workers, since one started after them would never see them,
   *     and the revision takes traffic as soon as its router is ready ({@code minimalInstances} of
   *     each pool registered) instead of once it is complete
   */
  public record Input(
      String desired,
      RolloutStrategy strategy,
      Map<Pool, PoolGoal> pools,
      int routerReplicas,
      String serving,
      List<ObservedRevision> revisions,
      boolean routerSeesEarlierWorkers) {
    public Input {
      Objects.requireNonNull(desired, "desired");
      Objects.requireNonNull(strategy, "strategy");
      pools = new EnumMap<>(pools);
      revisions = List.copyOf(revisions);
    }

    /**
     * The input for an effective spec: strategy, surges, {@code minimalInstances} and router
     * replicas from it.
     *
     * @param desired the desired revision ({@link PairingRevision#revisionAmong})
     * @param targets per pool, instances the serving revision should have now
     */
    public static Input of(
        EffectiveSpec spec,
        String desired,
        Map<Pool, Integer> targets,
        String serving,
        List<ObservedRevision> revisions) {
      var s = spec.cluster().getSpec();
      RolloutSpec rollout = s.getRollout();
      Map<Pool, PoolGoal> goals = new EnumMap<>(Pool.class);
      for (Pool p : Pool.values()) {
        goals.put(
            p,
            new PoolGoal(
                targets.get(p), s.pool(p).getMinimalInstances(), rollout.pool(p).getMaxSurge()));
      }
      return new Input(
          desired,
          rollout.getStrategy(),
          goals,
          s.getRouter().getReplicas(),
          serving,
          revisions,
          spec.release().has(Feature.ROUTER_ROUTES_EARLIER_WORKERS));
    }
  }

  private static final Pattern PERCENT = Pattern.compile("([0-9]{1,3})%");

  /**
   * The surge of a pool, in instances: {@code maxSurge} as a count, or as a percentage of {@code
   * target} rounded up; at least 1 and at least {@code minimal} (a revision serves only with {@code
   * minimalInstances} of each pool, so a smaller surge could never start one).
   *
   * @param maxSurge a count (1-10000) or {@code "<1-100>%"}; null means 100%
   * @throws IllegalArgumentException for a string that is no percentage (the CRD refuses it)
   */
  public static int surge(IntOrString maxSurge, int target, int minimal) {
    int s;
    if (maxSurge == null) {
      s = target;
    } else if (maxSurge.getIntVal() != null) {
      s = maxSurge.getIntVal();
    } else {
      Matcher m = PERCENT.matcher(String.valueOf(maxSurge.getStrVal()).strip());
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "maxSurge must be a count or a percentage such as \"25%\", not '"
                + maxSurge.getStrVal()
                + "'");
      }
      s = (int) Math.ceil(Integer.parseInt(m.group(1)) * (double) target / 100.0);
    }
    return Math.max(Math.max(s, 1), minimal);
  }

  /** Decides; see the class description. */
  public static RolloutPlan plan(Input in) {
    String desired = in.desired();
    boolean recreate = in.strategy() == RolloutStrategy.Recreate;
    ObservedRevision d =
        in.revisions().stream().filter(r -> r.revision().equals(desired)).findFirst().orElse(null);
    List<ObservedRevision> olds = new ArrayList<>(in.revisions());
    olds.remove(d);
    String recorded = recordedServing(in);

    // What the older revisions still have to serve: the target less what D serves.
    boolean dRouterReady = d != null && d.router().ready() > 0;
    Map<Pool, Integer> need = new EnumMap<>(Pool.class);
    for (Pool p : Pool.values()) {
      int capacity = dRouterReady ? d.pool(p).capacity() : 0;
      need.put(p, Math.max(0, in.pools().get(p).target() - capacity));
    }
    boolean dCarries = dRouterReady && need.values().stream().allMatch(n -> n == 0);

    // Older revisions, the recorded serving one first: keep what is needed, or retire.
    olds.sort(Comparator.comparing(r -> !r.revision().equals(recorded)));
    Map<String, Target> targets = new LinkedHashMap<>();
    List<RolloutPlan.Event> events = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    boolean oldInService = false;
    boolean oldsGone = true;
    for (ObservedRevision o : olds) {
      Target t = recreate || o.router().replicas() == 0 ? null : keep(o, need, in);
      if (t != null) {
        oldInService = true;
        oldsGone = false;
      } else {
        t = retire(o);
        oldsGone &= t.action() == RolloutPlan.Action.DELETE;
        if (t.action() == RolloutPlan.Action.DELETE) {
          events.add(
              new RolloutPlan.Event(
                  "RevisionRetired",
                  "revision " + o.revision() + " retired: its objects are deleted"));
        } else {
          notes.add(
              "retiring "
                  + o.revision()
                  + (o.router().pods() > 0
                      ? " (router leaving)"
                      : o.pool(Pool.CONTEXT).replicas() > 0
                          ? " (draining context)"
                          : " (draining generation)"));
        }
      }
      targets.put(o.revision(), t);
    }

    // The desired revision: grows within the surge; its router starts once it is complete (with it,
    // for a router that would not see workers registered before it started).
    boolean create = d == null && (!recreate || oldsGone);
    String serving = null;
    if (d != null || create) {
      Map<Pool, Integer> replicas = new EnumMap<>(Pool.class);
      boolean complete = true;
      for (Pool p : Pool.values()) {
        PoolGoal goal = in.pools().get(p);
        ObservedPool now = d == null ? ObservedPool.NONE : d.pool(p);
        int target = goal.target();
        if (!recreate && !olds.isEmpty()) {
          int others = olds.stream().mapToInt(o -> o.pool(p).replicas()).sum();
          int room = goal.target() + surge(goal.maxSurge(), goal.target(), goal.minimal()) - others;
          target = Math.max(0, Math.min(goal.target(), Math.max(now.replicas(), room)));
        }
        replicas.put(p, target);
        complete &=
            now.capacity() >= goal.minimal() && now.capacity() + now.unschedulable() >= target;
      }
      boolean routerOn =
          recreate
              || !oldInService
              || d != null && d.router().replicas() > 0
              || complete
              || !in.routerSeesEarlierWorkers();
      targets.put(
          desired,
          new Target(
              replicas,
              routerOn ? in.routerReplicas() : 0,
              create ? RolloutPlan.Action.CREATE : RolloutPlan.Action.KEEP));
      serving =
          recreate || recorded == null || recorded.equals(desired) || dCarries ? desired : recorded;
      if (create) {
        events.add(
            new RolloutPlan.Event(
                "RevisionCreated",
                "revision "
                    + desired
                    + " created with context "
                    + replicas.get(Pool.CONTEXT)
                    + ", generation "
                    + replicas.get(Pool.GENERATION)
                    + " instances"));
      }
    }
    if (serving != null
        && !serving.equals(in.serving())
        && (in.serving() != null || create && !in.revisions().isEmpty())) {
      events.add(
          new RolloutPlan.Event(
              "RevisionServing",
              "revision "
                  + serving
                  + " serves"
                  + (recorded == null || recorded.equals(serving)
                      ? ""
                      : " instead of " + recorded)));
    }

    List<RolloutPlan.Revision> revisions = new ArrayList<>();
    List<RolloutPlan.Drain> drains = new ArrayList<>();
    for (ObservedRevision r : in.revisions()) {
      Target t = targets.get(r.revision());
      revisions.add(t.revision(r.revision(), serving, desired));
      for (Pool p : Pool.values()) {
        if (t.replicas().get(p) < r.pool(p).replicas()) {
          drains.add(
              new RolloutPlan.Drain(r.revision(), p, r.pool(p).replicas(), t.replicas().get(p)));
        }
      }
    }
    if (create) {
      revisions.add(targets.get(desired).revision(desired, serving, desired));
    }
    return new RolloutPlan(
        serving, revisions, drains, progressing(in, d, create, serving, notes), events);
  }

  /** What the plan does with one revision, before its role is known. */
  private record Target(
      Map<Pool, Integer> replicas, int routerReplicas, RolloutPlan.Action action) {
    RolloutPlan.Revision revision(String revision, String serving, String desired) {
      RevisionRole role =
          revision.equals(serving)
              ? RevisionRole.Serving
              : revision.equals(desired) ? RevisionRole.RollingOut : RevisionRole.Retiring;
      return new RolloutPlan.Revision(revision, role, replicas, routerReplicas, action);
    }
  }

  /**
   * An older revision whose router is in the Service keeps the pods that serve what is still needed
   * ({@code need}, of which it takes its share), the lowest ordinals; all of them when it serves
   * less than that. At least the pods that hold {@code minimalInstances} serving instances, so its
   * router stays ready. Null when nothing is needed any more: it retires.
   */
  private static Target keep(ObservedRevision o, Map<Pool, Integer> need, Input in) {
    if (need.values().stream().allMatch(n -> n == 0)) {
      return null;
    }
    Map<Pool, Integer> replicas = new EnumMap<>(Pool.class);
    for (Pool p : Pool.values()) {
      ObservedPool pool = o.pool(p);
      int n = need.get(p);
      int floor = pool.replicasServing(in.pools().get(p).minimal());
      replicas.put(p, Math.max(pool.replicasServing(n), floor));
      need.put(p, Math.max(0, n - pool.capacity()));
    }
    return new Target(replicas, in.routerReplicas(), RolloutPlan.Action.KEEP);
  }

  /**
   * A retiring revision: its router leaves first; once no router pod is left its context pool
   * drains to 0; once the context StatefulSet is at 0 (drained) the generation pool drains; then
   * its objects are deleted.
   */
  private static Target retire(ObservedRevision o) {
    boolean routerGone = o.router().pods() == 0;
    int ctx = o.pool(Pool.CONTEXT).replicas();
    int gen = o.pool(Pool.GENERATION).replicas();
    Map<Pool, Integer> replicas = new EnumMap<>(Pool.class);
    replicas.put(Pool.CONTEXT, routerGone ? 0 : ctx);
    replicas.put(Pool.GENERATION, routerGone && ctx == 0 ? 0 : gen);
    boolean gone = routerGone && o.router().replicas() == 0 && ctx == 0 && gen == 0;
    return new Target(replicas, 0, gone ? RolloutPlan.Action.DELETE : RolloutPlan.Action.KEEP);
  }

  private static String recordedServing(Input in) {
    return serving(in.revisions(), in.serving(), in.desired());
  }

  /**
   * The revision serving before this reconcile's plan: the one recorded in the status, if it is
   * present and its router is in the Service (or it is the desired one); otherwise (status lost,
   * the first reconcile of an adopted cluster, a hand-over written to the objects but not to the
   * status) the revision in the Service with the most capacity; null when there is none. The
   * autoscaler reads this revision's load (its target is the planner's input, so it cannot wait for
   * the plan).
   *
   * @param revisions the revisions present
   * @param recorded {@code status.servingRevision}, or null
   * @param desired the desired revision
   */
  public static String serving(List<ObservedRevision> revisions, String recorded, String desired) {
    return revisions.stream()
        .filter(r -> r.router().replicas() > 0 || r.revision().equals(desired))
        .filter(r -> r.revision().equals(recorded))
        .map(ObservedRevision::revision)
        .findFirst()
        .orElseGet(
            () ->
                revisions.stream()
                    .filter(r -> r.router().replicas() > 0)
                    .max(
                        Comparator.comparingInt(
                            r ->
                                r.pool(Pool.CONTEXT).capacity()
                                    + r.pool(Pool.GENERATION).capacity()))
                    .map(ObservedRevision::revision)
                    .orElse(null));
  }

  private static String progressing(
      Input in, ObservedRevision d, boolean create, String serving, List<String> notes) {
    if (in.revisions().size() == 1 && d != null || in.revisions().isEmpty() && create) {
      return null;
    }
    StringBuilder m = new StringBuilder("rolling out revision ").append(in.desired());
    if (d == null && !create) {
      m.append(": retiring the old revision first (strategy Recreate)");
    } else if (d != null) {
      m.append(":");
      for (Pool p : Pool.values()) {
        m.append(p == Pool.CONTEXT ? " " : ", ")
            .append(p.id())
            .append(' ')
            .append(d.pool(p).capacity())
            .append('/')
            .append(in.pools().get(p).target());
      }
      m.append(" ready and registered").append(d.router().ready() > 0 ? ", router ready" : "");
      for (Pool p : Pool.values()) {
        ObservedPool pool = d.pool(p);
        if (pool.unschedulable() > 0) {
          m.append("; new revision cannot be scheduled: ")
              .append(
                  pool.unschedulableMessage() == null
                      ? "Unschedulable"
                      : pool.unschedulableMessage())
              .append(" (")
              .append(pool.unschedulable())
              .append(' ')
              .append(p.id())
              .append(pool.unschedulable() == 1 ? " pod)" : " pods)");
          break;
        }
      }
    }
    if (serving != null && !serving.equals(in.desired())) {
      m.append("; ").append(serving).append(" keeps serving");
    }
    notes.forEach(n -> m.append("; ").append(n));
    return m.toString();
  }

  /**
   * {@code status.revisions}: one entry per revision of the plan, with what was observed of it.
   *
   * @param names the names of each revision (for its {@code cluster_name}), by revision
   */
  public static List<RevisionStatus> statuses(
      Input in, RolloutPlan plan, Map<String, RevisionNames> names) {
    List<RevisionStatus> out = new ArrayList<>();
    for (RolloutPlan.Revision r : plan.revisions()) {
      if (r.action() == RolloutPlan.Action.DELETE) {
        continue;
      }
      ObservedRevision o =
          in.revisions().stream()
              .filter(x -> x.revision().equals(r.revision()))
              .findFirst()
              .orElse(null);
      RevisionStatus s = new RevisionStatus();
      s.setRevision(r.revision());
      s.setRole(r.role());
      RevisionNames n = names.get(r.revision());
      s.setClusterName(n == null ? null : n.clusterName());
      for (Pool p : Pool.values()) {
        ObservedPool pool = o == null ? ObservedPool.NONE : o.pool(p);
        s.setPool(p, new RevisionPoolStatus(r.replicas(p), pool.ready(), pool.registered()));
      }
      s.setRouterReady(o != null && o.router().ready() > 0);
      out.add(s);
    }
    return out;
  }
}
