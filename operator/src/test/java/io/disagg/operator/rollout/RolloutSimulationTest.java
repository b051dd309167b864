package io.disagg.operator.rollout;

import static io.disagg.operator.core.Pool.CONTEXT;
import static io.disagg.operator.core.Pool.GENERATION;
import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.RolloutStrategy;
import io.disagg.operator.core.Pool;
import io.disagg.operator.rollout.RolloutPlanner.Input;
import io.disagg.operator.rollout.RolloutPlanner.ObservedPool;
import io.disagg.operator.rollout.RolloutPlanner.ObservedRevision;
import io.disagg.operator.rollout.RolloutPlanner.ObservedRouter;
import io.disagg.operator.rollout.RolloutPlanner.PoolGoal;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Whole rollouts, step by step: the planner's plan is applied to a simulated cluster (StatefulSets
 * whose scale-downs drain first, pods that wait for a free GPU slot, load for a few steps, become
 * Ready and then register; routers that are Ready only with {@code minimalInstances} of both pools
 * registered), then pods progress, then the planner plans again. At every step:
 *
 * <ul>
 *   <li>capacity: in each pool, the instances Ready and registered in revisions whose router is
 *       Ready (in the Service) are never fewer than the target (strategy RevisionSurge);
 *   <li>surge: no pool ever has more pods, all revisions together, than target + surge;
 *   <li>a revision's generation pool drains to 0, or drains at all once its router left, only when
 *       its context pool is at 0;
 *   <li>replanning after the plan's writes land gives the same plan;
 *   <li>the rollout ends (one revision, the desired one, serving with every instance Ready and
 *       registered) within a bounded number of steps, also after a rollback at any step, which ends
 *       with the original revision and never creates a third.
 * </ul>
 *
 * Pod load times are random (seeded), so the pools and revisions interleave differently per seed.
 */
class RolloutSimulationTest {

  static final String A = RolloutPlannerTest.A;
  static final String B = RolloutPlannerTest.B;
  static final int MAX_STEPS = 200;
  static final String NO_GPU = "0/4 nodes are available: 4 Insufficient nvidia.com/gpu.";

  /** A worker pod; its index in the pool's list is its ordinal. */
  static final class Pod {
    final int loadSteps;
    final int registerDelay;
    boolean scheduled;

    /** The scheduler tried and found no free GPU (condition PodScheduled=False, Unschedulable). */
    boolean unschedulable;

    int age;
    boolean deregistered;

    /**
     * Registered before its revision's router started, with a router that does not list earlier
     * workers (1.2): that router never routes to it.
     */
    boolean unseen;

    Pod(Random random) {
      loadSteps = 1 + random.nextInt(3);
      registerDelay = random.nextInt(2);
    }

    Pod(Pod p) {
      loadSteps = p.loadSteps;
      registerDelay = p.registerDelay;
      scheduled = p.scheduled;
      unschedulable = p.unschedulable;
      age = p.age;
      deregistered = p.deregistered;
      unseen = p.unseen;
    }

    boolean ready() {
      return scheduled && age >= loadSteps;
    }

    boolean registered() {
      return ready() && age >= loadSteps + registerDelay && !deregistered;
    }
  }

  /** A StatefulSet with its pods and a drain in progress (DrainPlanner's, in one step). */
  static final class SimPool {
    int replicas;
    final List<Pod> pods = new ArrayList<>();
    Integer drainTo;
    int drainAge;

    SimPool() {}

    SimPool(SimPool p) {
      replicas = p.replicas;
      p.pods.forEach(x -> pods.add(new Pod(x)));
      drainTo = p.drainTo;
      drainAge = p.drainAge;
    }

    int capacity() {
      return (int) pods.stream().filter(p -> p.ready() && p.registered()).count();
    }
  }

  static final class SimRevision {
    final String revision;
    final Map<Pool, SimPool> pools = new EnumMap<>(Pool.class);
    int routerReplicas;
    int routerPods;
    int routerReady;

    SimRevision(String revision) {
      this.revision = revision;
      for (Pool p : Pool.values()) {
        pools.put(p, new SimPool());
      }
    }

    SimRevision(SimRevision r) {
      revision = r.revision;
      r.pools.forEach((p, s) -> pools.put(p, new SimPool(s)));
      routerReplicas = r.routerReplicas;
      routerPods = r.routerPods;
      routerReady = r.routerReady;
    }

    boolean routerCanBeReady() {
      return routerReplicas > 0
          && pools.values().stream()
              .allMatch(
                  s -> s.pods.stream().filter(x -> x.registered() && !x.unseen).count() >= MINIMAL);
    }
  }

  static final int MINIMAL = 1;

  /** The simulated cluster and what the operator recorded. */
  static final class World {
    final Random random;
    final Map<String, SimRevision> revisions = new LinkedHashMap<>();
    final Map<Pool, Integer> slots = new EnumMap<>(Pool.class);
    final Set<String> created = new HashSet<>();
    String serving;

    /**
     * Apply only the objects' writes (creations, deletions, replicas, router replicas, the recorded
     * serving revision), not what they cause in pods and etcd: the state in which replanning must
     * give the same plan.
     */
    boolean writesOnly;

    /** Whether a router routes to workers registered before it started (1.3 and later). */
    boolean routerSeesEarlierWorkers = true;

    World(Random random) {
      this.random = random;
    }

    World(World w) {
      random = new Random(0);
      w.revisions.forEach((k, v) -> revisions.put(k, new SimRevision(v)));
      slots.putAll(w.slots);
      created.addAll(w.created);
      routerSeesEarlierWorkers = w.routerSeesEarlierWorkers;
      serving = w.serving;
    }

    /** A revision already serving with every instance Ready and registered. */
    static World serving(
        String rev, Map<Pool, Integer> targets, Map<Pool, Integer> slots, long seed) {
      World w = new World(new Random(seed));
      w.slots.putAll(slots);
      SimRevision r = new SimRevision(rev);
      for (Pool p : Pool.values()) {
        SimPool s = r.pools.get(p);
        s.replicas = targets.get(p);
        for (int i = 0; i < s.replicas; i++) {
          Pod pod = new Pod(w.random);
          pod.scheduled = true;
          pod.age = 10;
          s.pods.add(pod);
        }
      }
      r.routerReplicas = 1;
      r.routerPods = 1;
      r.routerReady = 1;
      w.revisions.put(rev, r);
      w.created.add(rev);
      w.serving = rev;
      return w;
    }

    Input observe(Scenario s, String desired) {
      List<ObservedRevision> observed = new ArrayList<>();
      for (SimRevision r : revisions.values()) {
        Map<Pool, ObservedPool> pools = new EnumMap<>(Pool.class);
        r.pools.forEach(
            (p, sp) -> {
              int unscheduled = (int) sp.pods.stream().filter(x -> x.unschedulable).count();
              pools.put(
                  p,
                  new ObservedPool(
                      sp.replicas,
                      (int) sp.pods.stream().filter(Pod::ready).count(),
                      (int) sp.pods.stream().filter(Pod::registered).count(),
                      java.util.stream.IntStream.range(0, sp.pods.size())
                          .filter(i -> sp.pods.get(i).ready() && sp.pods.get(i).registered())
                          .boxed()
                          .toList(),
                      unscheduled,
                      unscheduled > 0 ? NO_GPU : null));
            });
        observed.add(
            new ObservedRevision(
                r.revision,
                pools,
                new ObservedRouter(r.routerReplicas, r.routerPods, r.routerReady)));
      }
      Map<Pool, PoolGoal> goals = new EnumMap<>(Pool.class);
      for (Pool p : Pool.values()) {
        goals.put(p, new PoolGoal(s.targets.get(p), MINIMAL, s.surge));
      }
      return new Input(desired, s.strategy, goals, 1, serving, observed, routerSeesEarlierWorkers);
    }

    /** The plan's writes: objects created and deleted, replicas set (decreases drain), routers. */
    void apply(RolloutPlan plan) {
      serving = plan.serving();
      for (RolloutPlan.Revision r : plan.revisions()) {
        if (r.action() == RolloutPlan.Action.DELETE) {
          SimRevision gone = revisions.remove(r.revision());
          assertThat(gone.routerPods).as("deleted with router pods").isZero();
          gone.pools.values().forEach(sp -> assertThat(sp.pods).as("deleted with pods").isEmpty());
          continue;
        }
        if (r.action() == RolloutPlan.Action.CREATE) {
          assertThat(revisions).doesNotContainKey(r.revision());
          revisions.put(r.revision(), new SimRevision(r.revision()));
          created.add(r.revision());
        }
        SimRevision sr = revisions.get(r.revision());
        for (Pool p : Pool.values()) {
          scale(sr.pools.get(p), r.replicas(p));
        }
        sr.routerReplicas = r.routerReplicas();
        if (sr.routerReplicas == 0 && !writesOnly) {
          sr.routerReady = 0; // a terminating pod leaves the endpoints at once
        }
      }
      if (!writesOnly) {
        revisions.values().forEach(r -> r.routerReady = r.routerCanBeReady() ? r.routerReady : 0);
      }
    }

    private void scale(SimPool sp, int target) {
      if (target >= sp.replicas) {
        if (!writesOnly) {
          sp.pods.forEach(p -> p.deregistered = false); // a cancelled drain restores registrations
        }
        sp.drainTo = null;
        while (sp.pods.size() < target) {
          sp.pods.add(new Pod(random));
        }
        sp.replicas = target;
        return;
      }
      if (sp.drainTo == null || sp.drainTo != target) {
        sp.drainTo = target;
        sp.drainAge = 0;
      }
      for (int i = 0; i < sp.pods.size() && !writesOnly; i++) {
        sp.pods.get(i).deregistered = i >= target; // the drain deregisters its victims
      }
    }

    /** Time passes: drains finish, pods get scheduled, load, register; routers start. */
    void progress() {
      for (SimRevision r : revisions.values()) {
        for (SimPool sp : r.pools.values()) {
          if (sp.drainTo != null && sp.drainAge++ >= 1) {
            sp.replicas = sp.drainTo;
            sp.pods.subList(sp.drainTo, sp.pods.size()).clear();
            sp.drainTo = null;
          }
        }
      }
      for (Pool p : Pool.values()) {
        int used =
            (int)
                revisions.values().stream()
                    .flatMap(r -> r.pools.get(p).pods.stream())
                    .filter(x -> x.scheduled)
                    .count();
        for (SimRevision r : revisions.values()) {
          for (Pod pod : r.pools.get(p).pods) {
            if (pod.scheduled) {
              pod.age++;
            } else if (used < slots.get(p)) {
              pod.scheduled = true;
              pod.unschedulable = false;
              used++;
            } else {
              pod.unschedulable = true;
            }
          }
        }
      }
      for (SimRevision r : revisions.values()) {
        if (r.routerReplicas == 0) {
          r.routerPods = 0;
          r.routerReady = 0;
        } else if (r.routerPods < r.routerReplicas) {
          if (r.routerPods == 0 && !routerSeesEarlierWorkers) {
            r.pools.values().forEach(sp -> sp.pods.forEach(x -> x.unseen = x.registered()));
          }
          r.routerPods = r.routerReplicas;
        } else {
          r.routerReady = r.routerCanBeReady() ? r.routerPods : 0;
        }
      }
    }

    int capacityInService(Pool p) {
      return revisions.values().stream()
          .filter(r -> r.routerReady > 0)
          .mapToInt(r -> r.pools.get(p).capacity())
          .sum();
    }

    int pods(Pool p) {
      return revisions.values().stream().mapToInt(r -> r.pools.get(p).pods.size()).sum();
    }

    boolean done(String desired, Map<Pool, Integer> targets) {
      if (!revisions.keySet().equals(Set.of(desired)) || !desired.equals(serving)) {
        return false;
      }
      SimRevision r = revisions.get(desired);
      return r.routerReady > 0
          && java.util.Arrays.stream(Pool.values())
              .allMatch(p -> r.pools.get(p).capacity() == targets.get(p));
    }
  }

  record Scenario(
      Map<Pool, Integer> targets,
      IntOrString surge,
      RolloutStrategy strategy,
      Map<Pool, Integer> slots) {

    static Scenario surge(int ctx, int gen, IntOrString surge, int spare) {
      return new Scenario(
          Map.of(CONTEXT, ctx, GENERATION, gen),
          surge,
          RolloutStrategy.RevisionSurge,
          Map.of(CONTEXT, ctx + spare, GENERATION, gen + spare));
    }

    int surgeOf(Pool p) {
      return RolloutPlanner.surge(surge, targets.get(p), MINIMAL);
    }
  }

  /** Runs until done (or MAX_STEPS), checking the invariants; returns the steps taken. */
  static int run(World w, Scenario s, String desired, int maxSteps) {
    for (int step = 0; step < maxSteps; step++) {
      Input in = w.observe(s, desired);
      RolloutPlan plan = RolloutPlanner.plan(in);
      checkPlan(in, plan);
      World landed = new World(w);
      landed.writesOnly = true;
      landed.apply(plan);
      RolloutPlannerTest.assertSameDecisions(plan, RolloutPlanner.plan(landed.observe(s, desired)));
      if (w.done(desired, s.targets) && plan.progressing() == null && plan.drains().isEmpty()) {
        return step;
      }
      w.apply(plan);
      checkWorld(w, s);
      w.progress();
      checkWorld(w, s);
    }
    return maxSteps;
  }

  static void checkPlan(Input in, RolloutPlan plan) {
    for (RolloutPlan.Drain d : plan.drains()) {
      if (d.pool() != GENERATION) {
        continue;
      }
      ObservedRevision r =
          in.revisions().stream().filter(x -> x.revision().equals(d.revision())).findFirst().get();
      if (d.toReplicas() == 0 || plan.revision(d.revision()).routerReplicas() == 0) {
        assertThat(r.pool(CONTEXT).replicas())
            .as("generation of %s drains while its context pool has replicas", d.revision())
            .isZero();
      }
    }
  }

  static void checkWorld(World w, Scenario s) {
    for (Pool p : Pool.values()) {
      assertThat(w.pods(p))
          .as("%s pods of all revisions within target + surge", p.id())
          .isLessThanOrEqualTo(s.targets.get(p) + s.surgeOf(p));
      if (s.strategy == RolloutStrategy.RevisionSurge) {
        assertThat(w.capacityInService(p))
            .as("%s instances Ready and registered behind a ready router", p.id())
            .isGreaterThanOrEqualTo(s.targets.get(p));
      }
    }
  }

  static final List<Scenario> SCENARIOS =
      List.of(
          Scenario.surge(4, 2, new IntOrString("100%"), 4),
          Scenario.surge(4, 2, new IntOrString(1), 1),
          Scenario.surge(8, 3, new IntOrString("25%"), 2),
          Scenario.surge(6, 3, new IntOrString(2), 3),
          Scenario.surge(4, 2, new IntOrString("100%"), 1));

  @Test
  void everyRolloutKeepsTheInvariantsAndEnds() {
    for (Scenario s : SCENARIOS) {
      for (long seed = 0; seed < 10; seed++) {
        World w = World.serving(A, s.targets, s.slots, seed);
        int steps = run(w, s, B, MAX_STEPS);
        assertThat(steps).as("%s seed %d ends", s, seed).isLessThan(MAX_STEPS);
        assertThat(w.created).containsExactlyInAnyOrder(A, B);
      }
    }
  }

  /**
   * With a 1.2 router, which never routes to workers registered before it started, the new
   * revision's router starts with its workers; every rollout still keeps the capacity and ends. (A
   * rollback to a revision whose router already left is not covered there: its restarted router
   * would see none of its registered workers.)
   */
  @Test
  void withARouterThatDoesNotSeeEarlierWorkersEveryRolloutStillEnds() {
    for (Scenario s : SCENARIOS) {
      for (long seed = 0; seed < 10; seed++) {
        World w = World.serving(A, s.targets, s.slots, seed);
        w.routerSeesEarlierWorkers = false;
        int steps = run(w, s, B, MAX_STEPS);
        assertThat(steps).as("%s seed %d ends", s, seed).isLessThan(MAX_STEPS);
      }
    }
  }

  @Test
  void aRollbackAtAnyStepEndsWithTheOriginalRevisionAndNoThird() {
    for (Scenario s : SCENARIOS) {
      World forward = World.serving(A, s.targets, s.slots, 7);
      int length = run(forward, s, B, MAX_STEPS);
      for (int k = 1; k <= length; k++) {
        World w = World.serving(A, s.targets, s.slots, 7);
        run(w, s, B, k);
        int steps = run(w, s, A, MAX_STEPS);
        assertThat(steps).as("%s rollback after %d steps ends", s, k).isLessThan(MAX_STEPS);
        assertThat(w.serving).isEqualTo(A);
        assertThat(w.revisions.keySet()).containsExactly(A);
        assertThat(w.created).isSubsetOf(A, B);
      }
    }
  }

  @Test
  void theNewRevisionStartsAtTheAutoscaledCount() {
    Scenario s = Scenario.surge(7, 3, new IntOrString("100%"), 7);
    World w = World.serving(A, s.targets, s.slots, 1);
    RolloutPlan plan = RolloutPlanner.plan(w.observe(s, B));
    assertThat(plan.revision(B).replicas()).isEqualTo(Map.of(CONTEXT, 7, GENERATION, 3));
  }

  @Test
  void withoutSpareGpusTheOldRevisionKeepsServingUntilThereAreSome() {
    Scenario s = Scenario.surge(4, 2, new IntOrString("100%"), 0);
    World w = World.serving(A, s.targets, s.slots, 3);
    assertThat(run(w, s, B, 30)).isEqualTo(30);
    SimRevision a = w.revisions.get(A);
    assertThat(a.pools.get(CONTEXT).replicas).isEqualTo(4);
    assertThat(a.pools.get(GENERATION).replicas).isEqualTo(2);
    assertThat(a.pools.values()).allSatisfy(p -> assertThat(p.drainTo).isNull());
    RolloutPlan plan = RolloutPlanner.plan(w.observe(s, B));
    assertThat(plan.serving()).isEqualTo(A);
    assertThat(plan.drains()).isEmpty();
    assertThat(plan.progressing())
        .contains("new revision cannot be scheduled: " + NO_GPU)
        .contains(A + " keeps serving");

    w.slots.put(CONTEXT, 5);
    w.slots.put(GENERATION, 3);
    assertThat(run(w, s, B, MAX_STEPS))
        .as("one spare slot per pool is enough")
        .isLessThan(MAX_STEPS);
  }

  @Test
  void recreateRetiresTheOldRevisionBeforeCreatingTheNewOne() {
    Scenario s =
        new Scenario(
            Map.of(CONTEXT, 4, GENERATION, 2),
            new IntOrString("100%"),
            RolloutStrategy.Recreate,
            Map.of(CONTEXT, 4, GENERATION, 2));
    World w = World.serving(A, s.targets, s.slots, 5);
    for (int step = 0; step < MAX_STEPS && !w.done(B, s.targets); step++) {
      Input in = w.observe(s, B);
      RolloutPlan plan = RolloutPlanner.plan(in);
      checkPlan(in, plan);
      if (!plan.created().isEmpty()) {
        assertThat(plan.deleted()).extracting(RolloutPlan.Revision::revision).containsExactly(A);
      }
      w.apply(plan);
      checkWorld(w, s);
      w.progress();
    }
    assertThat(w.done(B, s.targets)).isTrue();
    assertThat(w.created).containsExactlyInAnyOrder(A, B);
  }
}
