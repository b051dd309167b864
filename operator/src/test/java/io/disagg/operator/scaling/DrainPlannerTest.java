package io.disagg.operator.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.core.Pool;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.scaling.DrainPlanner.Decision;
import io.disagg.operator.scaling.DrainPlanner.Input;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DrainPlannerTest {

  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  static final Duration TIMEOUT = Duration.ofSeconds(300);
  static final Duration GRACE = Duration.ofSeconds(3);

  static Registration reg(String pod, long lease) {
    return new Registration(
        "/trtllm-disagg/ns.c/workers/GENERATION-" + pod + "-" + lease,
        "GENERATION-" + pod + "-" + lease,
        "127.1.0.9",
        8000,
        Pool.GENERATION,
        lease,
        7,
        false,
        "{}");
  }

  static Input in(
      int target,
      Integer current,
      DrainStatus drain,
      Map<String, List<Registration>> regs,
      Map<String, Integer> inFlight,
      boolean reachable,
      Instant now) {
    return new Input(
        "c-generation", target, current, drain, regs, inFlight, reachable, TIMEOUT, GRACE, now);
  }

  @Test
  void noStatefulSetYetTakesTheTarget() {
    Decision d = DrainPlanner.plan(in(3, null, null, Map.of(), Map.of(), true, T0));
    assertThat(d.replicas()).isEqualTo(3);
    assertThat(d.drain()).isNull();
  }

  @Test
  void increasesApplyAtOnce() {
    Decision d = DrainPlanner.plan(in(4, 2, null, Map.of(), Map.of(), true, T0));
    assertThat(d.replicas()).isEqualTo(4);
    assertThat(d.keysToDeregister()).isEmpty();
  }

  @Test
  void decreaseDeregistersTheHighestOrdinalsFirstAndHoldsReplicas() {
    Map<String, List<Registration>> regs =
        Map.of(
            "c-generation-0", List.of(reg("0", 10)),
            "c-generation-1", List.of(reg("1", 11)),
            "c-generation-2", List.of(reg("2", 12)));
    Decision d = DrainPlanner.plan(in(1, 3, null, regs, Map.of(), true, T0));

    assertThat(d.replicas()).isEqualTo(3);
    assertThat(d.keysToDeregister()).containsExactly(reg("1", 11).key(), reg("2", 12).key());
    assertThat(d.drain().getPods())
        .extracting("name")
        .containsExactly("c-generation-1", "c-generation-2");
    assertThat(d.drain().getPods().get(0).getDeregistered())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.getKey()).isEqualTo(reg("1", 11).key());
              assertThat(w.getLease()).isEqualTo(11L);
              assertThat(w.getValue()).isEqualTo("{}");
            });
    assertThat(d.drain().getStartedAt()).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(d.event()).contains("draining").contains("3 to 1");
  }

  @Test
  void aWorkerThatRegisteredAgainIsDeregisteredAgain() {
    DrainStatus started =
        DrainPlanner.plan(
                in(1, 2, null, Map.of("c-generation-1", List.of(reg("1", 11))), Map.of(), true, T0))
            .drain();
    Decision d =
        DrainPlanner.plan(
            in(
                1,
                2,
                started,
                Map.of("c-generation-1", List.of(reg("1", 99))),
                Map.of(),
                true,
                T0.plusSeconds(5)));
    assertThat(d.replicas()).isEqualTo(2);
    assertThat(d.keysToDeregister()).containsExactly(reg("1", 99).key());
    assertThat(d.drain().getPods().get(0).getDeregistered())
        .extracting("lease")
        .containsExactly(11L, 99L);
    assertThat(d.event()).isNull();
  }

  @Test
  void waitsForTheGraceThenForInFlightRequestsThenScales() {
    DrainStatus s =
        DrainPlanner.plan(
                in(1, 2, null, Map.of("c-generation-1", List.of(reg("1", 11))), Map.of(), true, T0))
            .drain();
    // Deregistration observed: grace starts.
    Decision d1 =
        DrainPlanner.plan(
            in(1, 2, s, Map.of(), Map.of("c-generation-1", 4), true, T0.plusSeconds(1)));
    assertThat(d1.replicas()).isEqualTo(2);
    assertThat(d1.drain().getDeregisteredAt()).isEqualTo("2026-11-22T10:00:01Z");
    assertThat(d1.waiting()).contains("settle");
    // Grace over, requests still running.
    Decision d2 =
        DrainPlanner.plan(
            in(1, 2, d1.drain(), Map.of(), Map.of("c-generation-1", 2), true, T0.plusSeconds(5)));
    assertThat(d2.replicas()).isEqualTo(2);
    assertThat(d2.waiting()).contains("c-generation-1=2");
    assertThat(d2.drain().getPods().get(0).getInFlightRequests()).isEqualTo(2);
    // Idle: scale.
    Decision d3 =
        DrainPlanner.plan(
            in(1, 2, d2.drain(), Map.of(), Map.of("c-generation-1", 0), true, T0.plusSeconds(6)));
    assertThat(d3.replicas()).isEqualTo(1);
    assertThat(d3.drain()).isNull();
    assertThat(d3.event()).startsWith("drained [c-generation-1]");
  }

  @Test
  void unknownInFlightWaitsUntilTheTimeout() {
    DrainStatus s = DrainPlanner.plan(in(1, 2, null, Map.of(), Map.of(), true, T0)).drain();
    Map<String, Integer> unknown = new HashMap<>();
    unknown.put("c-generation-1", null);
    Decision before = DrainPlanner.plan(in(1, 2, s, Map.of(), unknown, true, T0.plusSeconds(299)));
    assertThat(before.replicas()).isEqualTo(2);
    assertThat(before.waiting()).contains("unknown");
    Decision after =
        DrainPlanner.plan(in(1, 2, before.drain(), Map.of(), unknown, true, T0.plusSeconds(300)));
    assertThat(after.replicas()).isEqualTo(1);
    assertThat(after.event()).contains("drain timeout after 300s");
  }

  @Test
  void nothingIsRemovedWhileEtcdIsUnreachableEvenPastTheTimeout() {
    DrainStatus s = DrainPlanner.plan(in(1, 2, null, Map.of(), Map.of(), true, T0)).drain();
    Decision d =
        DrainPlanner.plan(
            in(1, 2, s, Map.of(), Map.of("c-generation-1", 0), false, T0.plusSeconds(900)));
    assertThat(d.replicas()).isEqualTo(2);
    assertThat(d.keysToDeregister()).isEmpty();
    assertThat(d.waiting()).contains("etcd is unreachable");
  }

  @Test
  void raisingTheTargetCancelsTheDrainAndRestoresTheRegistrationsOnTheirLeases() {
    DrainStatus s =
        DrainPlanner.plan(
                in(
                    1,
                    3,
                    null,
                    Map.of(
                        "c-generation-1",
                        List.of(reg("1", 11)),
                        "c-generation-2",
                        List.of(reg("2", 12))),
                    Map.of(),
                    true,
                    T0))
            .drain();
    Decision d = DrainPlanner.plan(in(3, 3, s, Map.of(), Map.of(), true, T0.plusSeconds(2)));
    assertThat(d.replicas()).isEqualTo(3);
    assertThat(d.drain()).isNull();
    assertThat(d.toRestore())
        .extracting(Registration::key, Registration::lease, Registration::raw)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(reg("1", 11).key(), 11L, "{}"),
            org.assertj.core.groups.Tuple.tuple(reg("2", 12).key(), 12L, "{}"));
    assertThat(d.event()).contains("cancelled");
  }

  @Test
  void aFinishedDrainStillShownByALaggingCacheRestoresNothing() {
    DrainStatus s =
        DrainPlanner.plan(
                in(
                    1,
                    3,
                    null,
                    Map.of(
                        "c-generation-1",
                        List.of(reg("1", 11)),
                        "c-generation-2",
                        List.of(reg("2", 12))),
                    Map.of(),
                    true,
                    T0))
            .drain();
    // The StatefulSet is already at the drain's toReplicas; the status read still shows the drain.
    Decision d = DrainPlanner.plan(in(1, 1, s, Map.of(), Map.of(), true, T0.plusSeconds(20)));
    assertThat(d.replicas()).isEqualTo(1);
    assertThat(d.drain()).isNull();
    assertThat(d.toRestore()).isEmpty();
    assertThat(d.event()).isNull();
  }

  @Test
  void retargetingKeepsTheStartAndRestoresOnlyPodsThatStay() {
    DrainStatus s =
        DrainPlanner.plan(
                in(
                    1,
                    3,
                    null,
                    Map.of(
                        "c-generation-1",
                        List.of(reg("1", 11)),
                        "c-generation-2",
                        List.of(reg("2", 12))),
                    Map.of(),
                    true,
                    T0))
            .drain();
    Decision d = DrainPlanner.plan(in(2, 3, s, Map.of(), Map.of(), true, T0.plusSeconds(2)));
    assertThat(d.drain().getPods()).extracting("name").containsExactly("c-generation-2");
    assertThat(d.drain().getPods().get(0).getDeregistered())
        .extracting("lease")
        .containsExactly(12L);
    assertThat(d.drain().getStartedAt()).isEqualTo(s.getStartedAt());
    assertThat(d.toRestore()).extracting(Registration::lease).containsExactly(11L);
    assertThat(d.replicas()).isEqualTo(3);
  }

  @Test
  void inputIsNotModified() {
    DrainStatus s =
        DrainPlanner.plan(
                in(1, 2, null, Map.of("c-generation-1", List.of(reg("1", 11))), Map.of(), true, T0))
            .drain();
    DrainPlanner.plan(in(1, 2, s, Map.of(), Map.of("c-generation-1", 3), true, T0.plusSeconds(1)));
    assertThat(s.getDeregisteredAt()).isNull();
    assertThat(s.getPods().get(0).getInFlightRequests()).isNull();
  }
}
