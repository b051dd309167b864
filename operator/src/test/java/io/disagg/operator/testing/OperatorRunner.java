package io.disagg.operator.testing;

import io.disagg.operator.controller.DisaggClusterReconciler;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the real {@link DisaggClusterReconciler} in the test JVM against the test cluster, watching
 * one namespace, through a client whose requests are counted. Can be stopped and started again
 * to simulate an operator restart.
 */
public final class OperatorRunner implements AutoCloseable {

  private final RequestCounter requests = new RequestCounter();
  private final AtomicInteger reconciles = new AtomicInteger();
  private final Operator operator;

  private OperatorRunner(String namespace) {
    KubernetesClient client = LocalCluster.newClient(b -> b.addOrReplaceInterceptor("count", requests));
    Metrics counting = new Metrics() {
      @Override
      public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
        reconciles.incrementAndGet();
      }

      @Override
      public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
        reconciles.incrementAndGet();
      }
    };
    operator = new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(true).withMetrics(counting)
        .withStopOnInformerErrorDuringStartup(true));
    operator.register(new DisaggClusterReconciler(), c -> c.settingNamespace(namespace));
  }

  /** Starts an operator for the namespace. */
  public static OperatorRunner start(String namespace) {
    OperatorRunner r = new OperatorRunner(namespace);
    r.operator.start();
    return r;
  }

  /** The requests this operator has sent. */
  public RequestCounter requests() {
    return requests;
  }

  /** Reconciles finished (successfully or not) so far. */
  public int reconciles() {
    return reconciles.get();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
