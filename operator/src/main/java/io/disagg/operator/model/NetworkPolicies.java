package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.NetworkPolicySpec;
import io.disagg.operator.metrics.PerfMetricsClient;
import io.disagg.operator.metrics.RouterMetricsClient;
import io.disagg.operator.metrics.WorkerMetricsClient;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes NetworkPolicies of a DisaggCluster (docs/network-policies.md), one per side:
 *
 * <ul>
 *   <li>{@code <name>-workers}, selecting every worker pod of both pools and every pairing revision
 *       ({@link Labels#workers}): the container port named {@value WorkerStatefulSets#PORT_NAME}
 *       (the {@code trtllm-serve} port) from this DisaggCluster's router pods (completions, {@code
 *       /server_info}, {@code /health}, {@code /kv_cache_events}), the operator ({@value
 *       WorkerMetricsClient#PATH} for drains and autoscaling, {@value PerfMetricsClient#PATH} for
 *       the KV-transfer check) and the monitoring peers; <b>every port and protocol</b> from this
 *       DisaggCluster's worker pods. The KV-cache transfer cannot be narrowed to ports:
 *       TensorRT-LLM's UCX connection manager binds a ZMQ socket on {@code tcp://<ip>:*} ({@code
 *       UcxConnectionManager} in {@code cpp/tensorrt_llm/executor/cache_transmission/ucx_utils/
 *       ucxCacheCommunicator.cpp}), NIXL's agent listens on a port from {@code getAvailablePort()}
 *       unless {@code TRTLLM_NIXL_PORT} is set ({@code NixlTransferAgent} in {@code
 *       cpp/tensorrt_llm/executor/cache_transmission/nixl_utils/transferAgent.cpp}), and UCX's TCP
 *       transport lets the kernel choose ({@code PORT_RANGE} default 0, {@code
 *       src/uct/tcp/tcp_iface.c} in openucx/ucx); each peer learns the port in-band.
 *   <li>{@code <name>-router}, selecting the router pods of every revision: the port named {@value
 *       WorkerStatefulSets#PORT_NAME} from {@code spec.networkPolicy.routerFrom}, the operator
 *       ({@value RouterMetricsClient#PATH}) and the monitoring peers.
 * </ul>
 *
 * <p>Kubelet probes come from the node, which NetworkPolicy always allows. With {@code
 * spec.networkPolicy.egress} set, each policy also restricts egress: workers to this
 * DisaggCluster's workers (every port), the router to the workers' port {@value
 * WorkerStatefulSets#PORT_NAME}, both plus the user's rules. Pure: the effective spec in, the
 * objects out.
 */
public final class NetworkPolicies {
  private NetworkPolicies() {}

  /** Value of {@link Labels#COMPONENT} on the workers' NetworkPolicy. */
  public static final String WORKERS_COMPONENT = "workers-networkpolicy";

  /** Value of {@link Labels#COMPONENT} on the router's NetworkPolicy. */
  public static final String ROUTER_COMPONENT = "router-networkpolicy";

  /** Name of the workers' NetworkPolicy: {@code <name>-workers}. */
  public static String workersName(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-workers";
  }

  /** Name of the router's NetworkPolicy: {@code <name>-router}. */
  public static String routerName(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-router";
  }

  /**
   * The workers' NetworkPolicy.
   *
   * @param cr the effective DisaggCluster ({@code spec.networkPolicy} filled in, {@code
   *     io.disagg.operator.spec.EffectiveSpec})
   * @param operatorPeers the operator's pods as peers (may be empty)
   */
  public static NetworkPolicy workers(DisaggCluster cr, List<NetworkPolicyPeer> operatorPeers) {
    NetworkPolicySpec np = cr.getSpec().getNetworkPolicy();
    List<NetworkPolicyPeer> http = new ArrayList<>();
    http.add(podsOf(Labels.selector(cr, Labels.ROUTER_COMPONENT)));
    http.addAll(operatorPeers);
    http.addAll(np.getMonitoring());
    List<NetworkPolicyIngressRule> ingress = new ArrayList<>();
    ingress.add(new NetworkPolicyIngressRuleBuilder().withFrom(http).withPorts(httpPort()).build());
    ingress.add(new NetworkPolicyIngressRuleBuilder().withFrom(workerPods(cr)).build());
    List<NetworkPolicyEgressRule> egress = null;
    if (np.getEgress() != null) {
      egress = new ArrayList<>();
      egress.add(new NetworkPolicyEgressRuleBuilder().withTo(workerPods(cr)).build());
      egress.addAll(np.getEgress());
    }
    return build(cr, workersName(cr), WORKERS_COMPONENT, Labels.workers(cr), ingress, egress);
  }

  /** The router's NetworkPolicy; arguments as {@link #workers}. */
  public static NetworkPolicy router(DisaggCluster cr, List<NetworkPolicyPeer> operatorPeers) {
    NetworkPolicySpec np = cr.getSpec().getNetworkPolicy();
    List<NetworkPolicyPeer> http = new ArrayList<>(np.getRouterFrom());
    http.addAll(operatorPeers);
    http.addAll(np.getMonitoring());
    List<NetworkPolicyIngressRule> ingress = new ArrayList<>();
    if (!http.isEmpty()) {
      // A rule with no peers would allow everyone: with none, no rule (nothing is allowed).
      ingress.add(
          new NetworkPolicyIngressRuleBuilder().withFrom(http).withPorts(httpPort()).build());
    }
    List<NetworkPolicyEgressRule> egress = null;
    if (np.getEgress() != null) {
      egress = new ArrayList<>();
      egress.add(
          new NetworkPolicyEgressRuleBuilder()
              .withTo(workerPods(cr))
              .withPorts(httpPort())
              .build());
      egress.addAll(np.getEgress());
    }
    return build(
        cr,
        routerName(cr),
        ROUTER_COMPONENT,
        Labels.selector(cr, Labels.ROUTER_COMPONENT),
        ingress,
        egress);
  }

  private static NetworkPolicy build(
      DisaggCluster cr,
      String name,
      String component,
      Map<String, String> podSelector,
      List<NetworkPolicyIngressRule> ingress,
      List<NetworkPolicyEgressRule> egress) {
    List<String> types = new ArrayList<>(List.of("Ingress"));
    if (egress != null) {
      types.add("Egress");
    }
    NetworkPolicy policy =
        new NetworkPolicyBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(Labels.component(cr, component))
            .endMetadata()
            .withNewSpec()
            .withPodSelector(selector(podSelector))
            .withPolicyTypes(types)
            .withIngress(ingress)
            .withEgress(egress == null ? List.of() : egress)
            .endSpec()
            .build();
    return Hashes.withDesiredHash(policy);
  }

  private static List<NetworkPolicyPeer> workerPods(DisaggCluster cr) {
    return List.of(podsOf(Labels.workers(cr)));
  }

  /** Pods of the policy's own namespace (a podSelector without namespaceSelector). */
  private static NetworkPolicyPeer podsOf(Map<String, String> labels) {
    return new NetworkPolicyPeerBuilder().withPodSelector(selector(labels)).build();
  }

  private static LabelSelector selector(Map<String, String> labels) {
    return new LabelSelectorBuilder().withMatchLabels(labels).build();
  }

  private static NetworkPolicyPort httpPort() {
    return new NetworkPolicyPortBuilder()
        .withProtocol("TCP")
        .withPort(new IntOrString(WorkerStatefulSets.PORT_NAME))
        .build();
  }
}
