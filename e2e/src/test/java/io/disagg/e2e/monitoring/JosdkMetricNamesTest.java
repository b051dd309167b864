package io.disagg.e2e.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.e2e.testing.MetricCatalog;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The JOSDK metrics that exist only after a failed reconcile (catalog {@code appears:
 * after-failure}, which InstalledOperatorIT cannot see on a healthy operator): JOSDK's {@link
 * MicrometerMetrics}, built as the Quarkus Operator SDK's {@code MicrometerMetricsProvider} builds
 * it (per-resource meters) on Micrometer's Prometheus registry (the one Quarkus serves at {@code
 * /q/metrics}), is driven through a failed reconcile; the names and labels must be the catalog's.
 */
class JosdkMetricNamesTest {

  @Test
  void failureMetricsHaveTheCatalogsNamesAndLabels() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MicrometerMetrics metrics =
        MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry).build();
    DisaggCluster cr = new DisaggCluster();
    cr.getMetadata().setName("demo");
    cr.getMetadata().setNamespace("serving");
    // The metadata JOSDK's reconciliation dispatcher passes (Constants.CONTROLLER_NAME, the GVK).
    Map<String, Object> metadata =
        Map.of(
            "controller.name",
            "disaggcluster",
            "josdk.resource.gvk",
            GroupVersionKind.gvkFor(DisaggCluster.class));
    metrics.failedReconciliation(
        cr, new io.fabric8.kubernetes.client.KubernetesClientException("forbidden"), metadata);
    try {
      metrics.timeControllerExecution(
          new Metrics.ControllerExecution<Object>() {
            @Override
            public String name() {
              return "reconcile";
            }

            @Override
            public String controllerName() {
              return "disaggcluster";
            }

            @Override
            public String successTypeName(Object result) {
              return "resource";
            }

            @Override
            public ResourceID resourceID() {
              return ResourceID.fromResource(cr);
            }

            @Override
            public Map<String, Object> metadata() {
              return metadata;
            }

            @Override
            public Object execute() {
              throw new IllegalStateException("reconcile failed");
            }
          });
    } catch (Exception expected) {
      // the failure is what is measured
    }
    List<MetricCatalog.Metric> afterFailure =
        MetricCatalog.load().metrics().stream()
            .filter(m -> "after-failure".equals(m.appears()))
            .toList();
    assertThat(afterFailure).isNotEmpty();
    String text = registry.scrape();
    assertThat(MetricCatalog.problemsOf(text, afterFailure)).as(text).isEmpty();
  }
}
