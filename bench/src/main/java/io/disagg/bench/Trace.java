package io.disagg.bench;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * A seeded, reproducible synthetic day of LLM-serving traffic: a diurnal request rate, bursts,
 * bursty (Gamma) inter-arrival times and a mix of two request classes whose share shifts over the
 * day. The same {@link Params} (seed included) always give the same requests on the same JDK, so
 * every policy of a benchmark is replayed on exactly the same trace; the requests are generated on
 * the fly, not stored.
 *
 * <p>Where the numbers come from (see {@link Params#DEFAULT} and docs/benchmarks.md):
 *
 * <ul>
 *   <li>Request classes: the two services of the Azure LLM inference trace 2023 ("code" and
 *       "conversation", Azure/AzurePublicDataset, AzureLLMInferenceDataset2023.md; analysed in
 *       Patel et al., "Splitwise", ISCA 2024): coding requests have long prompts and very short
 *       outputs, conversation requests shorter prompts and longer outputs. The medians used here
 *       (coding 1500 prompt / 13 output tokens, conversation 1020 / 129) are the ones reported by
 *       the Splitwise paper's characterization; they were not recomputed from the CSV files in this
 *       repository. The log-normal spreads are assumed.
 *   <li>Burstiness: BurstGPT (Wang et al., 10.31 M requests of Azure OpenAI GPT services over 213
 *       days) models request inter-arrival times with Gamma distributions and finds real traffic
 *       much burstier than Poisson; the shape 0.5 (coefficient of variation 1.41) used here is
 *       assumed, not BurstGPT's fitted value.
 *   <li>Diurnal pattern: the Azure 2024 trace (one week, DynamoLLM, Stojkovic et al.) shows a daily
 *       cycle; its amplitude here (peak 3x the trough, peak at 14:00) is assumed.
 *   <li>Bursts: a few minutes-long surges per day on top of the diurnal rate; count, length and
 *       height are assumed.
 *   <li>Mix shift: the share of coding requests rises during the working day (assumed: 20 % at
 *       01:00, 60 % at 13:00), so the prompt:output token ratio, and with it the load ratio of the
 *       context and generation pools, moves over the day.
 * </ul>
 */
public final class Trace implements Iterable<Trace.Request> {

  /** One request: arrival (seconds from the start of the day), prompt and output tokens. */
  public record Request(
      long id, double arrival, int promptTokens, int outputTokens, boolean coding) {}

  /** A request class: log-normal prompt and output lengths. */
  public record LengthMix(
      double promptMedian, double promptSigma, double outputMedian, double outputSigma) {}

  /** A surge: the rate is multiplied by {@code factor} during {@code [start, start + length)}. */
  public record Burst(double start, double length, double factor) {}

  /**
   * Trace parameters.
   *
   * @param seed the seed; the same parameters give the same trace
   * @param durationSeconds length of the trace, seconds (86400 = one day)
   * @param startSecondOfDay time of day at which the trace starts, seconds after midnight
   * @param meanRate mean of the diurnal rate before bursts, requests per second
   * @param diurnalAmplitude relative amplitude A of {@code mean * (1 + A cos(2 pi (t - peak)/day))}
   *     (0.5: the peak is 3x the trough)
   * @param peakSecondOfDay time of day of the diurnal peak, seconds after midnight
   * @param gammaShape shape k of the Gamma inter-arrival times (in time rescaled by the rate); 1 =
   *     Poisson, below 1 burstier (coefficient of variation 1/sqrt(k))
   * @param burstsPerDay expected number of bursts per day (Poisson)
   * @param burstMinSeconds shortest burst, seconds
   * @param burstMaxSeconds longest burst, seconds
   * @param burstMinFactor lowest rate multiplier of a burst
   * @param burstMaxFactor highest rate multiplier of a burst
   * @param conversation the conversation class
   * @param coding the coding class
   * @param codingShareMin share of coding requests at its daily low
   * @param codingShareMax share of coding requests at its daily high
   * @param codingPeakSecondOfDay time of day of the highest coding share
   * @param maxPromptTokens prompts are clipped to this many tokens
   * @param maxOutputTokens outputs are clipped to this many tokens
   */
  public record Params(
      long seed,
      double durationSeconds,
      double startSecondOfDay,
      double meanRate,
      double diurnalAmplitude,
      double peakSecondOfDay,
      double gammaShape,
      double burstsPerDay,
      double burstMinSeconds,
      double burstMaxSeconds,
      double burstMinFactor,
      double burstMaxFactor,
      LengthMix conversation,
      LengthMix coding,
      double codingShareMin,
      double codingShareMax,
      double codingPeakSecondOfDay,
      int maxPromptTokens,
      int maxOutputTokens) {

    /** A day at a mean of 20 requests/s; see the class description for the sources. */
    public static final Params DEFAULT =
        new Params(
            20260101L,
            86_400,
            0,
            20,
            0.5,
            14 * 3600,
            0.5,
            8,
            120,
            600,
            1.5,
            3.0,
            new LengthMix(1020, 1.0, 129, 1.0),
            new LengthMix(1500, 0.9, 13, 1.3),
            0.2,
            0.6,
            13 * 3600,
            16_384,
            4_096);

    /** The same trace shape with another seed. */
    public Params withSeed(long newSeed) {
      return copy(newSeed, startSecondOfDay, durationSeconds, meanRate);
    }

    /** The same trace shape over another window and at another mean rate. */
    public Params window(double startSecondOfDay, double durationSeconds, double meanRate) {
      return copy(seed, startSecondOfDay, durationSeconds, meanRate);
    }

    private Params copy(long seed, double start, double duration, double rate) {
      return new Params(
          seed,
          duration,
          start,
          rate,
          diurnalAmplitude,
          peakSecondOfDay,
          gammaShape,
          burstsPerDay,
          burstMinSeconds,
          burstMaxSeconds,
          burstMinFactor,
          burstMaxFactor,
          conversation,
          coding,
          codingShareMin,
          codingShareMax,
          codingPeakSecondOfDay,
          maxPromptTokens,
          maxOutputTokens);
    }
  }

  private static final double DAY = 86_400;
  private final Params p;
  private final List<Burst> bursts;

  public Trace(Params p) {
    this.p = p;
    this.bursts = bursts(p);
  }

  public Params params() {
    return p;
  }

  /** The bursts of this trace, in seconds from the start of the trace. */
  public List<Burst> bursts() {
    return bursts;
  }

  /** The request rate at {@code t} seconds from the start of the trace, requests per second. */
  public double rate(double t) {
    double tod = p.startSecondOfDay() + t;
    double r =
        p.meanRate()
            * (1
                + p.diurnalAmplitude() * Math.cos(2 * Math.PI * (tod - p.peakSecondOfDay()) / DAY));
    for (Burst b : bursts) {
      if (t >= b.start() && t < b.start() + b.length()) {
        r *= b.factor();
      }
    }
    return Math.max(0, r);
  }

  /** Share of coding requests at {@code t} seconds from the start of the trace, 0..1. */
  public double codingShare(double t) {
    double tod = p.startSecondOfDay() + t;
    double mid = (p.codingShareMax() + p.codingShareMin()) / 2;
    double amp = (p.codingShareMax() - p.codingShareMin()) / 2;
    return mid + amp * Math.cos(2 * Math.PI * (tod - p.codingPeakSecondOfDay()) / DAY);
  }

  private static List<Burst> bursts(Params p) {
    SplittableRandom rnd = new SplittableRandom(p.seed() ^ 0x9E3779B97F4A7C15L);
    double expected = p.burstsPerDay() * p.durationSeconds() / DAY;
    int n = poisson(rnd, expected);
    List<Burst> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double len = uniform(rnd, p.burstMinSeconds(), p.burstMaxSeconds());
      double start = rnd.nextDouble() * Math.max(0, p.durationSeconds() - len);
      out.add(new Burst(start, len, uniform(rnd, p.burstMinFactor(), p.burstMaxFactor())));
    }
    out.sort((a, b) -> Double.compare(a.start(), b.start()));
    return List.copyOf(out);
  }

  /**
   * The requests in arrival order. Arrivals are a Gamma renewal process in time rescaled by the
   * integrated rate (time-rescaling: operational time {@code Lambda(t)} advances by Gamma(k, 1/k)
   * per request, so the mean rate follows {@link #rate} and the gaps keep the Gamma's variability).
   */
  @Override
  public Iterator<Request> iterator() {
    return new Iterator<>() {
      final SplittableRandom rnd = new SplittableRandom(p.seed());
      final double step = 1.0; // seconds per integration step of the rate
      double t = 0; // real time reached by the integration
      double lambdaAtT = 0; // integrated rate up to t
      double target = gamma(rnd, p.gammaShape()) / p.gammaShape(); // next arrival's Lambda
      long id = 0;
      Request next = advance();

      private Request advance() {
        while (lambdaAtT < target) {
          if (t >= p.durationSeconds()) {
            return null;
          }
          double r = rate(t);
          double inc = r * step;
          if (lambdaAtT + inc >= target && r > 0) {
            double dt = (target - lambdaAtT) / r;
            double arrival = t + dt;
            // Stay inside this step: the remaining part of the step is kept for the next arrival.
            lambdaAtT = target;
            t = arrival;
            return make(arrival);
          }
          lambdaAtT += inc;
          t += step;
        }
        return make(t);
      }

      private Request make(double arrival) {
        if (arrival >= p.durationSeconds()) {
          return null;
        }
        target = lambdaAtT + gamma(rnd, p.gammaShape()) / p.gammaShape();
        boolean coding = rnd.nextDouble() < codingShare(arrival);
        LengthMix m = coding ? p.coding() : p.conversation();
        int prompt = lognormal(rnd, m.promptMedian(), m.promptSigma(), p.maxPromptTokens());
        int output = lognormal(rnd, m.outputMedian(), m.outputSigma(), p.maxOutputTokens());
        return new Request(id++, arrival, prompt, output, coding);
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Request next() {
        if (next == null) {
          throw new NoSuchElementException();
        }
        Request r = next;
        next = advance();
        return r;
      }
    };
  }

  static int lognormal(SplittableRandom rnd, double median, double sigma, int max) {
    double v = median * Math.exp(sigma * rnd.nextGaussian());
    return (int) Math.max(1, Math.min(max, Math.round(v)));
  }

  static double uniform(SplittableRandom rnd, double lo, double hi) {
    return lo + (hi - lo) * rnd.nextDouble();
  }

  static int poisson(SplittableRandom rnd, double mean) {
    double l = Math.exp(-mean);
    int k = 0;
    double prod = rnd.nextDouble();
    while (prod > l) {
      k++;
      prod *= rnd.nextDouble();
    }
    return k;
  }

  /**
   * Gamma(shape, 1) by Marsaglia and Tsang's method ("A simple method for generating gamma
   * variables", ACM TOMS 26(3), 2000), with the boost {@code U^(1/k)} for shapes below 1.
   */
  static double gamma(SplittableRandom rnd, double shape) {
    if (shape < 1) {
      double u = rnd.nextDouble();
      return gamma(rnd, shape + 1) * Math.pow(u, 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x;
      double v;
      do {
        x = rnd.nextGaussian();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      double u = rnd.nextDouble();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return d * v;
      }
    }
  }
}
