package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Testbed;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.NetworkPolicySpec;
import io.disagg.operator.model.NetworkPolicies;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.spec.MonitoringDefaults;
import io.disagg.operator.spec.NetworkPolicyDefaults;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.DisaggClusters;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NetworkPolicies on the local cluster: the operator applies {@code <name>-workers} and {@code
 * <name>-router}, the API server keeps every field as rendered (its NetworkPolicy validation
 * accepts them and nothing is dropped or defaulted differently), an unchanged cluster writes
 * nothing, and turning them off deletes them.
 *
 * <p>The local cluster (kwok, no CNI plugin) <b>does not enforce</b> NetworkPolicies: nothing here
 * shows what they allow. That is checked by an independent evaluator over the same rendered
 * policies in {@code io.disagg.e2e.helm.NetworkPolicyMatrixTest}.
 */
@ClusterTest
class NetworkPolicyIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String NAME = "tinyllama";

  @BeforeAll
  static void crd() {
    try (KubernetesClient c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  @Test
  void policiesAreAppliedKeptAndDeletedWhenTurnedOff(TestNamespace ns) {
    try (Testbed bed = Testbed.start(ns)) {
      DisaggCluster cr = bed.sample("minimal.yaml");
      // Fields beyond the defaults: an ipBlock with except, an egress rule with a port range.
      cr.getSpec().setNetworkPolicy(new NetworkPolicySpec());
      cr.getSpec()
          .getNetworkPolicy()
          .setRouterFrom(
              List.of(
                  new NetworkPolicyPeerBuilder().withNewPodSelector().endPodSelector().build(),
                  new NetworkPolicyPeerBuilder()
                      .withNewIpBlock()
                      .withCidr("10.20.0.0/16")
                      .withExcept("10.20.1.0/24")
                      .endIpBlock()
                      .build()));
      cr.getSpec()
          .getNetworkPolicy()
          .setEgress(
              List.of(
                  new NetworkPolicyEgressRuleBuilder()
                      .addNewPort()
                      .withProtocol("UDP")
                      .withPort(new IntOrString(53))
                      .endPort()
                      .addNewPort()
                      .withProtocol("TCP")
                      .withPort(new IntOrString(2379))
                      .withEndPort(2380)
                      .endPort()
                      .build()));
      ns.client().resource(cr).create();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  ready(ns)
                      && policy(ns, NAME + "-workers") != null
                      && policy(ns, NAME + "-router") != null);

      // As rendered (the operator runs with the settings it has without configuration).
      EffectiveSpec effective =
          EffectiveSpec.of(
                  DisaggClusters.get(ns, NAME),
                  List.of(),
                  MonitoringDefaults.OFF,
                  NetworkPolicyDefaults.DEFAULT)
              .spec();
      NetworkPolicy workers = policy(ns, NAME + "-workers");
      NetworkPolicy router = policy(ns, NAME + "-router");
      assertThat(workers.getSpec())
          .isEqualTo(
              NetworkPolicies.workers(effective.cluster(), effective.operatorPeers()).getSpec());
      assertThat(router.getSpec())
          .isEqualTo(
              NetworkPolicies.router(effective.cluster(), effective.operatorPeers()).getSpec());
      assertThat(workers.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
      assertThat(router.getSpec().getIngress().get(0).getFrom().get(1).getIpBlock().getExcept())
          .containsExactly("10.20.1.0/24");
      for (NetworkPolicy p : List.of(workers, router)) {
        assertThat(p.getMetadata().getOwnerReferences())
            .singleElement()
            .satisfies(o -> assertThat(o.getName()).isEqualTo(NAME));
        assertThat(p.getAdditionalProperties()).isEmpty();
        assertThat(p.getSpec().getAdditionalProperties()).isEmpty();
      }
      // The selectors select the pods the operator created.
      assertThat(
              ns.client()
                  .pods()
                  .inNamespace(ns.name())
                  .withLabels(workers.getSpec().getPodSelector().getMatchLabels())
                  .list()
                  .getItems())
          .hasSize(3);
      assertThat(
              ns.client()
                  .pods()
                  .inNamespace(ns.name())
                  .withLabels(router.getSpec().getPodSelector().getMatchLabels())
                  .list()
                  .getItems())
          .isNotEmpty();

      // An unchanged cluster writes nothing.
      assertThat(bed.writesDuringUnchangedReconciles(NAME + "-context-0", 2, TIMEOUT))
          .as("writes during unchanged reconciles")
          .isEmpty();

      // Off: both deleted, the cluster still Ready.
      ns.client()
          .resources(DisaggCluster.class)
          .inNamespace(ns.name())
          .withName(NAME)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"spec\":{\"networkPolicy\":{\"enabled\":false}}}");
      await()
          .atMost(TIMEOUT)
          .until(
              () -> policy(ns, NAME + "-workers") == null && policy(ns, NAME + "-router") == null);
      assertThat(ready(ns)).isTrue();
    }
  }

  private static boolean ready(TestNamespace ns) {
    DisaggCluster d = DisaggClusters.get(ns, NAME);
    return d != null
        && d.getStatus() != null
        && Conditions.isTrue(d.getStatus().getConditions(), ConditionType.READY);
  }

  private static NetworkPolicy policy(TestNamespace ns, String name) {
    return ns.client().network().v1().networkPolicies().inNamespace(ns.name()).withName(name).get();
  }
}
