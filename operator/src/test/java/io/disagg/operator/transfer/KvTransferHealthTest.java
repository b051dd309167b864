package io.disagg.operator.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KvTransferHealthTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration WINDOW = Duration.ofSeconds(300);
  private static final long GIB = 1L << 30;

  private static KvTransferHealth.Verdict judge(
      BandwidthWindow.Summary s, Duration watched, int minSamples) {
    return KvTransferHealth.judge(
        new KvTransferHealth.Input("generation", s, WINDOW, watched, GIB, minSamples));
  }

  @Test
  void windowSumsBytesOverSecondsAndDropsOldReads() {
    BandwidthWindow w = new BandwidthWindow();
    w.add(T0, 10, 10 * GIB, 1.0);
    w.add(T0.plusSeconds(30), 0, 0, 0);
    w.add(T0.plusSeconds(60), 10, GIB, 9.0);
    BandwidthWindow.Summary s = w.summary(T0.plusSeconds(120), WINDOW);
    assertThat(s.transfers()).isEqualTo(20);
    // byte-weighted: 11 GiB in 10 s, not the mean of 10 GiB/s and 0.11 GiB/s
    assertThat(s.bytesPerSecond()).isEqualTo(11.0 * GIB / 10.0);
    assertThat(s.lastSample()).isEqualTo(T0.plusSeconds(60));

    BandwidthWindow.Summary later = w.summary(T0.plusSeconds(301), WINDOW);
    assertThat(later.transfers()).isEqualTo(10);
    assertThat(later.bytesPerSecond()).isEqualTo(GIB / 9.0);
    assertThat(w.summary(T0.plusSeconds(361), WINDOW)).isEqualTo(BandwidthWindow.Summary.EMPTY);
    assertThat(BandwidthWindow.Summary.EMPTY.bytesPerSecond()).isNull();
  }

  @Test
  void windowRefusesNegativeNumbers() {
    BandwidthWindow w = new BandwidthWindow();
    assertThatThrownBy(() -> w.add(T0, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> w.add(T0, 1, 1, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void belowTheFloorWithEnoughSamplesIsSlowAndNamesPoolAndNumbers() {
    // 30 transfers of 12 MiB in 0.1 s each: 120 MiB/s
    var s = new BandwidthWindow.Summary(30, 30L * 12 * (1 << 20), 3.0, T0);
    KvTransferHealth.Verdict v = judge(s, Duration.ofSeconds(10), 20);
    assertThat(v.state()).isEqualTo(KvTransferHealth.State.SLOW);
    assertThat(v.bytesPerSecond()).isEqualTo(130_000_000L); // 125829120 to 2 digits
    assertThat(v.message())
        .startsWith("generation: 120 MiB/s observed over 30 KV-cache transfers in the last 300 s")
        .contains("below the floor of 1 GiB/s")
        .contains("spec.fabric.kvTransferCheck.minBandwidth");
  }

  @Test
  void atTheFloorOrAboveIsHealthy() {
    var s = new BandwidthWindow.Summary(20, 20 * GIB, 20.0, T0);
    KvTransferHealth.Verdict v = judge(s, Duration.ZERO, 20);
    assertThat(v.state()).isEqualTo(KvTransferHealth.State.HEALTHY);
    assertThat(v.message()).contains("1 GiB/s observed over 20").contains("floor 1 GiB/s");
  }

  @Test
  void tooFewSamplesKeepTheJudgementUntilAFullWindowWasWatched() {
    var s = new BandwidthWindow.Summary(19, 19L, 19.0, T0);
    assertThat(judge(s, WINDOW.minusSeconds(1), 20).state()).isEqualTo(KvTransferHealth.State.KEEP);
    KvTransferHealth.Verdict v = judge(s, WINDOW, 20);
    assertThat(v.state()).isEqualTo(KvTransferHealth.State.NO_SAMPLES);
    assertThat(v.message()).contains("19 KV-cache transfers").contains("fewer than the 20");
    assertThat(judge(BandwidthWindow.Summary.EMPTY, WINDOW, 1).bytesPerSecond()).isNull();
  }

  @Test
  void roundsToTwoSignificantDigitsAndFormatsBinaryUnits() {
    assertThat(KvTransferHealth.round2(1_234_567)).isEqualTo(1_200_000);
    assertThat(KvTransferHealth.round2(1_250_000)).isEqualTo(1_300_000);
    assertThat(KvTransferHealth.round2(99.6)).isEqualTo(100);
    assertThat(KvTransferHealth.round2(0)).isZero();
    assertThat(KvTransferHealth.rate(800)).isEqualTo("800 B/s");
    assertThat(KvTransferHealth.rate(GIB)).isEqualTo("1 GiB/s");
    assertThat(KvTransferHealth.rate(GIB * 3 / 2)).isEqualTo("1.5 GiB/s");
    assertThat(KvTransferHealth.rate(25L * GIB)).isEqualTo("25 GiB/s");
  }
}
