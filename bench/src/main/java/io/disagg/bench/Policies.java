package io.disagg.bench;

import io.disagg.operator.api.v1alpha1.AutoscalingBehavior;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.MetricsSource;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.PrometheusSourceSpec;
import io.disagg.operator.api.v1alpha1.ScalingRules;
import io.disagg.operator.core.Pool;
import io.disagg.operator.metrics.WorkerLoad;
import io.disagg.operator.scaling.Autoscaler;
import io.disagg.operator.scaling.ClusterPolicy;
import io.disagg.operator.scaling.MetricTarget;
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

  /**
   * The reactive oracle: the best a scaler can do that knows the present exactly but not the
   * future. At every minute boundary it knows that minute's need (the oracle's count) and runs
   * {@code ceil(headroom * need)} of the highest need of the last {@code holdMinutes} minutes and
   * this one, per pool; new instances serve after the model load time, as everyone's; it drains the
   * rest at once. Headroom and hold are what a reactive scaler can use to bridge the model load
   * time.
   *
   * @param contextHeadroom factor on the context pool's need, at least 1
   * @param generationHeadroom factor on the generation pool's need, at least 1
   * @param holdMinutes minutes a past need is kept (0: only the current minute's)
   */
  public static Simulation.Policy reactiveOracle(
      String name, double contextHeadroom, double generationHeadroom, int holdMinutes) {
    return new Simulation.Policy() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public double intervalSeconds() {
        return 60;
      }

      private int target(Simulation sim, Pool p, int m) {
        double h = p == Pool.CONTEXT ? contextHeadroom : generationHeadroom;
        int need = sim.needs().peak(p, Math.max(0, m - holdMinutes), m);
        return (int) Math.ceil(h * need - 1e-9);
      }

      @Override
      public void init(Simulation sim) {
        for (Pool p : Pool.values()) {
          sim.start(p, target(sim, p, 0));
        }
      }

      @Override
      public void tick(Simulation sim) {
        int m = (int) Math.round(sim.now() / 60);
        for (Pool p : Pool.values()) {
          sim.setTarget(p, target(sim, p, m), Simulation.Removal.DRAIN);
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
   * The operator's autoscaler with the given autoscaling settings per pool (metrics, tolerance,
   * behavior, source; null = the defaults), draining on scale-down. With source Prometheus (context
   * pool only) each metric's query must be one of {@link PromQuery}'s, which the replay answers as
   * a Prometheus server scraping every 15 s would.
   */
  public static Simulation.Policy operatorWith(
      String name,
      ServingParams sp,
      PoolAutoscalingSpec context,
      PoolAutoscalingSpec generation,
      ClusterPolicy cluster) {
    return new AutoscalerPolicy(
        name,
        PoolPolicy.of(Pool.CONTEXT, autoscaled(Pool.CONTEXT, sp, context)),
        PoolPolicy.of(Pool.GENERATION, autoscaled(Pool.GENERATION, sp, generation)),
        cluster,
        Simulation.Removal.DRAIN);
  }

  /** A pool spec with the given autoscaling settings (enabled), or the defaults when null. */
  private static PoolSpec autoscaled(Pool pool, ServingParams sp, PoolAutoscalingSpec autoscaling) {
    PoolSpec s = spec(pool, sp, null);
    if (autoscaling != null) {
      autoscaling.setEnabled(true);
      s.setAutoscaling(autoscaling);
    }
    return s;
  }

  /** Target of the tuned context pool's {@code InFlightRequests}, requests per instance. */
  static final double TUNED_CONTEXT_IN_FLIGHT = 1.2;

  /** Target of the tuned generation pool's {@code KvCacheUtilization}. */
  static final double TUNED_GENERATION_KV_CACHE = 0.4;

  /** Target of the tuned context pool's prompt-token rate, tokens/s per instance (50 %). */
  static final double TUNED_CONTEXT_PROMPT_TOKENS_PER_SECOND = 6000;

  /**
   * The operator's autoscaler with the context pool's default before this benchmark: {@code
   * WaitingRequests} target 2 (listed explicitly, so the row keeps meaning that).
   */
  public static Simulation.Policy previousDefaults(ServingParams sp) {
    return operatorWithContextMetric(
        "operator, previous defaults (context WaitingRequests 2)",
        sp,
        AutoscalingMetricType.WaitingRequests,
        2,
        ClusterPolicy.NONE);
  }

  /**
   * The best settings the replay found (docs/benchmarks.md, Findings): context {@code
   * InFlightRequests} 1.2 from the workers, scale-up by at most 100 % per 300 s (one model load),
   * scale-down window 600 s; generation {@code KvCacheUtilization} 0.4 and the default {@code
   * RunningRequests}, scale-down window 600 s.
   */
  public static Simulation.Policy tuned(ServingParams sp) {
    return operatorWith(
        "operator, tuned (ctx InFlight 1.2; gen KV 0.4)",
        sp,
        tunedContext(
            MetricsSource.Pods,
            List.of(
                new AutoscalingMetricSpec(
                    AutoscalingMetricType.InFlightRequests, TUNED_CONTEXT_IN_FLIGHT))),
        tunedGeneration(),
        ClusterPolicy.NONE);
  }

  /**
   * {@link #tuned} with the context pool read through source Prometheus: the workers' prompt-token
   * rate ({@link PromQuery#PROMPT_TOKENS_RATE}, target 6,000 tokens/s per instance = 50 % of the
   * prefill rate, under type {@code RunningRequests}: the operator has no type for a rate and with
   * source Prometheus the type only names the reading) and {@code InFlightRequests} 1.2 ({@link
   * PromQuery#IN_FLIGHT}).
   */
  public static Simulation.Policy tunedWithPromptTokens(ServingParams sp) {
    AutoscalingMetricSpec tokens =
        new AutoscalingMetricSpec(
            AutoscalingMetricType.RunningRequests, TUNED_CONTEXT_PROMPT_TOKENS_PER_SECOND);
    tokens.setQuery(PromQuery.PROMPT_TOKENS_RATE.promql);
    AutoscalingMetricSpec inFlight =
        new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, TUNED_CONTEXT_IN_FLIGHT);
    inFlight.setQuery(PromQuery.IN_FLIGHT.promql);
    return operatorWith(
        "operator, tuned + ctx prompt tokens/s (Prometheus)",
        sp,
        tunedContext(MetricsSource.Prometheus, List.of(tokens, inFlight)),
        tunedGeneration(),
        ClusterPolicy.NONE);
  }

  /**
   * The best settings found for short model loads (1 minute, {@code --load-minutes 1}): the context
   * pool through source Prometheus on the prompt-token rate (target 8,000 tokens/s per instance, 67
   * % of the prefill rate) and {@code InFlightRequests} 2, scale-up by at most 100 % per 60 s, the
   * default scale-down window; generation {@code KvCacheUtilization} 0.6 and the default {@code
   * RunningRequests}, scale-down window 600 s.
   */
  public static Simulation.Policy shortLoads(ServingParams sp) {
    AutoscalingMetricSpec tokens =
        new AutoscalingMetricSpec(AutoscalingMetricType.RunningRequests, 8000.0);
    tokens.setQuery(PromQuery.PROMPT_TOKENS_RATE.promql);
    AutoscalingMetricSpec inFlight =
        new AutoscalingMetricSpec(AutoscalingMetricType.InFlightRequests, 2.0);
    inFlight.setQuery(PromQuery.IN_FLIGHT.promql);
    PoolAutoscalingSpec ctx = tunedContext(MetricsSource.Prometheus, List.of(tokens, inFlight));
    ScalingRules up = new ScalingRules();
    up.setMaxPercentPerStep(100);
    up.setPeriodSeconds(60);
    ctx.setBehavior(behavior(up, null));
    PoolAutoscalingSpec gen = tunedGeneration();
    gen.setMetrics(
        List.of(
            new AutoscalingMetricSpec(AutoscalingMetricType.KvCacheUtilization, 0.6),
            new AutoscalingMetricSpec(AutoscalingMetricType.RunningRequests, null)));
    return operatorWith(
        "operator, short loads (ctx prompt tokens/s + InFlight 2; gen KV 0.6)",
        sp,
        ctx,
        gen,
        ClusterPolicy.NONE);
  }

  private static PoolAutoscalingSpec tunedContext(
      MetricsSource source, List<AutoscalingMetricSpec> metrics) {
    PoolAutoscalingSpec a = new PoolAutoscalingSpec();
    a.setSource(source);
    if (source == MetricsSource.Prometheus) {
      PrometheusSourceSpec prom = new PrometheusSourceSpec();
      prom.setUrl("http://prometheus.monitoring:9090");
      a.setPrometheus(prom);
    }
    a.setMetrics(metrics);
    ScalingRules up = new ScalingRules();
    up.setMaxPercentPerStep(100);
    up.setPeriodSeconds(300);
    a.setBehavior(behavior(up, 600));
    return a;
  }

  private static PoolAutoscalingSpec tunedGeneration() {
    PoolAutoscalingSpec a = new PoolAutoscalingSpec();
    a.setMetrics(
        List.of(
            new AutoscalingMetricSpec(
                AutoscalingMetricType.KvCacheUtilization, TUNED_GENERATION_KV_CACHE),
            new AutoscalingMetricSpec(AutoscalingMetricType.RunningRequests, null)));
    a.setBehavior(behavior(null, 600));
    return a;
  }

  /** Scale-up rules (null = defaults) and a scale-down window (null = the default 300 s). */
  private static AutoscalingBehavior behavior(ScalingRules up, Integer downWindowSeconds) {
    ScalingRules down = null;
    if (downWindowSeconds != null) {
      down = new ScalingRules();
      down.setStabilizationWindowSeconds(downWindowSeconds);
    }
    AutoscalingBehavior b = new AutoscalingBehavior();
    b.setScaleUp(up);
    b.setScaleDown(down);
    return b;
  }

  /**
   * The PromQL queries of the context pool (DisaggCluster {@code demo}) the replay can answer, as a
   * Prometheus server sees them: it scrapes the workers and the router every 15 s, the operator's
   * query at an evaluation sees the previous scrape (15 s old), and {@code rate(...[1m])} is the
   * counter's increase over the last four scrape intervals, per second. Each result is a
   * per-instance average, as source Prometheus expects.
   */
  public enum PromQuery {
    /** Running + waiting requests per context instance: the gauges of each worker, averaged. */
    IN_FLIGHT(
        "avg(trtllm_num_requests_running{pod=~\"demo-context-[0-9]+\"}"
            + " + trtllm_num_requests_waiting{pod=~\"demo-context-[0-9]+\"})"),
    /**
     * Prompt tokens prefilled per second per context instance, from the workers' counter {@code
     * trtllm_prompt_tokens_total} ({@link Simulation#contextPromptTokensDone}): the load below
     * saturation, the capacity above it.
     */
    PROMPT_TOKENS_RATE(
        "sum(rate(trtllm_prompt_tokens_total{pod=~\"demo-context-[0-9]+\"}[1m]))"
            + " / count(trtllm_num_requests_running{pod=~\"demo-context-[0-9]+\"})"),
    /**
     * Requests per second the router sends to the context pool, per context instance, from the
     * router's counter {@code ctx_total_requests_total} ({@link Simulation#contextRequestsSent}):
     * the arrival rate, on both sides of saturation.
     */
    ROUTER_REQUEST_RATE(
        "sum(rate(ctx_total_requests_total{job=\"demo-router\"}[1m]))"
            + " / count(trtllm_num_requests_running{pod=~\"demo-context-[0-9]+\"})");

    /** The query a user would write into {@code metrics[].query}. */
    public final String promql;

    PromQuery(String promql) {
      this.promql = promql;
    }

    static PromQuery of(String promql) {
      for (PromQuery q : values()) {
        if (q.promql.equals(promql)) {
          return q;
        }
      }
      throw new IllegalArgumentException("the replay cannot answer the query " + promql);
    }
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

    /** Prometheus' scrapes of the context pool, one per evaluation: see {@link PromQuery}. */
    private final List<double[]> scrapes = new ArrayList<>();

    /** Scrape intervals a {@code rate(...[1m])} spans. */
    private static final int RATE_SCRAPES = 4;

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
      List<Simulation.Instance> ready = sim.serving(Pool.CONTEXT);
      double inFlight = 0;
      for (Simulation.Instance i : ready) {
        double[] g = i.gauges();
        inFlight += g[0] + g[1];
      }
      scrapes.add(
          new double[] {
            sim.contextPromptTokensDone(),
            sim.contextRequestsSent(),
            ready.isEmpty() ? Double.NaN : inFlight / ready.size(),
            ready.size()
          });
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
      if (policy.source() == MetricsSource.Prometheus) {
        for (MetricTarget m : policy.metrics()) {
          samples.addAll(
              Sample.perInstance(
                  m.type(), prometheus(PromQuery.of(m.query())), ready.size(), clock.instant()));
        }
      } else {
        for (Simulation.Instance i : ready) {
          double[] g = i.gauges();
          samples.addAll(Sample.fromWorker(new WorkerLoad(g[0], g[1], g[2]), clock.instant()));
        }
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

    /** The query's answer at this evaluation (the previous scrape); null when there is none. */
    private Double prometheus(PromQuery q) {
      int last = scrapes.size() - 2;
      if (last < 0) {
        return null;
      }
      double[] s = scrapes.get(last);
      double pods = s[3];
      if (pods < 1) {
        return null;
      }
      if (q == PromQuery.IN_FLIGHT) {
        return s[2];
      }
      int from = Math.max(0, last - RATE_SCRAPES);
      if (from == last) {
        return null;
      }
      double seconds = (last - from) * intervalSeconds();
      int k = q == PromQuery.PROMPT_TOKENS_RATE ? 0 : 1;
      return (s[k] - scrapes.get(from)[k]) / seconds / pods;
    }
  }
}
