package io.disagg.operator.rollout;

import io.disagg.operator.api.v1alpha1.RevisionRole;
import io.disagg.operator.core.Pool;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link RolloutPlanner#plan} decided for every pairing revision of one DisaggCluster. The
 * reconciler carries it out: creates and deletes revisions, writes each revision's router
 * Deployment {@code replicas}, and sets each pool's StatefulSet {@code replicas} through the drain
 * (an increase at once; a decrease, listed in {@link #drains}, only after the removed workers left
 * etcd and finished their requests, as {@code DrainPlanner} does for a scale-down).
 *
 * @param serving the revision traffic is meant for after this step ({@code status.servingRevision};
 *     autoscaling and drains act on it), or null while none is (strategy {@code Recreate} between
 *     retiring the old revision and creating the new one)
 * @param revisions one entry per revision present or to be created: the present ones in the order
 *     observed, a created one last
 * @param drains the pools whose target is below their StatefulSet's {@code replicas}, in the order
 *     of {@link #revisions}, context before generation
 * @param progressing the {@code Progressing} condition's message with reason {@code RollingOut}
 *     while more than one revision is present or one is being created; null when the rollout is
 *     complete (one revision, serving)
 * @param events what happened in this step, for Events ({@code RevisionCreated}, {@code
 *     RevisionServing}, {@code RevisionRetired}); empty on a quiet step
 */
public record RolloutPlan(
    String serving,
    List<Revision> revisions,
    List<Drain> drains,
    String progressing,
    List<Event> events) {

  public RolloutPlan {
    revisions = List.copyOf(revisions);
    drains = List.copyOf(drains);
    events = List.copyOf(events);
  }

  /** What to do with a revision's objects. */
  public enum Action {
    /** Create its objects (ConfigMaps, StatefulSets, headless Services, PDBs, router). */
    CREATE,
    /** Apply the targets to its existing objects. */
    KEEP,
    /** Delete its objects: it is retired (no pods left in either pool, no router pod). */
    DELETE
  }

  /**
   * One revision's targets.
   *
   * @param revision the pairing revision ({@link PairingRevision#hash()})
   * @param role its role for {@code status.revisions[].role}
   * @param replicas per pool, the StatefulSet {@code replicas} wanted (instances, 0-10000): for the
   *     desired revision at most the pool's target, for an older one at most its current count
   * @param routerReplicas the router Deployment's {@code replicas}: {@code spec.router.replicas}
   *     while the revision's router is (or is to be) in the Service, 0 while it is not started yet
   *     or leaving
   * @param action create, keep or delete its objects
   */
  public record Revision(
      String revision,
      RevisionRole role,
      Map<Pool, Integer> replicas,
      int routerReplicas,
      Action action) {
    public Revision {
      Objects.requireNonNull(revision, "revision");
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(action, "action");
      replicas = new EnumMap<>(replicas);
    }

    /** The target of one pool. */
    public int replicas(Pool pool) {
      return replicas.get(pool);
    }
  }

  /**
   * A pool to shrink through a drain (deregister the removed workers, wait for their requests, then
   * lower {@code replicas}).
   *
   * @param revision the revision
   * @param pool the pool
   * @param fromReplicas its StatefulSet's current {@code replicas}
   * @param toReplicas the target, below {@code fromReplicas}
   */
  public record Drain(String revision, Pool pool, int fromReplicas, int toReplicas) {}

  /**
   * Something that happened, for a Normal Event.
   *
   * @param reason {@code RevisionCreated}, {@code RevisionServing} or {@code RevisionRetired}
   * @param message for a person
   */
  public record Event(String reason, String message) {}

  /** The entry of {@code revision}, or null. */
  public Revision revision(String revision) {
    return revisions.stream().filter(r -> r.revision().equals(revision)).findFirst().orElse(null);
  }

  /** The revisions to create. */
  public List<Revision> created() {
    return revisions.stream().filter(r -> r.action() == Action.CREATE).toList();
  }

  /** The revisions to delete. */
  public List<Revision> deleted() {
    return revisions.stream().filter(r -> r.action() == Action.DELETE).toList();
  }
}
