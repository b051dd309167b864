package io.disagg.operator.healing;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.WorkerRecovery;
import io.disagg.operator.healing.BrokenWorkers.Decision;
import io.disagg.operator.healing.BrokenWorkers.Input;
import io.disagg.operator.healing.BrokenWorkers.Settings;
import io.disagg.operator.healing.BrokenWorkers.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BrokenWorkersTest {

  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private static final Settings ON =
      new Settings(true, true, Duration.ofSeconds(60), Duration.ofSeconds(30));

  private static Worker serving(String pod) {
    return new Worker(pod, "uid-" + pod, true, false, false, true, null);
  }

  private static Worker unregistered(String pod) {
    return new Worker(pod, "uid-" + pod, true, false, false, false, null);
  }

  private static Decision plan(
      List<Worker> workers, Map<String, Instant> since, WorkerRecovery last, Instant now) {
    return BrokenWorkers.plan(new Input(workers, true, since, last, ON, now));
  }

  @Test
  void aReadyUnregisteredWorkerIsRestartedOnlyAfterTheTimeout() {
    List<Worker> ws = List.of(serving("w-0"), unregistered("w-1"));
    Decision first = plan(ws, Map.of(), null, T0);
    assertThat(first.unregisteredSince()).containsExactly(Map.entry("uid-w-1", T0));
    assertThat(first.unregistered()).isZero();
    assertThat(first.restart()).isNull();
    assertThat(first.nextCheck()).isEqualTo(T0.plusSeconds(60));

    Decision early = plan(ws, first.unregisteredSince(), null, T0.plusSeconds(59));
    assertThat(early.restart()).isNull();

    Decision due = plan(ws, early.unregisteredSince(), null, T0.plusSeconds(60));
    assertThat(due.unregistered()).isEqualTo(1);
    assertThat(due.restart().worker().pod()).isEqualTo("w-1");
    assertThat(due.restart().unregisteredFor()).isEqualTo(Duration.ofSeconds(60));
    assertThat(due.restart().message()).contains("w-1", "60 s");
  }

  @Test
  void registeredNotReadyTerminatingOrDrainedWorkersAreNeverCandidates() {
    List<Worker> ws =
        List.of(
            serving("a"),
            new Worker("b", "uid-b", false, false, false, false, null), // starting
            new Worker("c", "uid-c", true, true, false, false, null), // terminating
            new Worker("d", "uid-d", true, false, true, false, null)); // drained by the operator
    Map<String, Instant> old = Map.of("uid-a", T0, "uid-b", T0, "uid-c", T0, "uid-d", T0);
    Decision d = plan(ws, old, null, T0.plusSeconds(3600));
    assertThat(d.unregisteredSince()).isEmpty();
    assertThat(d.unregistered()).isZero();
    assertThat(d.restart()).isNull();
  }

  @Test
  void anUnreachableEtcdResetsEveryTimerAndRestartsNothing() {
    List<Worker> ws = List.of(unregistered("w-0"));
    Decision down =
        BrokenWorkers.plan(
            new Input(ws, false, Map.of("uid-w-0", T0), null, ON, T0.plusSeconds(600)));
    assertThat(down.restart()).isNull();
    assertThat(down.unregistered()).as("unknown while etcd is unreachable").isNull();
    assertThat(down.unregisteredSince()).isEmpty();

    Decision back = plan(ws, down.unregisteredSince(), null, T0.plusSeconds(601));
    assertThat(back.restart()).as("the timer starts again when etcd is back").isNull();
    assertThat(back.unregisteredSince()).containsEntry("uid-w-0", T0.plusSeconds(601));
  }

  @Test
  void theLongestUnregisteredGoesFirstAndOnlyOneAtATime() {
    List<Worker> ws = List.of(unregistered("w-0"), unregistered("w-1"));
    Map<String, Instant> since = Map.of("uid-w-0", T0.plusSeconds(10), "uid-w-1", T0);
    Decision d = plan(ws, since, null, T0.plusSeconds(100));
    assertThat(d.unregistered()).isEqualTo(2);
    assertThat(d.overdue()).extracting(o -> o.worker().pod()).containsExactly("w-1", "w-0");
    assertThat(d.restart().worker().pod()).isEqualTo("w-1");

    // w-1 restarted: while its old pod terminates, and until the new one is Ready, w-0 waits.
    WorkerRecovery last =
        new WorkerRecovery(
            "w-1", "uid-w-1", BrokenWorkers.UNREGISTERED, "2026-12-01T00:01:40Z", "");
    List<Worker> terminating =
        List.of(unregistered("w-0"), new Worker("w-1", "uid-w-1", true, true, false, false, null));
    Decision held = plan(terminating, d.unregisteredSince(), last, T0.plusSeconds(200));
    assertThat(held.restart()).isNull();
    assertThat(held.held()).contains("w-1", "terminating");

    List<Worker> loading =
        List.of(
            unregistered("w-0"), new Worker("w-1", "uid-w-1b", false, false, false, false, null));
    assertThat(plan(loading, d.unregisteredSince(), last, T0.plusSeconds(200)).held())
        .contains("not Ready");

    List<Worker> back =
        List.of(unregistered("w-0"), new Worker("w-1", "uid-w-1b", true, false, false, true, null));
    assertThat(
            plan(back, d.unregisteredSince(), last, T0.plusSeconds(200)).restart().worker().pod())
        .isEqualTo("w-0");
  }

  @Test
  void restartsInAPoolAreSpacedByTheMinimumInterval() {
    WorkerRecovery last =
        new WorkerRecovery(
            "w-9", "uid-gone", BrokenWorkers.UNREGISTERED, "2026-12-01T00:10:00Z", "");
    List<Worker> ws = List.of(unregistered("w-0"));
    Map<String, Instant> since = Map.of("uid-w-0", T0);
    Decision held = plan(ws, since, last, Instant.parse("2026-12-01T00:10:20Z"));
    assertThat(held.restart()).isNull();
    assertThat(held.held()).contains("30 s");
    assertThat(held.nextCheck()).isEqualTo(Instant.parse("2026-12-01T00:10:30Z"));
    assertThat(plan(ws, since, last, Instant.parse("2026-12-01T00:10:30Z")).restart()).isNotNull();
  }

  @Test
  void withRestartsOffOverdueWorkersAreCountedButNotRestarted() {
    Settings off = new Settings(false, true, Duration.ofSeconds(60), Duration.ZERO);
    Decision d =
        BrokenWorkers.plan(
            new Input(
                List.of(unregistered("w-0")),
                true,
                Map.of("uid-w-0", T0),
                null,
                off,
                T0.plusSeconds(61)));
    assertThat(d.unregistered()).isEqualTo(1);
    assertThat(d.overdue()).hasSize(1);
    assertThat(d.restart()).isNull();
  }

  @Test
  void aWorkerThatRegistersAgainLosesItsTimer() {
    Decision d = plan(List.of(serving("w-0")), Map.of("uid-w-0", T0), null, T0.plusSeconds(59));
    assertThat(d.unregisteredSince()).isEmpty();
    Decision again =
        plan(List.of(unregistered("w-0")), d.unregisteredSince(), null, T0.plusSeconds(100));
    assertThat(again.restart()).isNull();
    assertThat(again.unregisteredSince()).containsEntry("uid-w-0", T0.plusSeconds(100));
  }

  @Test
  void aPoisonedWorkerIsRestartedAtOnceAndBeforeUnregisteredOnes() {
    Worker poisoned = new Worker("w-1", "uid-w-1", false, false, false, false, "Fatal error: x");
    List<Worker> ws = List.of(unregistered("w-0"), poisoned);
    Decision d = plan(ws, Map.of("uid-w-0", T0), null, T0.plusSeconds(100));
    assertThat(d.overdue())
        .extracting(o -> o.worker().pod() + ":" + o.reason())
        .containsExactly("w-1:TransferBufferPoisoned", "w-0:Unregistered");
    assertThat(d.unregistered()).isEqualTo(1);
    assertThat(d.restart().worker()).isEqualTo(poisoned);
    assertThat(d.restart().message()).contains("poisoned", "Fatal error: x");
  }

  @Test
  void poisonedWorkersAreFoundEvenWhileEtcdIsUnreachableAndRespectTheSpacing() {
    Worker poisoned = new Worker("w-1", "uid-w-1", false, false, false, false, "poisoned");
    Decision down = BrokenWorkers.plan(new Input(List.of(poisoned), false, Map.of(), null, ON, T0));
    assertThat(down.restart()).isNotNull();
    assertThat(down.unregistered()).isNull();

    WorkerRecovery last =
        new WorkerRecovery(
            "w-9", "uid-gone", BrokenWorkers.UNREGISTERED, "2026-12-01T00:00:00Z", "");
    Decision held = plan(List.of(poisoned), Map.of(), last, T0.plusSeconds(10));
    assertThat(held.restart()).isNull();
    assertThat(held.overdue()).hasSize(1);
  }

  @Test
  void withPoisonedRestartsOffThePoisonedWorkerIsReportedButNotRestarted() {
    Settings off = new Settings(true, false, Duration.ofSeconds(60), Duration.ZERO);
    Worker poisoned = new Worker("w-1", "uid-w-1", false, false, false, false, "poisoned");
    Decision d = BrokenWorkers.plan(new Input(List.of(poisoned), true, Map.of(), null, off, T0));
    assertThat(d.overdue()).hasSize(1);
    assertThat(d.restart()).isNull();
    Worker terminating = new Worker("w-1", "uid-w-1", false, true, false, false, "poisoned");
    assertThat(
            BrokenWorkers.plan(new Input(List.of(terminating), true, Map.of(), null, ON, T0))
                .overdue())
        .as("a terminating pod is already being restarted")
        .isEmpty();
  }
}
