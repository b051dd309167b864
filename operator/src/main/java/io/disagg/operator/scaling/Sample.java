package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.RouterLoad;
import io.disagg.operator.metrics.WorkerLoad;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A reading of one metric covering {@code instances} serving instances of a pool.
 *
 * <p>Source Pods: one sample per scraped worker and metric ({@code instances = 1}, see {@link
 * #fromWorker}). Source Router or Prometheus: one sample for the pool whose {@code value} is the
 * per-instance average and {@code instances} the instances it covers (normally the pool's ready
 * count). Instances of the pool without a fresh sample count as missing.
 *
 * @param type the metric
 * @param value per-instance average over the covered instances: requests per instance, or a
 *     fraction 0..1 for {@link AutoscalingMetricType#KvCacheUtilization}; not negative
 * @param instances instances the value covers, at least 1
 * @param sampledAt when it was read; older than {@link PoolPolicy#staleAfter()} means missing
 */
public record Sample(AutoscalingMetricType type, double value, int instances, Instant sampledAt) {
  public Sample {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(sampledAt, "sampledAt");
    if (!Double.isFinite(value) || value < 0) {
      throw new IllegalArgumentException(
          "value of " + type + " must be a finite number >= 0, is " + value);
    }
    if (instances < 1) {
      throw new IllegalArgumentException("instances must be at least 1, is " + instances);
    }
  }

  /** One instance's reading. */
  public static Sample of(AutoscalingMetricType type, double value, Instant sampledAt) {
    return new Sample(type, value, 1, sampledAt);
  }

  /**
   * The samples of one worker's scrape: one per metric the worker exports (a gauge it does not
   * export gives no sample, so the instance counts as missing for that metric). InFlightRequests is
   * running + waiting, present when either is.
   */
  public static List<Sample> fromWorker(WorkerLoad load, Instant sampledAt) {
    List<Sample> out = new ArrayList<>();
    if (load == null) {
      return out;
    }
    add(out, AutoscalingMetricType.WaitingRequests, load.waiting(), sampledAt);
    add(out, AutoscalingMetricType.RunningRequests, load.running(), sampledAt);
    add(out, AutoscalingMetricType.KvCacheUtilization, load.kvCacheUtilization(), sampledAt);
    if (load.running() != null || load.waiting() != null) {
      double r = load.running() == null ? 0 : load.running();
      double w = load.waiting() == null ? 0 : load.waiting();
      add(out, AutoscalingMetricType.InFlightRequests, r + w, sampledAt);
    }
    return out;
  }

  /**
   * The sample of source Router for one pool: the requests the router has in flight on the pool
   * ({@link RouterLoad}: total minus completed requests, summed over the router replicas) spread
   * over the pool's ready instances, as {@link AutoscalingMetricType#InFlightRequests}.
   *
   * @param readyInstances the pool's ready instances the router can send to (the drained ones
   *     excluded); with none there is no sample (nothing to divide by: the pool is held)
   * @return one sample, or none when the router did not report the pool or no instance is ready
   */
  public static List<Sample> fromRouter(
      RouterLoad load, Pool pool, int readyInstances, Instant sampledAt) {
    Double total =
        load == null
            ? null
            : pool == Pool.CONTEXT ? load.contextInFlight() : load.generationInFlight();
    return perInstance(
        AutoscalingMetricType.InFlightRequests,
        total == null ? null : total / Math.max(1, readyInstances),
        readyInstances,
        sampledAt);
  }

  /**
   * A pool-wide sample from a per-instance average (source Prometheus: the query's result),
   * covering the pool's ready instances.
   *
   * @param average per-instance average in the metric's unit; null, NaN, infinite or negative gives
   *     no sample
   * @param readyInstances instances the average stands for; 0 gives no sample
   */
  public static List<Sample> perInstance(
      AutoscalingMetricType type, Double average, int readyInstances, Instant sampledAt) {
    if (average == null || !Double.isFinite(average) || average < 0 || readyInstances < 1) {
      return List.of();
    }
    return List.of(new Sample(type, average, readyInstances, sampledAt));
  }

  private static void add(List<Sample> out, AutoscalingMetricType type, Double v, Instant at) {
    if (v != null && Double.isFinite(v) && v >= 0) {
      out.add(of(type, v, at));
    }
  }
}
