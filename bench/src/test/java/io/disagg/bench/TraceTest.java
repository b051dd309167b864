package io.disagg.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceTest {

  private static List<Trace.Request> all(Trace.Params p) {
    List<Trace.Request> out = new ArrayList<>();
    new Trace(p).forEach(out::add);
    return out;
  }

  @Test
  void sameSeedGivesTheSameTraceAndAnotherSeedAnotherOne() {
    Trace.Params p = Trace.Params.DEFAULT.window(8 * 3600, 600, 5);
    assertThat(all(p)).isEqualTo(all(p)).isNotEmpty();
    assertThat(all(p.withSeed(7))).isNotEqualTo(all(p));
  }

  @Test
  void arrivalsFollowTheDiurnalRateAndAreOrdered() {
    List<Trace.Request> day = all(Trace.Params.DEFAULT.window(0, 86_400, 0.5));
    long trough =
        day.stream().filter(r -> r.arrival() >= 1 * 3600 && r.arrival() < 3 * 3600).count();
    long peak =
        day.stream().filter(r -> r.arrival() >= 13 * 3600 && r.arrival() < 15 * 3600).count();
    // the diurnal rate alone is 1.5/0.5 = 3x; bursts may add to either window
    assertThat((double) peak / trough).isGreaterThan(2);
    // mean 0.5/s over a day, plus bursts
    assertThat(day.size()).isBetween(40_000, 60_000);
    for (int i = 1; i < day.size(); i++) {
      assertThat(day.get(i).arrival()).isGreaterThanOrEqualTo(day.get(i - 1).arrival());
    }
  }

  @Test
  void theCodingShareAndWithItThePromptToOutputRatioShiftOverTheDay() {
    List<Trace.Request> day = all(Trace.Params.DEFAULT.window(0, 86_400, 0.5));
    double nightCoding = share(day, 0, 3);
    double noonCoding = share(day, 12, 15);
    assertThat(nightCoding).isBetween(0.15, 0.3);
    assertThat(noonCoding).isBetween(0.5, 0.65);
    List<Trace.Request> coding = day.stream().filter(Trace.Request::coding).toList();
    List<Trace.Request> conv = day.stream().filter(r -> !r.coding()).toList();
    assertThat(median(coding, true)).isBetween(1400, 1600);
    assertThat(median(coding, false)).isBetween(11, 15);
    assertThat(median(conv, true)).isBetween(950, 1100);
    assertThat(median(conv, false)).isBetween(120, 140);
  }

  @Test
  void interArrivalTimesAreBurstierThanPoisson() {
    // a flat hour around the diurnal peak: the coefficient of variation of the gaps is about
    // 1/sqrt(0.5) = 1.41 for Gamma shape 0.5 (Poisson: 1)
    List<Trace.Request> hour = all(Trace.Params.DEFAULT.window(13.5 * 3600, 3600, 5));
    double[] gaps = new double[hour.size() - 1];
    for (int i = 1; i < hour.size(); i++) {
      gaps[i - 1] = hour.get(i).arrival() - hour.get(i - 1).arrival();
    }
    double mean = java.util.Arrays.stream(gaps).average().orElseThrow();
    double var =
        java.util.Arrays.stream(gaps).map(g -> (g - mean) * (g - mean)).average().orElseThrow();
    assertThat(Math.sqrt(var) / mean).isGreaterThan(1.25);
  }

  @Test
  void gammaSamplesHaveTheirShapesMean() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
    for (double k : new double[] {0.5, 1, 3}) {
      double sum = 0;
      for (int i = 0; i < 200_000; i++) {
        sum += Trace.gamma(rnd, k);
      }
      assertThat(sum / 200_000).isCloseTo(k, org.assertj.core.data.Offset.offset(0.03 * k));
    }
  }

  private static double share(List<Trace.Request> day, int fromHour, int toHour) {
    List<Trace.Request> w =
        day.stream()
            .filter(r -> r.arrival() >= fromHour * 3600 && r.arrival() < toHour * 3600)
            .toList();
    return (double) w.stream().filter(Trace.Request::coding).count() / w.size();
  }

  private static int median(List<Trace.Request> rs, boolean prompt) {
    int[] v =
        rs.stream().mapToInt(r -> prompt ? r.promptTokens() : r.outputTokens()).sorted().toArray();
    return v[v.length / 2];
  }
}
