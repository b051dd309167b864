package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForeignRegistrationsTest {

  private static final String PREFIX = "/trtllm-disagg/demo.serving/workers/";
  private static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");
  private static final Duration GRACE = Duration.ofSeconds(2);
  private static final Duration RECENT = Duration.ofSeconds(20);

  private static Registration reg(String id, String value) {
    return Registrations.parse(PREFIX + id, value.getBytes(StandardCharsets.UTF_8), 7, 42);
  }

  private static Registration worker(String host, int port, int role) {
    String id = (role == 0 ? "CONTEXT" : "GENERATION") + "-" + host + ":" + port + "-1-2-003";
    return reg(
        id,
        "{\"worker_id\":\""
            + id
            + "\",\"host\":\""
            + host
            + "\",\"port\":"
            + port
            + ",\"role\":"
            + role
            + "}");
  }

  private static ForeignRegistrations.Decision decide(
      List<Registration> regs,
      List<String> podIps,
      Map<String, Instant> lastOurs,
      Map<String, ForeignRegistrations.Seen> seen,
      Instant now) {
    return ForeignRegistrations.decide(
        new ForeignRegistrations.Input(regs, podIps, lastOurs, seen, GRACE, RECENT, now));
  }

  @Test
  void aForeignHostIsRemovedOnlyAfterItWasSeenForTheGrace() {
    Registration ours = worker("127.1.0.5", 8000, 0);
    Registration foreign = worker("127.9.0.1", 8000, 0);
    List<Registration> regs = List.of(ours, foreign);

    ForeignRegistrations.Decision first =
        decide(regs, List.of("127.1.0.5"), Map.of(), Map.of(), T0);
    assertThat(first.remove()).isEmpty();
    assertThat(first.waiting())
        .extracting(ForeignRegistrations.Foreign::registration)
        .containsExactly(foreign);
    assertThat(first.recheckAfter()).isEqualTo(GRACE);

    ForeignRegistrations.Decision early =
        decide(regs, List.of("127.1.0.5"), Map.of(), first.firstSeen(), T0.plusMillis(1500));
    assertThat(early.remove()).isEmpty();
    assertThat(early.recheckAfter()).isEqualTo(Duration.ofMillis(500));

    ForeignRegistrations.Decision due =
        decide(regs, List.of("127.1.0.5"), Map.of(), early.firstSeen(), T0.plus(GRACE));
    assertThat(due.remove())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.registration()).isEqualTo(foreign);
              assertThat(f.host()).isEqualTo("127.9.0.1");
            });
    assertThat(due.waiting()).isEmpty();
    assertThat(due.recheckAfter()).isNull();
  }

  @Test
  void ourHostIsNeverForeignWhateverThePortRoleOrShape() {
    List<Registration> regs =
        List.of(
            worker("127.1.0.5", 8000, 1), // our IP, the other pool's role
            worker("127.1.0.5", 9999, 0), // our IP, another port
            reg("x", "{\"worker_id\":\"x\",\"host\":\"127.1.0.5\",\"port\":8000,\"status\":\"\"}"),
            reg("CONTEXT-127.1.0.5:8000-1-2-003", "not json at all"),
            worker("FD00::5", 8000, 0));
    ForeignRegistrations.Decision d =
        decide(
            regs,
            List.of("127.1.0.5", "fd00::5"),
            Map.of(),
            Map.of(),
            T0.plus(Duration.ofHours(1)));
    assertThat(d.remove()).isEmpty();
    assertThat(d.waiting()).isEmpty();
    assertThat(d.firstSeen()).isEmpty();
  }

  @Test
  void malformedValuesAreForeignUnlessTheirHostIsOurs() {
    Registration hostless = reg("junk", "junk");
    Registration unknownField =
        reg("y", "{\"worker_id\":\"y\",\"host\":\"127.9.0.2\",\"port\":1,\"extra\":true}");
    Registration keyNamesForeign = reg("GENERATION-127.9.0.3:8000-1-2-003", "[]");
    ForeignRegistrations.Decision first =
        decide(List.of(hostless, unknownField, keyNamesForeign), List.of(), Map.of(), Map.of(), T0);
    ForeignRegistrations.Decision d =
        decide(
            List.of(hostless, unknownField, keyNamesForeign),
            List.of(),
            Map.of(),
            first.firstSeen(),
            T0.plus(GRACE));
    assertThat(d.remove())
        .extracting(ForeignRegistrations.Foreign::host)
        .containsExactly(null, "127.9.0.2", "127.9.0.3");
    assertThat(first.firstSeen()).containsKey(PREFIX + "junk");
  }

  @Test
  void anIpOfAPodGoneRecentlyStaysOursUntilItsLeaseCouldHaveExpired() {
    Registration stale = worker("127.1.0.9", 8000, 0);
    Map<String, Instant> lastOurs = Map.of("127.1.0.9", T0);
    assertThat(decide(List.of(stale), List.of(), lastOurs, Map.of(), T0.plus(RECENT)).waiting())
        .isEmpty();
    ForeignRegistrations.Decision after =
        decide(List.of(stale), List.of(), lastOurs, Map.of(), T0.plus(RECENT).plusMillis(1));
    assertThat(after.waiting()).hasSize(1);
  }

  @Test
  void aRegistrantThatWritesAgainIsRemovedWithoutANewGraceUntilForgotten() {
    Registration foreign = worker("127.9.0.1", 8000, 0);
    ForeignRegistrations.Decision first =
        decide(List.of(foreign), List.of(), Map.of(), Map.of(), T0);
    ForeignRegistrations.Decision removed =
        decide(List.of(foreign), List.of(), Map.of(), first.firstSeen(), T0.plus(GRACE));
    assertThat(removed.remove()).hasSize(1);
    // deleted; nothing there for a while
    Instant gap = T0.plus(Duration.ofMinutes(5));
    ForeignRegistrations.Decision empty =
        decide(List.of(), List.of(), Map.of(), removed.firstSeen(), gap);
    assertThat(empty.firstSeen()).containsKey("127.9.0.1");
    // written again under a new key: removed at once
    Registration again = worker("127.9.0.1", 8001, 1);
    assertThat(
            decide(List.of(again), List.of(), Map.of(), empty.firstSeen(), gap.plusSeconds(1))
                .remove())
        .hasSize(1);
    // forgotten after REMEMBER without a sighting: a new grace
    Instant later = T0.plus(GRACE).plus(ForeignRegistrations.REMEMBER).plusSeconds(1);
    ForeignRegistrations.Decision forgotten =
        decide(List.of(), List.of(), Map.of(), removed.firstSeen(), later);
    assertThat(forgotten.firstSeen()).isEmpty();
    assertThat(decide(List.of(again), List.of(), Map.of(), forgotten.firstSeen(), later).remove())
        .isEmpty();
  }

  @Test
  void hostComesFromTheValueElseFromTheWorkerIdOfTheKey() {
    assertThat(ForeignRegistrations.host(worker("10.0.0.7", 8000, 0))).isEqualTo("10.0.0.7");
    assertThat(ForeignRegistrations.host(reg("CONTEXT-fd00::1:8000-17-2-003", "x")))
        .isEqualTo("fd00::1");
    assertThat(ForeignRegistrations.host(reg("hand-made", "x"))).isNull();
  }

  @Test
  void aZeroGraceRemovesAtOnce() {
    Registration foreign = worker("127.9.0.1", 8000, 0);
    ForeignRegistrations.Decision d =
        ForeignRegistrations.decide(
            new ForeignRegistrations.Input(
                List.of(foreign), List.of(), Map.of(), Map.of(), Duration.ZERO, RECENT, T0));
    assertThat(d.remove()).hasSize(1);
  }
}
