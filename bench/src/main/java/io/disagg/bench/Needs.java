package io.disagg.bench;

import io.disagg.operator.core.Pool;

/**
 * The instances each minute's load needs, computed from the trace ahead of time: what an oracle
 * that knows the future would run, and the reference for "under-provisioned".
 *
 * <ul>
 *   <li>Context: the minute's prompt tokens per second over {@link #CONTEXT_UTILIZATION} of an
 *       instance's prefill rate (a first-come-first-served queue kept 20 % below saturation keeps
 *       the queueing delay short; assumed).
 *   <li>Generation, by Little's law: the requests (and the KV-cache tokens they reserve) that the
 *       minute's arrivals keep in decode at once are {@code sum(output - 1) * step(b) / 60} (and
 *       {@code sum((prompt + output) * (output - 1)) * step(b) / 60}), with {@code b} the batch per
 *       instance this count of instances gives; the count is the smallest that keeps both within
 *       {@link #GENERATION_UTILIZATION} of {@code max_batch_size} and of the KV cache (assumed).
 * </ul>
 *
 * Each pool needs at least one instance.
 */
public final class Needs {

  /** Share of a context instance's prefill rate the oracle plans to use. */
  public static final double CONTEXT_UTILIZATION = 0.8;

  /** Share of a generation instance's batch slots and KV cache the oracle plans to use. */
  public static final double GENERATION_UTILIZATION = 0.85;

  private final int[][] need;

  private Needs(int[][] need) {
    this.need = need;
  }

  /** Reads the trace once. */
  public static Needs of(Trace trace, ServingParams sp) {
    int minutes = (int) Math.ceil(trace.params().durationSeconds() / 60);
    double[] prompt = new double[minutes];
    double[] steps = new double[minutes];
    double[] kvSteps = new double[minutes];
    for (Trace.Request r : trace) {
      int m = Math.min(minutes - 1, (int) (r.arrival() / 60));
      prompt[m] += r.promptTokens();
      double s = Math.max(0, r.outputTokens() - 1);
      steps[m] += s;
      kvSteps[m] += s * ((double) r.promptTokens() + r.outputTokens());
    }
    int[][] need = new int[2][minutes];
    for (int m = 0; m < minutes; m++) {
      need[Pool.CONTEXT.ordinal()][m] =
          Math.max(
              1,
              (int)
                  Math.ceil(prompt[m] / 60 / (sp.prefillTokensPerSecond() * CONTEXT_UTILIZATION)));
      int n = 1;
      for (int it = 0; it < 50; it++) {
        double step = sp.decodeStep(1);
        double lr = steps[m] * step / 60;
        for (int k = 0; k < 5; k++) {
          double b = Math.min(sp.maxBatchSize(), Math.max(1, lr / n));
          step = sp.decodeStep((int) Math.ceil(b));
          lr = steps[m] * step / 60;
        }
        double lkv = kvSteps[m] * step / 60;
        int next =
            Math.max(
                1,
                (int)
                    Math.ceil(
                        Math.max(
                            lkv / (sp.kvCacheTokens() * GENERATION_UTILIZATION),
                            lr / (sp.maxBatchSize() * GENERATION_UTILIZATION))));
        if (next == n) {
          break;
        }
        n = next;
      }
      need[Pool.GENERATION.ordinal()][m] = n;
    }
    return new Needs(need);
  }

  public int minutes() {
    return need[0].length;
  }

  /** Instances the pool needs in minute {@code m} (clamped to the trace). */
  public int need(Pool pool, int m) {
    int[] n = need[pool.ordinal()];
    return n[Math.max(0, Math.min(n.length - 1, m))];
  }

  /** Highest need of the pool over the trace. */
  public int peak(Pool pool) {
    int p = 0;
    for (int n : need[pool.ordinal()]) {
      p = Math.max(p, n);
    }
    return p;
  }

  /** Mean need of the pool over the trace, rounded up. */
  public int mean(Pool pool) {
    double s = 0;
    for (int n : need[pool.ordinal()]) {
      s += n;
    }
    return (int) Math.ceil(s / minutes());
  }

  /** Highest need of the pool over minutes {@code [from, to]}. */
  public int peak(Pool pool, int from, int to) {
    int p = 0;
    for (int m = from; m <= to; m++) {
      p = Math.max(p, need(pool, m));
    }
    return p;
  }
}
