package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.util.List;

/**
 * The DisaggCluster's Kubernetes NetworkPolicies (docs/network-policies.md): {@code <name>-workers}
 * lets the workers' serving port be reached only by this DisaggCluster's router pods, the operator
 * and the monitoring peers, and every port only by this DisaggCluster's own workers (the KV-cache
 * transfer listens on ephemeral ports); {@code <name>-router} lets the router's port be reached
 * only by {@link #routerFrom}, the operator and the monitoring peers. Enforced only by a CNI plugin
 * that implements NetworkPolicy (Calico, Cilium, the AWS VPC CNI's network policy agent, ...).
 */
public class NetworkPolicySpec {

  /** CEL: each peer names something (an empty peer object is refused by the API server too). */
  static final String PEER_RULE =
      "self.all(p, has(p.podSelector) || has(p.namespaceSelector) || has(p.ipBlock))";

  static final String PEER_MESSAGE =
      "each peer needs podSelector, namespaceSelector or ipBlock (as in a NetworkPolicy)";

  /** CEL: ipBlock excludes the selectors, as NetworkPolicy validation demands. */
  static final String IP_BLOCK_RULE =
      "self.all(p, !has(p.ipBlock) || !has(p.podSelector) && !has(p.namespaceSelector))";

  static final String IP_BLOCK_MESSAGE =
      "a peer with ipBlock may not also have podSelector or namespaceSelector";

  @JsonPropertyDescription(
      "Create the NetworkPolicies <name>-workers and <name>-router. Unset: the operator's installation-wide default (Helm value networkPolicy.enabled, on unless set). false deletes the ones created before. Needs a CNI plugin that enforces NetworkPolicy.")
  private Boolean enabled;

  @ValidationRule(value = PEER_RULE, message = PEER_MESSAGE)
  @ValidationRule(value = IP_BLOCK_RULE, message = IP_BLOCK_MESSAGE)
  @JsonPropertyDescription(
      "NetworkPolicy peers allowed to call the router's port (clients of the OpenAI API). Unset: every pod of the DisaggCluster's namespace ([{podSelector: {}}]). A LoadBalancer or NodePort Service needs the clients' addresses here (ipBlock; with externalTrafficPolicy Cluster the node addresses), or they are blocked. Empty list: only the operator and the monitoring peers.")
  private List<NetworkPolicyPeer> routerFrom;

  @ValidationRule(value = PEER_RULE, message = PEER_MESSAGE)
  @ValidationRule(value = IP_BLOCK_RULE, message = IP_BLOCK_MESSAGE)
  @JsonPropertyDescription(
      "NetworkPolicy peers allowed to scrape the workers' and routers' serving port (/prometheus/metrics), e.g. your Prometheus. Unset: the operator's installation-wide default (Helm value networkPolicy.monitoringPeers). Empty list: none.")
  private List<NetworkPolicyPeer> monitoring;

  @JsonPropertyDescription(
      "Egress rules. Unset: egress is not restricted (etcd, the model hub, DNS and registries differ by site). Set (even to []): the workers may reach only the DisaggCluster's own workers (KV-cache transfer, all ports) and the router only the workers' serving port, plus these rules; they must then allow DNS, etcd (spec.discovery.etcd.endpoints) and, without a model cache, the model hub.")
  private List<NetworkPolicyEgressRule> egress;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public List<NetworkPolicyPeer> getRouterFrom() {
    return routerFrom;
  }

  public void setRouterFrom(List<NetworkPolicyPeer> routerFrom) {
    this.routerFrom = routerFrom;
  }

  public List<NetworkPolicyPeer> getMonitoring() {
    return monitoring;
  }

  public void setMonitoring(List<NetworkPolicyPeer> monitoring) {
    this.monitoring = monitoring;
  }

  public List<NetworkPolicyEgressRule> getEgress() {
    return egress;
  }

  public void setEgress(List<NetworkPolicyEgressRule> egress) {
    this.egress = egress;
  }
}
