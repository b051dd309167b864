package io.disagg.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.OperatorRunner;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the operator with leader election, as the Helm chart runs them: only the Lease
 * holder reconciles; when it stops, the other takes over and reconciles changes it never saw.
 */
@ClusterTest
class LeaderElectionIT {
  private static final String LEASE = LeaderElectionSettings.DEFAULT_LEASE_NAME;

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  private static LeaderElectionSettings settings(TestNamespace ns, String identity) {
    // Short lease so the takeover is quick; losing the lead does nothing here (the test JVM must
    // not exit).
    return new LeaderElectionSettings(
        true,
        LEASE,
        Optional.of(ns.name()),
        identity,
        Duration.ofSeconds(4),
        Duration.ofSeconds(3),
        Duration.ofMillis(500));
  }

  @Test
  void onlyTheLeaderReconcilesAndTheOtherTakesOver(TestNamespace ns) {
    try (EtcdServer etcd = EtcdServer.start()) {
      OperatorRunner a =
          OperatorRunner.builder(ns.name())
              .leaderElection(settings(ns, "replica-a").toConfiguration(() -> {}).orElseThrow())
              .start();
      await().atMost(Duration.ofSeconds(30)).until(() -> "replica-a".equals(holder(ns)));
      try (OperatorRunner b =
          OperatorRunner.builder(ns.name())
              .leaderElection(settings(ns, "replica-b").toConfiguration(() -> {}).orElseThrow())
              .start()) {
        DisaggCluster cr = Samples.load("minimal.yaml");
        cr.getSpec()
            .getDiscovery()
            .getEtcd()
            .setEndpoints(new java.util.ArrayList<>(List.of(etcd.endpoint())));
        DisaggClusters.create(ns, cr);
        await().atMost(Duration.ofSeconds(60)).until(() -> statefulSetReplicas(ns) != null);
        await().atMost(Duration.ofSeconds(30)).until(() -> a.reconciles() > 0);
        assertThat(b.reconciles()).as("the candidate reconciles nothing while A leads").isZero();
        assertThat(b.requests().writes())
            .as("the candidate writes nothing but the Lease (and asks its own permissions)")
            .allMatch(w -> w.contains("/leases") || w.endsWith("/selfsubjectrulesreviews"));

        a.close(); // a crash or a rollout of the leader
        await().atMost(Duration.ofSeconds(30)).until(() -> "replica-b".equals(holder(ns)));
        DisaggClusters.mergePatch(ns, "tinyllama", "{\"spec\":{\"generation\":{\"replicas\":2}}}");
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(() -> assertThat(statefulSetReplicas(ns)).isEqualTo(2));
        assertThat(b.reconciles()).isPositive();
      }
    }
  }

  private static String holder(TestNamespace ns) {
    Lease l = ns.client().leases().inNamespace(ns.name()).withName(LEASE).get();
    return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
  }

  private static Integer statefulSetReplicas(TestNamespace ns) {
    var s =
        ns.client()
            .apps()
            .statefulSets()
            .inNamespace(ns.name())
            .withName("tinyllama-generation")
            .get();
    return s == null ? null : s.getSpec().getReplicas();
  }
}
