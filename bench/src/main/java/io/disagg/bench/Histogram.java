package io.disagg.bench;

/**
 * Quantiles of positive durations without keeping every value: log-spaced buckets 1 % wide from 0.1
 * ms to about 8 minutes (larger values go to the last bucket, zero and below to the first).
 */
final class Histogram {
  private static final double MIN = 1e-4;
  private static final double GROWTH = 1.01;
  private static final int BUCKETS = 1600;
  private final long[] counts = new long[BUCKETS];
  private long total;

  void add(double seconds) {
    int b =
        seconds <= MIN
            ? 0
            : (int) Math.min(BUCKETS - 1, Math.floor(Math.log(seconds / MIN) / Math.log(GROWTH)));
    counts[b]++;
    total++;
  }

  long count() {
    return total;
  }

  /** The q-quantile (0..1) in seconds, to within 1 %; NaN when empty. */
  double quantile(double q) {
    if (total == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += counts[b];
      if (seen >= rank) {
        return MIN * Math.pow(GROWTH, b + 1);
      }
    }
    return MIN * Math.pow(GROWTH, BUCKETS);
  }
}
