package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.AutoscalingBehavior;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.api.v1alpha1.MetricsSource;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.ScalingRules;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The autoscaling settings of one pool with every default resolved.
 *
 * @param enabled whether the pool is autoscaled; when false the autoscaler keeps its current count
 * @param minimalInstances floor, instances
 * @param maxInstances ceiling, instances (at least {@code minimalInstances})
 * @param metrics signals and per-instance targets; the largest recommendation wins
 * @param tolerance relative deviation from a target that is ignored (0.1 = 10%)
 * @param scaleUp rules for adding instances
 * @param scaleDown rules for removing instances
 * @param evaluationInterval time between evaluations; samples older than {@value
 *     Autoscaler#STALE_AFTER_INTERVALS} intervals count as missing
 * @param source where the samples come from (informational for the autoscaler itself)
 * @param prometheusUrl base URL of Prometheus for source Prometheus, else null
 */
public record PoolPolicy(
    boolean enabled,
    int minimalInstances,
    int maxInstances,
    List<MetricTarget> metrics,
    double tolerance,
    StepRules scaleUp,
    StepRules scaleDown,
    Duration evaluationInterval,
    MetricsSource source,
    String prometheusUrl) {

  /**
   * Default target of a listed {@link AutoscalingMetricType#WaitingRequests} without a target:
   * queued requests per instance. Not a pool's default metric: a queue is empty at any adequate
   * size, so alone it cannot say how many instances are enough (docs/benchmarks.md).
   */
  public static final double DEFAULT_WAITING_REQUESTS = 2.0;

  /**
   * Target of the context pool's default metric, {@link AutoscalingMetricType#InFlightRequests}:
   * about one prompt queued or being prefilled per instance, i.e. each instance busy most of the
   * time. Proportional to the load below saturation (Little's law: arrival rate per instance times
   * time in the instance) whatever the model, unlike the queue alone. The replay of
   * docs/benchmarks.md gives 97.3 % SLO attainment at 2.1x the oracle's GPU-hours with it, against
   * 74 % at 10x with {@code WaitingRequests} 2, the default before.
   */
  public static final double DEFAULT_CONTEXT_IN_FLIGHT_REQUESTS = 1.0;

  /**
   * Default target of {@link AutoscalingMetricType#KvCacheUtilization}: fraction of KV-cache blocks
   * in use.
   */
  public static final double DEFAULT_KV_CACHE_UTILIZATION = 0.8;

  /**
   * Default target of {@link AutoscalingMetricType#RunningRequests}, as a fraction of {@code
   * max_batch_size}.
   */
  public static final double DEFAULT_RUNNING_FRACTION_OF_MAX_BATCH = 0.8;

  /** Default tolerance, as HPA's. */
  public static final double DEFAULT_TOLERANCE = 0.1;

  /** Default evaluation interval, as HPA's sync period. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(15);

  /** LLM-API option whose value bounds the running requests of an instance. */
  public static final String MAX_BATCH_SIZE = "max_batch_size";

  public PoolPolicy {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(scaleUp, "scaleUp");
    Objects.requireNonNull(scaleDown, "scaleDown");
    Objects.requireNonNull(evaluationInterval, "evaluationInterval");
    if (minimalInstances < 0 || maxInstances < minimalInstances) {
      throw new IllegalArgumentException(
          "need 0 <= minimalInstances <= maxInstances, have "
              + minimalInstances
              + ".."
              + maxInstances);
    }
    if (evaluationInterval.isNegative() || evaluationInterval.isZero()) {
      throw new IllegalArgumentException("evaluationInterval must be positive");
    }
    metrics = List.copyOf(metrics);
  }

  /** A policy that keeps the pool as it is (autoscaling disabled). */
  public static PoolPolicy disabled(int minimalInstances, int maxInstances) {
    return new PoolPolicy(
        false,
        minimalInstances,
        Math.max(minimalInstances, maxInstances),
        List.of(),
        DEFAULT_TOLERANCE,
        StepRules.DEFAULT_UP,
        StepRules.DEFAULT_DOWN,
        DEFAULT_INTERVAL,
        MetricsSource.Pods,
        null);
  }

  /** How old a sample may be before it counts as missing. */
  public Duration staleAfter() {
    return evaluationInterval.multipliedBy(Autoscaler.STALE_AFTER_INTERVALS);
  }

  /**
   * Resolves the pool's spec. Metrics whose target cannot be resolved (RunningRequests without
   * target and without {@code llmApiOptions.max_batch_size}) are left out; {@link #problems}
   * reports them.
   */
  public static PoolPolicy of(Pool pool, PoolSpec spec) {
    int min = spec.getMinimalInstances();
    int max =
        spec.getMaxInstances() != null
            ? spec.getMaxInstances()
            : Math.max(min, spec.getReplicas() != null ? spec.getReplicas() : min);
    max = Math.max(min, max);
    PoolAutoscalingSpec a = spec.getAutoscaling();
    if (a == null || !a.isEnabled()) {
      return disabled(min, max);
    }
    List<MetricTarget> metrics = new ArrayList<>();
    for (AutoscalingMetricSpec m : effectiveMetrics(pool, spec)) {
      Double target = target(m, spec);
      if (m.getType() != null && target != null && target > 0) {
        metrics.add(new MetricTarget(m.getType(), target, blankToNull(m.getQuery())));
      }
    }
    AutoscalingBehavior b = a.getBehavior() != null ? a.getBehavior() : new AutoscalingBehavior();
    MetricsSource source = a.getSource() != null ? a.getSource() : MetricsSource.Pods;
    double tolerance =
        Double.isFinite(a.getTolerance())
            ? Math.max(0, Math.min(1, a.getTolerance()))
            : DEFAULT_TOLERANCE;
    return new PoolPolicy(
        true,
        min,
        max,
        metrics,
        tolerance,
        rules(b.getScaleUp(), StepRules.DEFAULT_UP, false),
        rules(b.getScaleDown(), StepRules.DEFAULT_DOWN, true),
        Duration.ofSeconds(Math.max(1, a.getEvaluationIntervalSeconds())),
        source,
        a.getPrometheus() != null ? blankToNull(a.getPrometheus().getUrl()) : null);
  }

  /**
   * The metrics a pool uses: the listed ones, or the pool's defaults. Context: InFlightRequests,
   * target {@value #DEFAULT_CONTEXT_IN_FLIGHT_REQUESTS} (prompts queued or being prefilled drive
   * time to first token; see {@link #DEFAULT_CONTEXT_IN_FLIGHT_REQUESTS}). Generation:
   * KvCacheUtilization and, when {@code llmApiOptions.max_batch_size} is set, RunningRequests
   * (KV-cache occupancy and batch size drive time per output token).
   */
  public static List<AutoscalingMetricSpec> effectiveMetrics(Pool pool, PoolSpec spec) {
    PoolAutoscalingSpec a = spec.getAutoscaling();
    if (a != null && a.getMetrics() != null && !a.getMetrics().isEmpty()) {
      return a.getMetrics().stream().filter(Objects::nonNull).toList();
    }
    if (pool == Pool.CONTEXT) {
      return List.of(
          new AutoscalingMetricSpec(
              AutoscalingMetricType.InFlightRequests, DEFAULT_CONTEXT_IN_FLIGHT_REQUESTS));
    }
    List<AutoscalingMetricSpec> out = new ArrayList<>();
    out.add(new AutoscalingMetricSpec(AutoscalingMetricType.KvCacheUtilization, null));
    if (maxBatchSize(spec) != null) {
      out.add(new AutoscalingMetricSpec(AutoscalingMetricType.RunningRequests, null));
    }
    return out;
  }

  /** The metric's target, or its default; null when there is none. */
  static Double target(AutoscalingMetricSpec m, PoolSpec spec) {
    if (m.getTarget() != null) {
      return m.getTarget();
    }
    if (m.getType() == null) {
      return null;
    }
    return switch (m.getType()) {
      case WaitingRequests -> DEFAULT_WAITING_REQUESTS;
      case KvCacheUtilization -> DEFAULT_KV_CACHE_UTILIZATION;
      case RunningRequests -> {
        Integer mbs = maxBatchSize(spec);
        yield mbs == null ? null : Math.max(1.0, DEFAULT_RUNNING_FRACTION_OF_MAX_BATCH * mbs);
      }
      case InFlightRequests -> null;
    };
  }

  /** {@code llmApiOptions.max_batch_size} when it is a positive whole number, else null. */
  static Integer maxBatchSize(PoolSpec spec) {
    Map<String, Object> opts = spec.getLlmApiOptions();
    Object v = opts == null ? null : opts.get(MAX_BATCH_SIZE);
    try {
      double d =
          v instanceof Number n
              ? n.doubleValue()
              : v instanceof String s ? Double.parseDouble(s.strip()) : Double.NaN;
      return d >= 1 && d <= Integer.MAX_VALUE && d == Math.rint(d) ? (int) d : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static StepRules rules(ScalingRules r, StepRules def, boolean down) {
    if (r == null) {
      return def;
    }
    Duration window =
        r.getStabilizationWindowSeconds() != null
            ? Duration.ofSeconds(Math.max(0, r.getStabilizationWindowSeconds()))
            : def.stabilizationWindow();
    Integer n = positive(r.getMaxInstancesPerStep());
    Integer pct = positive(r.getMaxPercentPerStep());
    if (n == null && pct == null) {
      n = def.maxInstancesPerStep();
      pct = def.maxPercentPerStep();
    }
    if (down && pct != null) {
      pct = Math.min(100, pct);
    }
    return new StepRules(window, n, pct, Duration.ofSeconds(Math.max(1, r.getPeriodSeconds())));
  }

  /**
   * What is wrong with the pool's autoscaling settings, with the field named. Repeats the CRD's CEL
   * rules (a CRD installed without validation must not make the operator guess) and adds what CEL
   * cannot see (llmApiOptions is a free-form map).
   */
  public static List<SpecProblem> problems(Pool pool, PoolSpec spec) {
    List<SpecProblem> out = new ArrayList<>();
    PoolAutoscalingSpec a = spec.getAutoscaling();
    String base = "spec." + pool.id() + ".autoscaling";
    if (a == null || !a.isEnabled()) {
      return out;
    }
    if (spec.getMaxInstances() == null) {
      out.add(
          SpecProblem.error(
              "spec." + pool.id() + ".maxInstances",
              "is required with autoscaling.enabled: the autoscaler's ceiling"));
    }
    MetricsSource source = a.getSource() != null ? a.getSource() : MetricsSource.Pods;
    List<AutoscalingMetricSpec> listed = a.getMetrics() == null ? List.of() : a.getMetrics();
    Set<AutoscalingMetricType> seen = new HashSet<>();
    for (int i = 0; i < listed.size(); i++) {
      AutoscalingMetricSpec m = listed.get(i);
      String path = base + ".metrics[" + i + "]";
      if (m == null || m.getType() == null) {
        out.add(SpecProblem.error(path + ".type", "is required"));
        continue;
      }
      if (!seen.add(m.getType())) {
        out.add(SpecProblem.error(path + ".type", m.getType() + " is listed twice"));
      }
      if (m.getTarget() != null && !(m.getTarget() > 0)) {
        out.add(SpecProblem.error(path + ".target", "must be greater than 0"));
      } else if (m.getType() == AutoscalingMetricType.KvCacheUtilization
          && m.getTarget() != null
          && m.getTarget() > 1) {
        out.add(
            SpecProblem.error(
                path + ".target",
                "is a fraction of the KV-cache blocks: at most 1 (e.g. 0.8), is " + m.getTarget()));
      } else if (target(m, spec) == null) {
        out.add(
            SpecProblem.error(
                path + ".target",
                m.getType() == AutoscalingMetricType.RunningRequests
                    ? "is required for RunningRequests unless spec."
                        + pool.id()
                        + ".llmApiOptions.max_batch_size is set (default target: "
                        + DEFAULT_RUNNING_FRACTION_OF_MAX_BATCH
                        + " * max_batch_size)"
                    : "is required for "
                        + m.getType()
                        + ": no default fits both pools (context about "
                        + Autoscaler.num(DEFAULT_CONTEXT_IN_FLIGHT_REQUESTS)
                        + ", the target of its default metric; generation a batch, e.g. "
                        + DEFAULT_RUNNING_FRACTION_OF_MAX_BATCH
                        + " * max_batch_size)"));
      }
      if (source == MetricsSource.Router && m.getType() != AutoscalingMetricType.InFlightRequests) {
        out.add(
            SpecProblem.error(
                path + ".type",
                "source Router provides only InFlightRequests (requests the router sent"
                    + " to the pool minus those completed), not "
                    + m.getType()));
      }
      if (source == MetricsSource.Prometheus && blank(m.getQuery())) {
        out.add(
            SpecProblem.error(
                path + ".query",
                "is required with source Prometheus: a PromQL query returning the"
                    + " per-instance average"));
      }
      if (source != MetricsSource.Prometheus && !blank(m.getQuery())) {
        out.add(SpecProblem.error(path + ".query", "is only used with source Prometheus"));
      }
    }
    if (listed.isEmpty() && source != MetricsSource.Pods) {
      out.add(
          SpecProblem.error(
              base + ".metrics",
              "must be listed with source "
                  + source
                  + (source == MetricsSource.Router
                      ? " (type InFlightRequests with a target)"
                      : " (each with a query)")));
    }
    if (source == MetricsSource.Prometheus
        && (a.getPrometheus() == null || blank(a.getPrometheus().getUrl()))) {
      out.add(SpecProblem.error(base + ".prometheus.url", "is required with source Prometheus"));
    }
    if (listed.isEmpty() && pool == Pool.GENERATION && maxBatchSize(spec) == null) {
      out.add(
          SpecProblem.warning(
              base + ".metrics",
              "default RunningRequests is not used because"
                  + " spec.generation.llmApiOptions.max_batch_size is unset: scaling follows KvCacheUtilization only;"
                  + " set max_batch_size or list RunningRequests with a target"));
    }
    return out;
  }

  private static Integer positive(Integer v) {
    return v != null && v > 0 ? v : null;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String blankToNull(String s) {
    return blank(s) ? null : s.strip();
  }
}
