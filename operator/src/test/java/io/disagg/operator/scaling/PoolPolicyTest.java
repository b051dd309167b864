package io.disagg.operator.scaling;

import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.InFlightRequests;
import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.KvCacheUtilization;
import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.RunningRequests;
import static io.disagg.operator.api.v1alpha1.AutoscalingMetricType.WaitingRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.disagg.operator.api.v1alpha1.AutoscalingMetricSpec;
import io.disagg.operator.api.v1alpha1.ClusterAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.ContextGenerationRatioSpec;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.MetricsSource;
import io.disagg.operator.api.v1alpha1.PoolAutoscalingSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.PrometheusSourceSpec;
import io.disagg.operator.api.v1alpha1.ScalingRules;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.core.SpecProblem.Severity;
import io.disagg.operator.metrics.WorkerLoad;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolPolicyTest {

  static PoolSpec enabled(int min, Integer max) {
    PoolSpec p = new PoolSpec();
    p.setMinimalInstances(min);
    p.setMaxInstances(max);
    PoolAutoscalingSpec a = new PoolAutoscalingSpec();
    a.setEnabled(true);
    p.setAutoscaling(a);
    return p;
  }

  @Test
  void contextDefaultsToInFlightRequestsOneAndHpaBehavior() {
    PoolPolicy p = PoolPolicy.of(Pool.CONTEXT, enabled(1, 8));
    assertThat(p.enabled()).isTrue();
    assertThat(p.metrics()).containsExactly(new MetricTarget(InFlightRequests, 1.0, null));
    assertThat(p.tolerance()).isEqualTo(0.1);
    assertThat(p.evaluationInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(p.staleAfter()).isEqualTo(Duration.ofSeconds(45));
    assertThat(p.scaleUp()).isEqualTo(new StepRules(Duration.ZERO, 4, 100, Duration.ofSeconds(15)));
    assertThat(p.scaleDown())
        .isEqualTo(new StepRules(Duration.ofSeconds(300), null, 100, Duration.ofSeconds(15)));
    assertThat(p.source()).isEqualTo(MetricsSource.Pods);
    assertThat(PoolPolicy.problems(Pool.CONTEXT, enabled(1, 8))).isEmpty();
  }

  @Test
  void generationDefaultsToKvCacheAndRunningRequestsFromMaxBatchSize() {
    PoolSpec spec = enabled(1, 8);
    spec.setLlmApiOptions(new LinkedHashMap<>(Map.of("max_batch_size", 128)));
    assertThat(PoolPolicy.of(Pool.GENERATION, spec).metrics())
        .containsExactly(
            new MetricTarget(KvCacheUtilization, 0.8, null),
            new MetricTarget(RunningRequests, 0.8 * 128, null));
    assertThat(PoolPolicy.problems(Pool.GENERATION, spec)).isEmpty();
  }

  @Test
  void generationWithoutMaxBatchSizeUsesKvCacheOnlyAndWarns() {
    PoolSpec spec = enabled(1, 8);
    assertThat(PoolPolicy.of(Pool.GENERATION, spec).metrics())
        .containsExactly(new MetricTarget(KvCacheUtilization, 0.8, null));
    assertThat(PoolPolicy.problems(Pool.GENERATION, spec))
        .extracting(SpecProblem::field, SpecProblem::severity)
        .containsExactly(tuple("spec.generation.autoscaling.metrics", Severity.WARNING));
  }

  @Test
  void listedMetricsReplaceTheDefaults() {
    PoolSpec spec = enabled(1, 8);
    spec.getAutoscaling()
        .setMetrics(
            List.of(
                new AutoscalingMetricSpec(RunningRequests, 32.0),
                new AutoscalingMetricSpec(KvCacheUtilization, null)));
    assertThat(PoolPolicy.of(Pool.GENERATION, spec).metrics())
        .containsExactly(
            new MetricTarget(RunningRequests, 32, null),
            new MetricTarget(KvCacheUtilization, 0.8, null));
  }

  @Test
  void aListedWaitingRequestsWithoutTargetKeepsItsDefaultTwoOnTheContextPool() {
    PoolSpec spec = enabled(1, 8);
    spec.getAutoscaling().setMetrics(List.of(new AutoscalingMetricSpec(WaitingRequests, null)));
    assertThat(PoolPolicy.of(Pool.CONTEXT, spec).metrics())
        .containsExactly(new MetricTarget(WaitingRequests, 2.0, null));
    assertThat(PoolPolicy.problems(Pool.CONTEXT, spec)).isEmpty();
  }

  @Test
  void behaviorOverridesAndStepLimitDefaultsLikeHpa() {
    PoolSpec spec = enabled(1, 8);
    ScalingRules up = new ScalingRules();
    up.setMaxPercentPerStep(50); // only a percentage: the default instance limit no longer applies
    up.setPeriodSeconds(60);
    ScalingRules down = new ScalingRules();
    down.setStabilizationWindowSeconds(600);
    down.setMaxPercentPerStep(300); // more than 100% cannot be removed
    spec.getAutoscaling().getBehavior().setScaleUp(up);
    spec.getAutoscaling().getBehavior().setScaleDown(down);
    PoolPolicy p = PoolPolicy.of(Pool.CONTEXT, spec);
    assertThat(p.scaleUp())
        .isEqualTo(new StepRules(Duration.ZERO, null, 50, Duration.ofSeconds(60)));
    assertThat(p.scaleDown())
        .isEqualTo(new StepRules(Duration.ofSeconds(600), null, 100, Duration.ofSeconds(15)));
  }

  @Test
  void disabledKeepsTheBounds() {
    PoolSpec spec = new PoolSpec();
    spec.setMinimalInstances(2);
    spec.setReplicas(3);
    PoolPolicy p = PoolPolicy.of(Pool.CONTEXT, spec);
    assertThat(p.enabled()).isFalse();
    assertThat(p.minimalInstances()).isEqualTo(2);
    assertThat(p.maxInstances()).isEqualTo(3);
  }

  @Test
  void problemsNameTheField() {
    PoolSpec spec = enabled(1, null);
    spec.getAutoscaling()
        .setMetrics(
            List.of(
                new AutoscalingMetricSpec(KvCacheUtilization, 80.0),
                new AutoscalingMetricSpec(RunningRequests, null),
                new AutoscalingMetricSpec(InFlightRequests, null),
                new AutoscalingMetricSpec(KvCacheUtilization, 0.5)));
    assertThat(PoolPolicy.problems(Pool.GENERATION, spec))
        .extracting(SpecProblem::field)
        .containsExactly(
            "spec.generation.maxInstances",
            "spec.generation.autoscaling.metrics[0].target",
            "spec.generation.autoscaling.metrics[1].target",
            "spec.generation.autoscaling.metrics[2].target",
            "spec.generation.autoscaling.metrics[3].type");
  }

  @Test
  void sourcesNeedTheirMetrics() {
    PoolSpec router = enabled(1, 4);
    router.getAutoscaling().setSource(MetricsSource.Router);
    assertThat(PoolPolicy.problems(Pool.CONTEXT, router))
        .extracting(SpecProblem::field)
        .containsExactly("spec.context.autoscaling.metrics");
    router.getAutoscaling().setMetrics(List.of(new AutoscalingMetricSpec(WaitingRequests, 2.0)));
    assertThat(PoolPolicy.problems(Pool.CONTEXT, router))
        .extracting(SpecProblem::field)
        .containsExactly("spec.context.autoscaling.metrics[0].type");

    PoolSpec prom = enabled(1, 4);
    prom.getAutoscaling().setSource(MetricsSource.Prometheus);
    prom.getAutoscaling().setMetrics(List.of(new AutoscalingMetricSpec(WaitingRequests, 2.0)));
    assertThat(PoolPolicy.problems(Pool.CONTEXT, prom))
        .extracting(SpecProblem::field)
        .containsExactly(
            "spec.context.autoscaling.metrics[0].query", "spec.context.autoscaling.prometheus.url");
    prom.getAutoscaling()
        .getMetrics()
        .get(0)
        .setQuery("avg(trtllm_num_requests_waiting{pod=~\"c-context-.*\"})");
    PrometheusSourceSpec url = new PrometheusSourceSpec();
    url.setUrl("http://prometheus:9090");
    prom.getAutoscaling().setPrometheus(url);
    assertThat(PoolPolicy.problems(Pool.CONTEXT, prom)).isEmpty();
    assertThat(PoolPolicy.of(Pool.CONTEXT, prom).prometheusUrl())
        .isEqualTo("http://prometheus:9090");
  }

  @Test
  void clusterPolicyAndItsProblems() {
    DisaggClusterSpec spec = new DisaggClusterSpec();
    spec.getContext().setTensorParallelSize(2);
    spec.getGeneration().setMinimalInstances(2);
    ClusterAutoscalingSpec a = new ClusterAutoscalingSpec();
    a.setGpuBudget(3);
    a.setRatio(new ContextGenerationRatioSpec(2.0, 1.0));
    spec.setAutoscaling(a);
    assertThat(ClusterPolicy.problems(spec))
        .extracting(SpecProblem::field)
        .containsExactly(
            "spec.autoscaling.gpuBudget", "spec.autoscaling.ratio.minContextPerGeneration");
    assertThat(ClusterPolicy.of(spec)).isEqualTo(new ClusterPolicy(3, null, null));
    a.setGpuBudget(4);
    a.setRatio(new ContextGenerationRatioSpec(0.25, 1.0));
    assertThat(ClusterPolicy.problems(spec)).isEmpty();
    assertThat(ClusterPolicy.of(spec)).isEqualTo(new ClusterPolicy(4, 0.25, 1.0));
    assertThat(ClusterPolicy.of(new DisaggClusterSpec())).isEqualTo(ClusterPolicy.NONE);
  }

  @Test
  void samplesFromAWorkerScrape() {
    Instant t = Instant.parse("2026-11-22T10:00:00Z");
    assertThat(Sample.fromWorker(new WorkerLoad(3.0, 1.0, 0.5), t))
        .extracting(Sample::type, Sample::value)
        .containsExactly(
            tuple(WaitingRequests, 1.0),
            tuple(RunningRequests, 3.0),
            tuple(KvCacheUtilization, 0.5),
            tuple(InFlightRequests, 4.0));
    // An older TensorRT-LLM without the gauges: no samples, so the instance counts as missing.
    assertThat(Sample.fromWorker(new WorkerLoad(null, null, null), t)).isEmpty();
    assertThat(Sample.fromWorker(new WorkerLoad(null, null, 0.9), t))
        .extracting(Sample::type)
        .containsExactly(KvCacheUtilization);
  }
}
