package io.disagg.bench;

import io.disagg.operator.core.Pool;

/** What one policy did over the trace. Arrays indexed by minute or by {@link Pool#ordinal()}. */
public final class Result {
  final String policy;
  final int minutes;
  final long[] arrivals;
  final long[] completed;
  final long[] withinSlo;
  final long[] lostByMinute;
  long lost;
  double gpuSeconds;
  final double[] gpuSecondsByPool = new double[2];
  final int[] scaleEvents = new int[2];
  final double[] underProvisionedSeconds = new double[2];
  final int[][] instances;
  final Histogram ttft = new Histogram();
  final Histogram tpot = new Histogram();

  Result(String policy, int minutes) {
    this.policy = policy;
    this.minutes = minutes;
    this.arrivals = new long[minutes];
    this.completed = new long[minutes];
    this.withinSlo = new long[minutes];
    this.lostByMinute = new long[minutes];
    this.instances = new int[2][minutes];
  }

  public String policy() {
    return policy;
  }

  public double gpuHours() {
    return gpuSeconds / 3600;
  }

  public long requests() {
    long n = 0;
    for (long a : arrivals) {
      n += a;
    }
    return n;
  }

  /** Share of all arrived requests that completed within both SLO targets, 0..1. */
  public double sloAttainment() {
    long ok = 0;
    for (long w : withinSlo) {
      ok += w;
    }
    long n = requests();
    return n == 0 ? 1 : (double) ok / n;
  }

  /** SLO attainment of the requests that arrived in minute {@code m}. */
  public double sloAttainment(int m) {
    return arrivals[m] == 0 ? 1 : (double) withinSlo[m] / arrivals[m];
  }

  /** GPU-hours of one pool. */
  public double gpuHours(Pool pool) {
    return gpuSecondsByPool[pool.ordinal()] / 3600;
  }

  public int scaleEvents(Pool pool) {
    return scaleEvents[pool.ordinal()];
  }

  /** Time during which the pool had fewer ready instances than the minute's load needs, hours. */
  public double underProvisionedHours(Pool pool) {
    return underProvisionedSeconds[pool.ordinal()] / 3600;
  }

  public long lost() {
    return lost;
  }

  public double ttftQuantile(double q) {
    return ttft.quantile(q);
  }

  public double tpotQuantile(double q) {
    return tpot.quantile(q);
  }

  /** Most instances of the pool (loading, serving or draining) seen in minute {@code m}. */
  public int instances(Pool pool, int m) {
    return instances[pool.ordinal()][m];
  }
}
