package io.disagg.operator.rollout;

import static io.disagg.operator.core.Pool.CONTEXT;
import static io.disagg.operator.core.Pool.GENERATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.disagg.operator.api.v1alpha1.RevisionRole;
import io.disagg.operator.api.v1alpha1.RevisionStatus;
import io.disagg.operator.api.v1alpha1.RolloutStrategy;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.rollout.RolloutPlan.Action;
import io.disagg.operator.rollout.RolloutPlan.Drain;
import io.disagg.operator.rollout.RolloutPlanner.Input;
import io.disagg.operator.rollout.RolloutPlanner.ObservedPool;
import io.disagg.operator.rollout.RolloutPlanner.ObservedRevision;
import io.disagg.operator.rollout.RolloutPlanner.ObservedRouter;
import io.disagg.operator.rollout.RolloutPlanner.PoolGoal;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link RolloutPlanner}, one scenario each: context target 4, generation target 2,
 * minimalInstances 1, one router replica, surge 100% unless a test says otherwise. The whole
 * rollout, step by step with its invariants: {@link RolloutSimulationTest}.
 */
class RolloutPlannerTest {

  static final String A = "aaaaaaaaaa";
  static final String B = "bbbbbbbbbb";
  static final String C = "cccccccccc";

  /** A pool of {@code n} instances, all Ready and registered. */
  static ObservedPool full(int n) {
    return pool(n, n, n, 0, null);
  }

  /** A pool whose lowest min(ready, registered) ordinals serve. */
  static ObservedPool pool(int replicas, int ready, int registered, int unschedulable, String why) {
    List<Integer> serving =
        java.util.stream.IntStream.range(0, Math.min(ready, registered)).boxed().toList();
    return new ObservedPool(replicas, ready, registered, serving, unschedulable, why);
  }

  static ObservedRevision revision(String rev, ObservedPool ctx, ObservedPool gen, int router) {
    return new ObservedRevision(
        rev, Map.of(CONTEXT, ctx, GENERATION, gen), new ObservedRouter(router, router, router));
  }

  static ObservedRevision revision(
      String rev, ObservedPool ctx, ObservedPool gen, ObservedRouter router) {
    return new ObservedRevision(rev, Map.of(CONTEXT, ctx, GENERATION, gen), router);
  }

  /** A revision serving at the targets (4, 2) with its router ready. */
  static ObservedRevision serving(String rev) {
    return revision(rev, full(4), full(2), 1);
  }

  static Input input(String desired, String serving, ObservedRevision... revisions) {
    return input(desired, serving, RolloutStrategy.RevisionSurge, "100%", 4, 2, revisions);
  }

  static Input input(
      String desired,
      String serving,
      RolloutStrategy strategy,
      Object surge,
      int ctx,
      int gen,
      ObservedRevision... revisions) {
    IntOrString s =
        surge instanceof Integer i ? new IntOrString(i) : new IntOrString((String) surge);
    return new Input(
        desired,
        strategy,
        Map.of(CONTEXT, new PoolGoal(ctx, 1, s), GENERATION, new PoolGoal(gen, 1, s)),
        1,
        serving,
        List.of(revisions),
        true);
  }

  static Map<Pool, Integer> counts(int ctx, int gen) {
    return Map.of(CONTEXT, ctx, GENERATION, gen);
  }

  static void assertRevision(
      RolloutPlan plan, String rev, RevisionRole role, int ctx, int gen, int router, Action a) {
    RolloutPlan.Revision r = plan.revision(rev);
    assertThat(r).as(rev).isNotNull();
    assertThat(r.role()).as(rev + " role").isEqualTo(role);
    assertThat(r.replicas()).as(rev + " replicas").isEqualTo(counts(ctx, gen));
    assertThat(r.routerReplicas()).as(rev + " router").isEqualTo(router);
    assertThat(r.action()).as(rev + " action").isEqualTo(a);
  }

  @Test
  void aNewClusterGetsItsFirstRevisionAtTheTargetWithItsRouter() {
    RolloutPlan plan = RolloutPlanner.plan(input(A, null));
    assertRevision(plan, A, RevisionRole.Serving, 4, 2, 1, Action.CREATE);
    assertThat(plan.serving()).isEqualTo(A);
    assertThat(plan.progressing()).as("creating a cluster is not a rollout").isNull();
    assertThat(plan.events())
        .extracting(RolloutPlan.Event::reason)
        .containsExactly("RevisionCreated");
  }

  @Test
  void aSingleServingRevisionAtItsTargetIsAQuietStep() {
    RolloutPlan plan = RolloutPlanner.plan(input(A, A, serving(A)));
    assertRevision(plan, A, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
    assertThat(plan.drains()).isEmpty();
    assertThat(plan.progressing()).isNull();
    assertThat(plan.events()).isEmpty();
  }

  @Test
  void anAdoptedRevisionWithoutRecordedServingServesWithoutAnEvent() {
    RolloutPlan plan = RolloutPlanner.plan(input(A, null, serving(A)));
    assertThat(plan.serving()).isEqualTo(A);
    assertThat(plan.events()).isEmpty();
  }

  @Test
  void aChangedRevisionStartsNextToTheServingOneWithoutItsRouter() {
    RolloutPlan plan = RolloutPlanner.plan(input(B, A, serving(A)));
    assertRevision(plan, A, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
    assertRevision(plan, B, RevisionRole.RollingOut, 4, 2, 0, Action.CREATE);
    assertThat(plan.serving()).isEqualTo(A);
    assertThat(plan.drains()).isEmpty();
    assertThat(plan.progressing())
        .startsWith("rolling out revision " + B)
        .contains(A + " keeps serving");
    assertThat(plan.events())
        .extracting(RolloutPlan.Event::reason)
        .containsExactly("RevisionCreated");
  }

  @Test
  void theNewRevisionStartsAtTheAutoscaledCountNotTheFloor() {
    ObservedRevision a = revision(A, full(7), full(3), 1);
    RolloutPlan plan =
        RolloutPlanner.plan(input(B, A, RolloutStrategy.RevisionSurge, "100%", 7, 3, a));
    assertRevision(plan, B, RevisionRole.RollingOut, 7, 3, 0, Action.CREATE);
  }

  @Test
  void theSurgeLimitsHowManyNewInstancesExistNextToTheOldOnes() {
    RolloutPlan count =
        RolloutPlanner.plan(input(B, A, RolloutStrategy.RevisionSurge, 1, 4, 2, serving(A)));
    assertRevision(count, B, RevisionRole.RollingOut, 1, 1, 0, Action.CREATE);
    RolloutPlan percent =
        RolloutPlanner.plan(input(B, A, RolloutStrategy.RevisionSurge, "50%", 4, 2, serving(A)));
    assertRevision(percent, B, RevisionRole.RollingOut, 2, 1, 0, Action.CREATE);

    assertThat(RolloutPlanner.surge(new IntOrString("25%"), 4, 1)).isEqualTo(1);
    assertThat(RolloutPlanner.surge(new IntOrString("25%"), 5, 1)).as("rounded up").isEqualTo(2);
    assertThat(RolloutPlanner.surge(new IntOrString("1%"), 4, 1)).isEqualTo(1);
    assertThat(RolloutPlanner.surge(new IntOrString(3), 4, 1)).isEqualTo(3);
    assertThat(RolloutPlanner.surge(new IntOrString(1), 4, 2))
        .as("never below minimalInstances: a revision serves only with that many")
        .isEqualTo(2);
    assertThat(RolloutPlanner.surge(null, 6, 1)).isEqualTo(6);
    assertThatThrownBy(() -> RolloutPlanner.surge(new IntOrString("25"), 4, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxSurge");
  }

  @Test
  void theNewRoutersStartOnceEveryInstanceItCanHaveIsReadyAndRegistered() {
    ObservedRevision loading = revision(B, pool(4, 4, 3, 0, null), full(2), ObservedRouter.NONE);
    assertRevision(
        RolloutPlanner.plan(input(B, A, serving(A), loading)),
        B,
        RevisionRole.RollingOut,
        4,
        2,
        0,
        Action.KEEP);
    ObservedRevision complete = revision(B, full(4), full(2), ObservedRouter.NONE);
    RolloutPlan plan = RolloutPlanner.plan(input(B, A, serving(A), complete));
    assertRevision(plan, B, RevisionRole.RollingOut, 4, 2, 1, Action.KEEP);
    assertRevision(plan, A, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
    assertThat(plan.drains()).as("a router not ready yet serves nothing").isEmpty();
  }

  @Test
  void aRouterThatWouldNotSeeEarlierWorkersStartsWithTheNewRevision() {
    Input at12 = early(input(B, A, serving(A)));
    RolloutPlan plan = RolloutPlanner.plan(at12);
    assertRevision(plan, B, RevisionRole.RollingOut, 4, 2, 1, Action.CREATE);
    assertRevision(plan, A, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
    assertSameDecisions(plan, RolloutPlanner.plan(writesLanded(at12, plan)));
  }

  static Input early(Input in) {
    return new Input(
        in.desired(),
        in.strategy(),
        in.pools(),
        in.routerReplicas(),
        in.serving(),
        in.revisions(),
        false);
  }

  @Test
  void theNewRevisionServesOnceItsRouterIsReadyAtTheTargetAndTheOldRouterLeavesFirst() {
    ObservedRevision b = revision(B, full(4), full(2), 1);
    RolloutPlan plan = RolloutPlanner.plan(input(B, A, serving(A), b));
    assertThat(plan.serving()).isEqualTo(B);
    assertRevision(plan, B, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
    assertRevision(plan, A, RevisionRole.Retiring, 4, 2, 0, Action.KEEP);
    assertThat(plan.drains()).as("workers stay while the old router pods exist").isEmpty();
    assertThat(plan.events())
        .extracting(RolloutPlan.Event::message)
        .containsExactly("revision " + B + " serves instead of " + A);
    assertThat(plan.progressing()).contains("retiring " + A + " (router leaving)");
  }

  @Test
  void aRetiringRevisionDrainsContextThenGenerationThenIsDeleted() {
    ObservedRevision b = revision(B, full(4), full(2), 1);
    ObservedRouter terminating = new ObservedRouter(0, 1, 0);
    RolloutPlan routerLeaving =
        RolloutPlanner.plan(input(B, B, revision(A, full(4), full(2), terminating), b));
    assertRevision(routerLeaving, A, RevisionRole.Retiring, 4, 2, 0, Action.KEEP);

    RolloutPlan context =
        RolloutPlanner.plan(input(B, B, revision(A, full(4), full(2), ObservedRouter.NONE), b));
    assertRevision(context, A, RevisionRole.Retiring, 0, 2, 0, Action.KEEP);
    assertThat(context.drains()).containsExactly(new Drain(A, CONTEXT, 4, 0));
    assertThat(context.progressing()).contains("retiring " + A + " (draining context)");

    ObservedPool drainedContext = ObservedPool.NONE;
    RolloutPlan generation =
        RolloutPlanner.plan(
            input(B, B, revision(A, drainedContext, full(2), ObservedRouter.NONE), b));
    assertRevision(generation, A, RevisionRole.Retiring, 0, 0, 0, Action.KEEP);
    assertThat(generation.drains()).containsExactly(new Drain(A, GENERATION, 2, 0));

    RolloutPlan deleted =
        RolloutPlanner.plan(
            input(B, B, revision(A, ObservedPool.NONE, ObservedPool.NONE, ObservedRouter.NONE), b));
    assertRevision(deleted, A, RevisionRole.Retiring, 0, 0, 0, Action.DELETE);
    assertThat(deleted.deleted()).extracting(RolloutPlan.Revision::revision).containsExactly(A);
    assertThat(deleted.events())
        .extracting(RolloutPlan.Event::reason)
        .containsExactly("RevisionRetired");
    assertThat(deleted.progressing()).isNotNull();

    RolloutPlan done = RolloutPlanner.plan(input(B, B, b));
    assertThat(done.progressing()).isNull();
  }

  @Test
  void theOldRevisionShrinksByWhatTheNewOneServesWithinTheSurge() {
    // Surge 1: B has one Ready and registered instance per pool and its router is ready.
    ObservedRevision b = revision(B, full(1), full(1), 1);
    RolloutPlan plan =
        RolloutPlanner.plan(input(B, A, RolloutStrategy.RevisionSurge, 1, 4, 2, serving(A), b));
    assertRevision(plan, A, RevisionRole.Serving, 3, 1, 1, Action.KEEP);
    assertRevision(plan, B, RevisionRole.RollingOut, 1, 1, 1, Action.KEEP);
    assertThat(plan.drains())
        .as("a generation worker of a serving revision drains like any scale-down")
        .containsExactly(new Drain(A, CONTEXT, 4, 3), new Drain(A, GENERATION, 2, 1));

    // Once the drain is done, B grows by the surge again.
    ObservedRevision a = revision(A, full(3), full(1), 1);
    RolloutPlan next =
        RolloutPlanner.plan(input(B, A, RolloutStrategy.RevisionSurge, 1, 4, 2, a, b));
    assertRevision(next, B, RevisionRole.RollingOut, 2, 2, 1, Action.KEEP);
    assertRevision(next, A, RevisionRole.Serving, 3, 1, 1, Action.KEEP);
  }

  @Test
  void anOldRevisionInServiceKeepsMinimalInstancesUntilItKeepsNothing() {
    // B serves 4 of 4 context instances but only 1 of 2 generation: A keeps one generation
    // instance and, for its router, one context instance.
    ObservedRevision b = revision(B, full(4), pool(2, 1, 1, 0, null), 1);
    RolloutPlan plan = RolloutPlanner.plan(input(B, A, serving(A), b));
    assertRevision(plan, A, RevisionRole.Serving, 1, 1, 1, Action.KEEP);
    assertThat(plan.serving()).isEqualTo(A);
  }

  @Test
  void anOldRevisionKeepsTheLowestOrdinalsThatServeItsShare() {
    // B (rolled back from) has 8 context pods; A serves 1 of the 8 needed, so B keeps 7 serving.
    ObservedRevision a = revision(A, full(1), full(2), 1);
    ObservedPool loadingInTheMiddle =
        new ObservedPool(8, 7, 7, List.of(0, 1, 2, 3, 4, 5, 7), 0, null);
    ObservedPool loadingOnTop = new ObservedPool(8, 7, 7, List.of(0, 1, 2, 3, 4, 5, 6), 0, null);
    Input middle =
        input(
            A,
            A,
            RolloutStrategy.RevisionSurge,
            "25%",
            8,
            2,
            a,
            revision(B, loadingInTheMiddle, full(2), 1));
    assertThat(RolloutPlanner.plan(middle).revision(B).replicas(CONTEXT))
        .as("removing ordinal 7 would remove a serving instance")
        .isEqualTo(8);
    Input top =
        input(
            A,
            A,
            RolloutStrategy.RevisionSurge,
            "25%",
            8,
            2,
            a,
            revision(B, loadingOnTop, full(2), 1));
    assertThat(RolloutPlanner.plan(top).revision(B).replicas(CONTEXT))
        .as("ordinal 7 does not serve yet")
        .isEqualTo(7);
  }

  @Test
  void anUnschedulableNewRevisionLeavesTheOldOneUntouchedAndSaysWhy() {
    String why = "0/4 nodes are available: 4 Insufficient nvidia.com/gpu.";
    ObservedRevision b =
        revision(B, pool(4, 0, 0, 4, why), pool(2, 0, 0, 2, why), ObservedRouter.NONE);
    RolloutPlan plan = RolloutPlanner.plan(input(B, A, serving(A), b));
    assertRevision(plan, A, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
    assertRevision(plan, B, RevisionRole.RollingOut, 4, 2, 0, Action.KEEP);
    assertThat(plan.drains()).isEmpty();
    assertThat(plan.progressing())
        .contains("new revision cannot be scheduled: " + why + " (4 context pods)")
        .contains(A + " keeps serving");
  }

  @Test
  void aPartlySchedulableNewRevisionServesWhatItHasSoTheOldOneFreesGpus() {
    String why = "0/4 nodes are available: 4 Insufficient nvidia.com/gpu.";
    ObservedRevision placed =
        revision(B, pool(4, 1, 1, 3, why), pool(2, 1, 1, 1, why), ObservedRouter.NONE);
    assertRevision(
        RolloutPlanner.plan(input(B, A, serving(A), placed)),
        B,
        RevisionRole.RollingOut,
        4,
        2,
        1,
        Action.KEEP);
    ObservedRevision serving = revision(B, pool(4, 1, 1, 3, why), pool(2, 1, 1, 1, why), 1);
    RolloutPlan plan = RolloutPlanner.plan(input(B, A, serving(A), serving));
    assertRevision(plan, A, RevisionRole.Serving, 3, 1, 1, Action.KEEP);
    assertThat(plan.progressing()).contains("cannot be scheduled");
  }

  @Test
  void rollbackToARevisionStillPresentReusesIt() {
    // Mid-rollout: B started, not serving yet. Back to A: B retires, nothing is created.
    ObservedRevision b = revision(B, full(4), full(2), 1);
    ObservedRevision bStarting = revision(B, pool(4, 2, 2, 0, null), full(2), 0);
    RolloutPlan back = RolloutPlanner.plan(input(A, A, serving(A), bStarting));
    assertThat(back.created()).isEmpty();
    assertThat(back.serving()).isEqualTo(A);
    assertRevision(back, B, RevisionRole.Retiring, 0, 2, 0, Action.KEEP);
    assertThat(back.drains()).containsExactly(new Drain(B, CONTEXT, 4, 0));

    // After the hand-over: B serves, A retires with its context drained. Back to A: A grows
    // again (its generation drain is cancelled by the higher target), B keeps serving meanwhile.
    ObservedRevision aRetired =
        revision(A, ObservedPool.NONE, pool(2, 2, 0, 0, null), ObservedRouter.NONE);
    RolloutPlan again = RolloutPlanner.plan(input(A, B, aRetired, b));
    assertThat(again.created()).isEmpty();
    assertThat(again.serving()).isEqualTo(B);
    assertRevision(again, A, RevisionRole.RollingOut, 4, 2, 0, Action.KEEP);
    assertRevision(again, B, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
  }

  @Test
  void aThirdRevisionDuringARolloutTakesOverFromTheUnfinishedOneFirst() {
    // A serves 3 + B serves 1 context instance; the spec moves on to C.
    ObservedRevision a = revision(A, full(3), full(1), 1);
    ObservedRevision b = revision(B, full(1), full(1), 1);
    ObservedRevision c = revision(C, full(1), full(1), 1);
    RolloutPlan plan =
        RolloutPlanner.plan(input(C, A, RolloutStrategy.RevisionSurge, 1, 4, 2, a, b, c));
    assertRevision(plan, A, RevisionRole.Serving, 3, 1, 1, Action.KEEP);
    assertRevision(plan, B, RevisionRole.Retiring, 1, 1, 0, Action.KEEP);
    assertThat(plan.created()).isEmpty();
  }

  @Test
  void recreateRetiresTheOldRevisionFirstThenCreatesTheNewOne() {
    RolloutPlan first =
        RolloutPlanner.plan(input(B, A, RolloutStrategy.Recreate, "100%", 4, 2, serving(A)));
    assertRevision(first, A, RevisionRole.Retiring, 4, 2, 0, Action.KEEP);
    assertThat(first.created()).isEmpty();
    assertThat(first.serving()).isNull();
    assertThat(first.progressing()).contains("retiring the old revision first (strategy Recreate)");

    ObservedRevision gone = revision(A, ObservedPool.NONE, ObservedPool.NONE, ObservedRouter.NONE);
    RolloutPlan then =
        RolloutPlanner.plan(input(B, null, RolloutStrategy.Recreate, "100%", 4, 2, gone));
    assertRevision(then, A, RevisionRole.Retiring, 0, 0, 0, Action.DELETE);
    assertRevision(then, B, RevisionRole.Serving, 4, 2, 1, Action.CREATE);
    assertThat(then.events())
        .extracting(RolloutPlan.Event::reason)
        .containsExactly("RevisionRetired", "RevisionCreated", "RevisionServing");
  }

  @Test
  void aLostServingRecordFallsBackToTheRevisionInTheService() {
    RolloutPlan plan = RolloutPlanner.plan(input(B, null, serving(A)));
    assertThat(plan.serving()).isEqualTo(A);
    assertRevision(plan, A, RevisionRole.Serving, 4, 2, 1, Action.KEEP);
    assertRevision(plan, B, RevisionRole.RollingOut, 4, 2, 0, Action.CREATE);
  }

  @Test
  void replanningAfterTheWritesLandGivesTheSamePlan() {
    List<Input> inputs =
        List.of(
            input(A, null),
            input(B, A, serving(A)),
            input(B, A, serving(A), revision(B, full(4), full(2), ObservedRouter.NONE)),
            input(B, A, serving(A), revision(B, full(4), full(2), 1)),
            input(
                B,
                A,
                RolloutStrategy.RevisionSurge,
                1,
                4,
                2,
                serving(A),
                revision(B, full(1), full(1), 1)),
            input(
                B,
                B,
                revision(A, full(4), full(2), ObservedRouter.NONE),
                revision(B, full(4), full(2), 1)),
            input(B, A, RolloutStrategy.Recreate, "100%", 4, 2, serving(A)));
    for (Input in : inputs) {
      RolloutPlan plan = RolloutPlanner.plan(in);
      RolloutPlan again = RolloutPlanner.plan(writesLanded(in, plan));
      assertSameDecisions(plan, again);
    }
  }

  /**
   * The observation after the plan's writes landed and before any pod changed: created revisions
   * exist with their replicas and no pods, deleted ones are gone, increases are applied, decreases
   * are held by their drains, router Deployments have their replicas, the serving revision is
   * recorded.
   */
  static Input writesLanded(Input in, RolloutPlan plan) {
    List<ObservedRevision> next = new ArrayList<>();
    for (RolloutPlan.Revision r : plan.revisions()) {
      ObservedRevision o =
          in.revisions().stream()
              .filter(x -> x.revision().equals(r.revision()))
              .findFirst()
              .orElse(null);
      if (r.action() == Action.DELETE) {
        continue;
      }
      Map<Pool, ObservedPool> pools = new java.util.EnumMap<>(Pool.class);
      for (Pool p : Pool.values()) {
        ObservedPool now = o == null ? ObservedPool.NONE : o.pool(p);
        pools.put(
            p,
            new ObservedPool(
                Math.max(now.replicas(), r.replicas(p)),
                now.ready(),
                now.registered(),
                now.serving(),
                now.unschedulable(),
                now.unschedulableMessage()));
      }
      ObservedRouter router = o == null ? ObservedRouter.NONE : o.router();
      next.add(
          new ObservedRevision(
              r.revision(),
              pools,
              new ObservedRouter(r.routerReplicas(), router.pods(), router.ready())));
    }
    return new Input(
        in.desired(),
        in.strategy(),
        in.pools(),
        in.routerReplicas(),
        plan.serving(),
        next,
        in.routerSeesEarlierWorkers());
  }

  /** Same targets, roles and serving revision; nothing created twice, nothing deleted twice. */
  static void assertSameDecisions(RolloutPlan plan, RolloutPlan again) {
    assertThat(again.serving()).isEqualTo(plan.serving());
    assertThat(again.created()).isEmpty();
    List<RolloutPlan.Revision> kept =
        plan.revisions().stream().filter(r -> r.action() != Action.DELETE).toList();
    assertThat(again.revisions()).hasSameSizeAs(kept);
    for (RolloutPlan.Revision r : kept) {
      RolloutPlan.Revision s = again.revision(r.revision());
      assertThat(s).isNotNull();
      assertThat(s.role()).as(r.revision()).isEqualTo(r.role());
      assertThat(s.replicas()).as(r.revision()).isEqualTo(r.replicas());
      assertThat(s.routerReplicas()).as(r.revision()).isEqualTo(r.routerReplicas());
    }
    assertThat(again.drains())
        .containsExactlyElementsOf(
            plan.drains().stream()
                .filter(d -> plan.revision(d.revision()).action() != Action.DELETE)
                .toList());
  }

  @Test
  void theInputComesFromTheEffectiveSpecAndTheStatusListsEveryRevision() {
    var cr = Fixtures.minimal("team-a", "demo");
    cr.getSpec().getContext().setMinimalInstances(2);
    cr.getSpec().getContext().setReplicas(2);
    EffectiveSpec spec = EffectiveSpecs.of(cr, List.of()).spec();
    String desired = PairingRevision.of(spec).hash();
    Input in = Input.of(spec, desired, counts(4, 2), A, List.of(serving(A)));
    assertThat(in.desired()).isEqualTo(desired);
    assertThat(in.strategy()).isEqualTo(RolloutStrategy.RevisionSurge);
    assertThat(in.pools().get(CONTEXT)).isEqualTo(new PoolGoal(4, 2, new IntOrString("100%")));
    assertThat(in.routerReplicas()).isEqualTo(1);

    RolloutPlan plan = RolloutPlanner.plan(in);
    RevisionNames legacy = RevisionNames.legacy(spec, A);
    RevisionNames next = RevisionNames.forNew(spec, desired, List.of(legacy));
    List<RevisionStatus> statuses =
        RolloutPlanner.statuses(in, plan, Map.of(A, legacy, desired, next));
    assertThat(statuses).extracting(RevisionStatus::getRevision).containsExactly(A, desired);
    RevisionStatus a = statuses.get(0);
    assertThat(a.getRole()).isEqualTo(RevisionRole.Serving);
    assertThat(a.getClusterName()).isEqualTo("team-a.demo");
    assertThat(a.getContext().getDesiredReplicas()).isEqualTo(4);
    assertThat(a.getContext().getReadyReplicas()).isEqualTo(4);
    assertThat(a.getGeneration().getRegisteredInstances()).isEqualTo(2);
    assertThat(a.getRouterReady()).isTrue();
    RevisionStatus d = statuses.get(1);
    assertThat(d.getRole()).isEqualTo(RevisionRole.RollingOut);
    assertThat(d.getClusterName()).isEqualTo("team-a.demo." + desired);
    assertThat(d.getContext().getDesiredReplicas()).isEqualTo(4);
    assertThat(d.getContext().getReadyReplicas()).isZero();
    assertThat(d.getRouterReady()).isFalse();
  }
}
