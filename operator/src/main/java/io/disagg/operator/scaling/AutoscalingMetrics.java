package io.disagg.operator.scaling;

import io.disagg.operator.core.Pool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The autoscaler's operator metrics (Prometheus names after the registry's conversion):
 *
 * <ul>
 *   <li>{@code disagg_autoscaling_observed_load{namespace,name,pool,metric}}: per-instance average
 *       of the metric at the last evaluation (NaN without a fresh sample);
 *   <li>{@code disagg_autoscaling_target{namespace,name,pool,metric}}: its target;
 *   <li>{@code disagg_autoscaling_desired_replicas{namespace,name,pool}}: instances decided;
 *   <li>{@code disagg_autoscaling_decisions_total{namespace,name,pool,direction}}: decisions that
 *       changed the target, direction {@code up} or {@code down}.
 * </ul>
 *
 * <p>The meters of a DisaggCluster live until it is deleted ({@link #remove}); those of a pool
 * whose autoscaling is turned off until {@link #removePool}.
 */
public final class AutoscalingMetrics {

  public static final String OBSERVED_LOAD = "disagg.autoscaling.observed.load";
  public static final String TARGET = "disagg.autoscaling.target";
  public static final String DESIRED_REPLICAS = "disagg.autoscaling.desired.replicas";
  public static final String DECISIONS = "disagg.autoscaling.decisions";

  private final MeterRegistry registry;
  private final Map<Tags, double[]> gauges = new ConcurrentHashMap<>();

  public AutoscalingMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** Records one evaluation of a pool. */
  public void record(String namespace, String name, Autoscaler.PoolDecision d) {
    if (!d.enabled()) {
      return;
    }
    Tags pool = Tags.of("namespace", namespace, "name", name, "pool", d.pool().id());
    set(DESIRED_REPLICAS, pool, d.replicas());
    for (Autoscaler.MetricReading r : d.observed()) {
      Tags m = pool.and("metric", r.type().name());
      set(OBSERVED_LOAD, m, r.average() == null ? Double.NaN : r.average());
      set(TARGET, m, r.target());
    }
    if (d.changed()) {
      Counter.builder(DECISIONS)
          .description("Autoscaling decisions that changed a pool's target")
          .tags(pool.and("direction", d.replicas() > d.currentReplicas() ? "up" : "down"))
          .register(registry)
          .increment();
    }
  }

  /**
   * Removes every meter of the DisaggCluster {@code namespace/name} (gauges and decision counters),
   * e.g. when it is deleted. Meters of other clusters are kept. Idempotent.
   *
   * @return the number of meters removed
   */
  public int remove(String namespace, String name) {
    return removeMatching(namespace, name, null);
  }

  /**
   * Removes the meters of one pool of a DisaggCluster (its autoscaling was turned off). Idempotent.
   */
  public int removePool(String namespace, String name, Pool pool) {
    return removeMatching(namespace, name, pool.id());
  }

  private int removeMatching(String namespace, String name, String pool) {
    gauges.keySet().removeIf(t -> matches(t, namespace, name, pool));
    List<Meter> mine = new ArrayList<>();
    for (Meter m : registry.getMeters()) {
      String meter = m.getId().getName();
      if ((meter.equals(OBSERVED_LOAD)
              || meter.equals(TARGET)
              || meter.equals(DESIRED_REPLICAS)
              || meter.equals(DECISIONS))
          && matches(Tags.of(m.getId().getTags()), namespace, name, pool)) {
        mine.add(m);
      }
    }
    mine.forEach(registry::remove);
    return mine.size();
  }

  private static boolean matches(Tags tags, String namespace, String name, String pool) {
    String ns = null;
    String n = null;
    String p = null;
    for (Tag t : tags) {
      switch (t.getKey()) {
        case "namespace" -> ns = t.getValue();
        case "name" -> n = t.getValue();
        case "pool" -> p = t.getValue();
        default -> {}
      }
    }
    return java.util.Objects.equals(ns, namespace)
        && java.util.Objects.equals(n, name)
        && (pool == null || pool.equals(p));
  }

  private void set(String meter, Tags tags, double value) {
    double[] holder =
        gauges.computeIfAbsent(
            tags.and("__meter", meter),
            k -> {
              double[] h = {Double.NaN};
              Gauge.builder(meter, h, x -> x[0]).tags(tags).register(registry);
              return h;
            });
    holder[0] = value;
  }
}
