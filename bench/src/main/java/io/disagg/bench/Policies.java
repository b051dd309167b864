package io.disagg.bench;

import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.WorkerLoad;
import io.disagg.operator.scaling.Autoscaler;
import io.disagg.operator.scaling.ClusterPolicy;
import io.disagg.operator.scaling.PoolPolicy;
import io.disagg.operator.scaling.PoolState;
import io.disagg.operator.scaling.Sample;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The scalers the replay compares. */
public final class Policies {
  private Policies() {}

  /** Largest pool size the autoscaled policies may reach ({@code maxInstances}). */
  public static final int MAX_INSTANCES = 64;

  /** Fixed instance counts all day, loaded from the start. */
  public static Simulation.Policy fixed(String name, int context, int generation) {
    return new Simulation.Policy() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public double intervalSeconds() {
        return 15;
      }

      @Override
      public void init(Simulation sim) {
        sim.start(Pool.CONTEXT, context);
        sim.start(Pool.GENERATION, generation);
      }

      @Override
      public void tick(Simulation sim) {}
    };
  }

  /**
   * The oracle: at every minute boundary it runs the largest need of the minutes from now until one
   * model load time ahead, so each minute's need is ready when that minute starts (instances for
   * later minutes are loading); it drains what is no longer needed at once.
   */
  public static Simulation.Policy oracle() {
    return new Simulation.Policy() {
      @Override
      public String name() {
        return "oracle";
      }

      @Override
      public double intervalSeconds() {
        return 60;
      }

      private int ahead(Simulation sim) {
        return (int) Math.ceil(sim.params().modelLoadSeconds() / 60);
      }

      @Override
      public void init(Simulation sim) {
        for (Pool p : Pool.values()) {
          sim.start(p, sim.needs().peak(p, 0, ahead(sim)));
        }
      }

      @Override
      public void tick(Simulation sim) {
        int m = (int) Math.round(sim.now() / 60);
        for (Pool p : Pool.values()) {
          sim.setTarget(p, sim.needs().peak(p, m, m + ahead(sim)), Simulation.Removal.DRAIN);
        }
      }
    };
  }

  /** A pool spec as a user would write it: autoscaling on, TP from the serving parameters. */
  static PoolSpec spec(Pool pool, ServingParams sp, List<AutoscalingMetricSpec> metrics) {
    PoolSpec s = new PoolSpec();
    s.setMinimalInstances(1);
    s.setMaxInstances(MAX_INSTANCES);
    s.setTensorParallelSize(sp.gpusPerInstance());
    if (pool == Pool.GENERATION) {
      Map<String, Object> opts = new LinkedHashMap<>();
      opts.put(PoolPolicy.MAX_BATCH_SIZE, sp.maxBatchSize());
      s.setLlmApiOptions(opts);
    }
    PoolAutoscalingSpec a = new PoolAutoscalingSpec();
    a.setEnabled(true);
    if (metrics != null) {
      a.setMetrics(metrics);
    }
    s.setAutoscaling(a);
    return s;
  }

  /**
   * The operator's autoscaler with its defaults ({@link PoolPolicy#of} of a spec that only enables
   * autoscaling and sets {@code max_batch_size}), draining on scale-down, optionally with cluster
   * bounds.
   */
  public static Simulation.Policy operator(String name, ServingParams sp, ClusterPolicy cluster) {
    return new AutoscalerPolicy(
        name,
        PoolPolicy.of(Pool.CONTEXT, spec(Pool.CONTEXT, sp, null)),
        PoolPolicy.of(Pool.GENERATION, spec(Pool.GENERATION, sp, null)),
        cluster,
        Simulation.Removal.DRAIN);
  }

  /**
   * The operator's autoscaler with its defaults except the context pool's metric list, which is
   * replaced by one metric with the given target (for comparing settings; draining on scale-down).
   */
  public static Simulation.Policy operatorWithContextMetric(
      String name,
      ServingParams sp,
      AutoscalingMetricType type,
      double target,
      ClusterPolicy cluster) {
    return new AutoscalerPolicy(
        name,
        PoolPolicy.of(
            Pool.CONTEXT, spec(Pool.CONTEXT, sp, List.of(new AutoscalingMetricSpec(type, target)))),
        PoolPolicy.of(Pool.GENERATION, spec(Pool.GENERATION, sp, null)),
        cluster,
        Simulation.Removal.DRAIN);
  }

  /**
   * One HPA per pool on a single metric, requests in flight (running + waiting) per instance,
   * target 1 for context (the best of 1, 2, 3, 4 in the replay) and 0.8 * max_batch_size for
   * generation: HPA's algorithm (which the operator's autoscaler implements, so its code is used
   * with one metric per pool and no coupling), and a scale-down deletes pods instead of draining
   * them.
   */
  public static Simulation.Policy hpa(ServingParams sp) {
    List<AutoscalingMetricSpec> ctx =
        List.of(new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 1.0));
    List<AutoscalingMetricSpec> gen =
        List.of(
            new AutoscalingMetricSpec(
                AutoscalingMetricType.InFlightRequests, 0.8 * sp.maxBatchSize()));
    return new AutoscalerPolicy(
        "HPA per pool (InFlightRequests)",
        PoolPolicy.of(Pool.CONTEXT, spec(Pool.CONTEXT, sp, ctx)),
        PoolPolicy.of(Pool.GENERATION, spec(Pool.GENERATION, sp, gen)),
        ClusterPolicy.NONE,
        Simulation.Removal.KILL);
  }

  /** A clock the replay moves. */
  static final class SimClock extends Clock {
    static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
    private Instant now = EPOCH;

    void set(double seconds) {
      now = EPOCH.plusNanos((long) (seconds * 1e9));
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /**
   * Drives {@link Autoscaler#decide} as the operator's reconciler does: every evaluation interval,
   * per pool, one {@link Sample#fromWorker} per ready instance from its gauges (running, waiting,
   * KV-cache utilization), the ready count, the current target, and the state the last decision
   * returned.
   */
  static final class AutoscalerPolicy implements Simulation.Policy {
    private final String name;
    private final PoolPolicy context;
    private final PoolPolicy generation;
    private final ClusterPolicy cluster;
    private final Simulation.Removal removal;
    private final SimClock clock = new SimClock();
    private final Autoscaler autoscaler = new Autoscaler(clock);
    private final int[] target = new int[2];
    private final PoolState[] state = {PoolState.EMPTY, PoolState.EMPTY};

    AutoscalerPolicy(
        String name,
        PoolPolicy context,
        PoolPolicy generation,
        ClusterPolicy cluster,
        Simulation.Removal removal) {
      this.name = name;
      this.context = context;
      this.generation = generation;
      this.cluster = cluster;
      this.removal = removal;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public double intervalSeconds() {
      return context.evaluationInterval().toMillis() / 1000.0;
    }

    @Override
    public void init(Simulation sim) {
      for (Pool p : Pool.values()) {
        target[p.ordinal()] = Math.max(1, sim.needs().need(p, 0));
        sim.start(p, target[p.ordinal()]);
      }
    }

    @Override
    public void tick(Simulation sim) {
      clock.set(sim.now());
      Autoscaler.Decision d =
          autoscaler.decide(
              new Autoscaler.Input(
                  input(sim, Pool.CONTEXT, context),
                  input(sim, Pool.GENERATION, generation),
                  cluster));
      for (Pool p : Pool.values()) {
        Autoscaler.PoolDecision pd = d.of(p);
        state[p.ordinal()] = pd.state();
        target[p.ordinal()] = pd.replicas();
        sim.setTarget(p, pd.replicas(), removal);
      }
    }

    private Autoscaler.PoolInput input(Simulation sim, Pool pool, PoolPolicy policy) {
      List<Sample> samples = new ArrayList<>();
      List<Simulation.Instance> ready = sim.serving(pool);
      for (Simulation.Instance i : ready) {
        double[] g = i.gauges();
        samples.addAll(Sample.fromWorker(new WorkerLoad(g[0], g[1], g[2]), clock.instant()));
      }
      return new Autoscaler.PoolInput(
          policy,
          target[pool.ordinal()],
          ready.size(),
          0,
          null,
          sim.params().gpusPerInstance(),
          samples,
          state[pool.ordinal()]);
    }
  }
}
