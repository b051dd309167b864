package io.disagg.operator.autoscaling;

import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.metrics.WorkerLoad;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A reading of one metric covering {@code instances} serving instances of a pool.
 *
 * <p>Source Pods: one sample per scraped worker and metric ({@code instances = 1}, see
 * {@link #fromWorker}). Source Router or Prometheus: one sample for the pool whose
 * {@code value} is the per-instance average and {@code instances} the instances it covers
 * (normally the pool's ready count). Instances of the pool without a fresh sample count as
 * missing.
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
      throw new IllegalArgumentException("value of " + type + " must be a finite number >= 0, is " + value);
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
   * export gives no sample, so the instance counts as missing for that metric). InFlightRequests
   * is running + waiting, present when either is.
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

  private static void add(List<Sample> out, AutoscalingMetricType type, Double v, Instant at) {
    if (v != null && Double.isFinite(v) && v >= 0) {
      out.add(of(type, v, at));
    }
  }
}
