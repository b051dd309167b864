package io.disagg.operator.testing;

import io.disagg.operator.controller.DisaggClusterReconciler;
import io.disagg.operator.discovery.DiscoverySettings;
import io.disagg.operator.metrics.PrometheusQueryClient;
import io.disagg.operator.metrics.RouterMetricsClient;
import io.disagg.operator.metrics.WorkerMetricsClient;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the real {@link DisaggClusterReconciler} in the test JVM against the test cluster, watching
 * one namespace, through a client whose requests are counted. Can be stopped and started again to
 * simulate an operator restart; {@link #builder(String)} runs it under another identity (e.g. a
 * ServiceAccount's token) or with leader election, as the Helm chart does.
 */
public final class OperatorRunner implements AutoCloseable {

  private final RequestCounter requests = new RequestCounter();
  private final AtomicInteger reconciles = new AtomicInteger();
  private final Operator operator;

  private OperatorRunner(Builder b) {
    KubernetesClient client;
    if (b.config == null) {
      client = LocalCluster.newClient(h -> h.addOrReplaceInterceptor("count", requests));
    } else {
      client =
          new KubernetesClientBuilder()
              .withConfig(b.config)
              .withHttpClientBuilderConsumer(h -> h.addOrReplaceInterceptor("count", requests))
              .build();
    }
    Metrics counting =
        new Metrics() {
          @Override
          public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
            reconciles.incrementAndGet();
          }

          @Override
          public void failedReconciliation(
              HasMetadata resource, Exception exception, Map<String, Object> metadata) {
            reconciles.incrementAndGet();
          }
        };
    operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(true)
                  .withMetrics(counting)
                  .withStopOnInformerErrorDuringStartup(b.stopOnInformerError);
              if (b.leaderElection != null) {
                o.withLeaderElectionConfiguration(b.leaderElection);
              }
            });
    // As the Quarkus beans build it (runtime/OperatorBeans); no default etcd endpoints.
    var reconciler =
        new DisaggClusterReconciler(
            Clock.systemUTC(),
            new DiscoverySettings(List.of()),
            io.disagg.operator.spec.MonitoringDefaults.OFF,
            io.disagg.operator.spec.NetworkPolicyDefaults.DEFAULT,
            new WorkerMetricsClient(),
            new RouterMetricsClient(),
            new PrometheusQueryClient(),
            io.micrometer.core.instrument.Metrics.globalRegistry);
    operator.register(
        reconciler,
        c -> {
          if (b.allNamespaces) {
            c.watchingAllNamespaces();
          } else {
            c.settingNamespace(b.namespace);
          }
        });
  }

  /** Starts an operator for the namespace, as the cluster admin, without leader election. */
  public static OperatorRunner start(String namespace) {
    return builder(namespace).start();
  }

  /** Options of an operator for the namespace. */
  public static Builder builder(String namespace) {
    return new Builder(namespace);
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

  /** Options of an {@link OperatorRunner}. */
  public static final class Builder {
    private final String namespace;
    private Config config;
    private LeaderElectionConfiguration leaderElection;
    private boolean stopOnInformerError = true;
    private boolean allNamespaces;

    private Builder(String namespace) {
      this.namespace = Objects.requireNonNull(namespace);
    }

    /**
     * Connect with this client configuration (e.g. a ServiceAccount token) instead of the admin's.
     */
    public Builder config(Config config) {
      this.config = config;
      return this;
    }

    /**
     * Watch every namespace (the chart's default, with a ClusterRole) instead of the test's
     * namespace only.
     */
    public Builder watchAllNamespaces() {
      this.allNamespaces = true;
      return this;
    }

    /** Elect a leader before reconciling, as replicas installed by the chart do. */
    public Builder leaderElection(LeaderElectionConfiguration leaderElection) {
      this.leaderElection = leaderElection;
      return this;
    }

    /**
     * Whether start() fails when an informer cannot start (default true). With false the operator
     * keeps retrying in the background, as the deployed operator does.
     */
    public Builder stopOnInformerError(boolean stop) {
      this.stopOnInformerError = stop;
      return this;
    }

    /** Starts the operator. With leader election, start() returns while it is still a candidate. */
    public OperatorRunner start() {
      OperatorRunner r = new OperatorRunner(this);
      r.operator.start();
      return r;
    }
  }
}
