package io.disagg.operator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.NetworkPolicySpec;
import io.disagg.operator.api.v1alpha1.RouterServiceSpec;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.spec.MonitoringDefaults;
import io.disagg.operator.spec.NetworkPolicyDefaults;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The NetworkPolicies' shape. Whether they allow and deny the intended traffic is checked by an
 * independent evaluator (cyclonus) in {@code io.disagg.e2e.networkpolicy.NetworkPolicyMatrixTest}.
 */
class NetworkPoliciesTest {

  private static final NetworkPolicyPeer OPERATOR =
      new NetworkPolicyPeerBuilder()
          .withNamespaceSelector(
              new LabelSelectorBuilder()
                  .addToMatchLabels("kubernetes.io/metadata.name", "disagg-system")
                  .build())
          .withPodSelector(
              new LabelSelectorBuilder()
                  .addToMatchLabels("app.kubernetes.io/component", "operator")
                  .build())
          .build();

  private static final NetworkPolicyDefaults DEFAULTS =
      new NetworkPolicyDefaults(true, List.of(NetworkPolicyDefaults.PROMETHEUS), List.of(OPERATOR));

  private static EffectiveSpec.Result effective(DisaggCluster cr, NetworkPolicyDefaults defaults) {
    return EffectiveSpec.of(cr, List.of("etcd:2379"), MonitoringDefaults.OFF, defaults);
  }

  private static EffectiveSpec spec(DisaggCluster cr) {
    return effective(cr, DEFAULTS).spec();
  }

  private static NetworkPolicy workers(EffectiveSpec s) {
    return NetworkPolicies.workers(s.cluster(), s.operatorPeers());
  }

  private static NetworkPolicy router(EffectiveSpec s) {
    return NetworkPolicies.router(s.cluster(), s.operatorPeers());
  }

  private static NetworkPolicyPeer pods(Map<String, String> labels) {
    return new NetworkPolicyPeerBuilder()
        .withPodSelector(new LabelSelectorBuilder().withMatchLabels(labels).build())
        .build();
  }

  @Test
  void workersServingPortFromRouterOperatorAndMonitoringEveryPortFromOwnWorkers() {
    DisaggCluster cr = ModelFixtures.cluster();
    NetworkPolicy p = workers(spec(cr));
    assertThat(p.getMetadata().getName()).isEqualTo("demo-workers");
    assertThat(p.getMetadata().getNamespace()).isEqualTo(ModelFixtures.NAMESPACE);
    assertThat(p.getMetadata().getLabels())
        .containsEntry(Labels.COMPONENT, NetworkPolicies.WORKERS_COMPONENT)
        .containsEntry(Labels.MANAGED_BY, Labels.MANAGER)
        .containsKey(Labels.INSTANCE);
    assertThat(p.getMetadata().getAnnotations()).containsKey(Labels.DESIRED_HASH);
    assertThat(p.getSpec().getPodSelector().getMatchLabels()).isEqualTo(Labels.workers(cr));
    assertThat(p.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(p.getSpec().getEgress()).isEmpty();
    List<NetworkPolicyIngressRule> in = p.getSpec().getIngress();
    assertThat(in).hasSize(2);
    assertThat(in.get(0).getPorts()).hasSize(1);
    assertThat(in.get(0).getPorts().get(0).getPort()).isEqualTo(new IntOrString("http"));
    assertThat(in.get(0).getPorts().get(0).getProtocol()).isEqualTo("TCP");
    assertThat(in.get(0).getFrom())
        .containsExactly(
            pods(Labels.selector(cr, Labels.ROUTER_COMPONENT)),
            OPERATOR,
            NetworkPolicyDefaults.PROMETHEUS);
    // KV-cache transfer: ephemeral ports, so no port list; only this DisaggCluster's workers.
    assertThat(in.get(1).getPorts()).isEmpty();
    assertThat(in.get(1).getFrom()).containsExactly(pods(Labels.workers(cr)));
  }

  @Test
  void routerPortFromRouterFromOperatorAndMonitoring() {
    DisaggCluster cr = ModelFixtures.cluster();
    NetworkPolicy p = router(spec(cr));
    assertThat(p.getMetadata().getName()).isEqualTo("demo-router");
    assertThat(p.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(Labels.selector(cr, Labels.ROUTER_COMPONENT));
    assertThat(p.getSpec().getIngress()).hasSize(1);
    NetworkPolicyIngressRule rule = p.getSpec().getIngress().get(0);
    assertThat(rule.getPorts().get(0).getPort()).isEqualTo(new IntOrString("http"));
    // Default routerFrom: every pod of the namespace.
    assertThat(rule.getFrom())
        .containsExactly(
            new NetworkPolicyPeerBuilder().withNewPodSelector().endPodSelector().build(),
            OPERATOR,
            NetworkPolicyDefaults.PROMETHEUS);
  }

  @Test
  void emptyPeerListsLeaveTheRouterClosedInsteadOfOpen() {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().setNetworkPolicy(new NetworkPolicySpec());
    cr.getSpec().getNetworkPolicy().setRouterFrom(List.of());
    cr.getSpec().getNetworkPolicy().setMonitoring(List.of());
    EffectiveSpec s = effective(cr, new NetworkPolicyDefaults(true, List.of(), List.of())).spec();
    NetworkPolicy p = router(s);
    // An ingress rule without "from" would allow every source: there is no rule at all.
    assertThat(p.getSpec().getIngress()).isEmpty();
    assertThat(p.getSpec().getPolicyTypes()).containsExactly("Ingress");
    // The workers' serving port still accepts their router.
    assertThat(workers(s).getSpec().getIngress().get(0).getFrom())
        .containsExactly(pods(Labels.selector(cr, Labels.ROUTER_COMPONENT)));
  }

  @Test
  void egressSetRestrictsItToTheClusterPlusTheUsersRules() {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().setNetworkPolicy(new NetworkPolicySpec());
    var dns =
        new NetworkPolicyEgressRuleBuilder()
            .addNewPort()
            .withPort(new IntOrString(53))
            .withProtocol("UDP")
            .endPort()
            .build();
    cr.getSpec().getNetworkPolicy().setEgress(List.of(dns));
    EffectiveSpec s = spec(cr);
    NetworkPolicy w = workers(s);
    assertThat(w.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    assertThat(w.getSpec().getEgress()).hasSize(2);
    assertThat(w.getSpec().getEgress().get(0).getTo()).containsExactly(pods(Labels.workers(cr)));
    assertThat(w.getSpec().getEgress().get(0).getPorts()).isEmpty();
    assertThat(w.getSpec().getEgress().get(1)).isEqualTo(dns);
    NetworkPolicy r = router(s);
    assertThat(r.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    assertThat(r.getSpec().getEgress().get(0).getTo()).containsExactly(pods(Labels.workers(cr)));
    assertThat(r.getSpec().getEgress().get(0).getPorts().get(0).getPort())
        .isEqualTo(new IntOrString("http"));
    assertThat(r.getSpec().getEgress().get(1)).isEqualTo(dns);
  }

  @Test
  void anEmptyEgressListStillRestrictsEgress() {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().setNetworkPolicy(new NetworkPolicySpec());
    cr.getSpec().getNetworkPolicy().setEgress(List.of());
    NetworkPolicy w = workers(spec(cr));
    assertThat(w.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    assertThat(w.getSpec().getEgress()).hasSize(1);
  }

  @Test
  void selectorsStayWithinOneDisaggCluster() {
    DisaggCluster a = ModelFixtures.cluster();
    DisaggCluster b = ModelFixtures.cluster();
    b.getMetadata().setName("other");
    assertThat(workers(spec(a)).getSpec().getPodSelector())
        .isNotEqualTo(workers(spec(b)).getSpec().getPodSelector());
    assertThat(
            workers(spec(b))
                .getSpec()
                .getIngress()
                .get(1)
                .getFrom()
                .get(0)
                .getPodSelector()
                .getMatchLabels())
        .containsEntry(Labels.INSTANCE, "other");
  }

  @Test
  void enabledAndMonitoringComeFromTheOperatorAndTheSpecWins() {
    DisaggCluster cr = ModelFixtures.cluster();
    assertThat(effective(cr, NetworkPolicyDefaults.DEFAULT).spec().networkPolicies()).isTrue();
    NetworkPolicyDefaults off = new NetworkPolicyDefaults(false, List.of(), List.of());
    assertThat(effective(cr, off).spec().networkPolicies()).isFalse();
    cr.getSpec().setNetworkPolicy(new NetworkPolicySpec());
    cr.getSpec().getNetworkPolicy().setEnabled(true);
    NetworkPolicyPeer mine = pods(Map.of("app", "my-prometheus"));
    cr.getSpec().getNetworkPolicy().setMonitoring(List.of(mine));
    EffectiveSpec s = effective(cr, off).spec();
    assertThat(s.networkPolicies()).isTrue();
    assertThat(s.cluster().getSpec().getNetworkPolicy().getMonitoring()).containsExactly(mine);
    // The resource as received is unchanged.
    assertThat(cr.getSpec().getNetworkPolicy().getRouterFrom()).isNull();
  }

  @Test
  void loadBalancerWithTheDefaultRouterFromIsAWarning() {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().getRouter().getService().setType(RouterServiceSpec.ServiceType.LoadBalancer);
    List<SpecProblem> problems = effective(cr, DEFAULTS).problems();
    assertThat(problems)
        .filteredOn(p -> p.field().equals(EffectiveSpec.FIELD_ROUTER_FROM))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.isError()).isFalse();
              assertThat(p.message()).contains("LoadBalancer").contains("ipBlock");
            });
    // Stated peers, or policies off: no warning.
    cr.getSpec().setNetworkPolicy(new NetworkPolicySpec());
    cr.getSpec()
        .getNetworkPolicy()
        .setRouterFrom(
            List.of(
                new NetworkPolicyPeerBuilder()
                    .withNewIpBlock()
                    .withCidr("0.0.0.0/0")
                    .endIpBlock()
                    .build()));
    assertThat(effective(cr, DEFAULTS).problems())
        .noneMatch(p -> p.field().equals(EffectiveSpec.FIELD_ROUTER_FROM));
    cr.getSpec().getNetworkPolicy().setRouterFrom(null);
    cr.getSpec().getNetworkPolicy().setEnabled(false);
    assertThat(effective(cr, DEFAULTS).problems())
        .noneMatch(p -> p.field().equals(EffectiveSpec.FIELD_ROUTER_FROM));
    cr.getSpec().getRouter().getService().setType(RouterServiceSpec.ServiceType.ClusterIP);
    cr.getSpec().getNetworkPolicy().setEnabled(null);
    assertThat(effective(cr, DEFAULTS).problems())
        .noneMatch(p -> p.field().equals(EffectiveSpec.FIELD_ROUTER_FROM));
  }

  @Test
  void defaultsParseTheOperatorsConfiguration() {
    assertThat(NetworkPolicyDefaults.fromConfig(null, null, null))
        .isEqualTo(NetworkPolicyDefaults.DEFAULT);
    NetworkPolicyDefaults d =
        NetworkPolicyDefaults.fromConfig(
            false,
            "[]",
            "[{\"namespaceSelector\":{\"matchLabels\":{\"kubernetes.io/metadata.name\":\"disagg-system\"}},"
                + "\"podSelector\":{\"matchLabels\":{\"app.kubernetes.io/component\":\"operator\"}}}]");
    assertThat(d.enabled()).isFalse();
    assertThat(d.monitoringPeers()).isEmpty();
    assertThat(d.operatorPeers()).containsExactly(OPERATOR);
    assertThatThrownBy(() -> NetworkPolicyDefaults.fromConfig(true, "{\"podSelector\":{}}", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(NetworkPolicyDefaults.MONITORING_PEERS_PROPERTY);
  }

  @Test
  void desiredHashIsStableAndFollowsTheSpec() {
    DisaggCluster cr = ModelFixtures.cluster();
    String h = workers(spec(cr)).getMetadata().getAnnotations().get(Labels.DESIRED_HASH);
    assertThat(workers(spec(cr)).getMetadata().getAnnotations().get(Labels.DESIRED_HASH))
        .isEqualTo(h);
    cr.getSpec().setNetworkPolicy(new NetworkPolicySpec());
    cr.getSpec().getNetworkPolicy().setMonitoring(List.of());
    assertThat(workers(spec(cr)).getMetadata().getAnnotations().get(Labels.DESIRED_HASH))
        .isNotEqualTo(h);
  }
}
