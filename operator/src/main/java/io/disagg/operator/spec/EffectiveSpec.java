package io.disagg.operator.spec;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.DiscoverySpec;
import io.disagg.operator.api.v1alpha1.EtcdSpec;
import io.disagg.operator.api.v1alpha1.FabricSpec;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.KvCacheTransferSpec;
import io.disagg.operator.api.v1alpha1.KvTransferCheckSpec;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.api.v1alpha1.ModelDownloadSpec;
import io.disagg.operator.api.v1alpha1.MonitoringSpec;
import io.disagg.operator.api.v1alpha1.NetworkPolicySpec;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PodSecuritySpec;
import io.disagg.operator.api.v1alpha1.PoolRolloutSpec;
import io.disagg.operator.api.v1alpha1.PoolRouterSpec;
import io.disagg.operator.api.v1alpha1.PoolSpec;
import io.disagg.operator.api.v1alpha1.RolloutSpec;
import io.disagg.operator.api.v1alpha1.RolloutStrategy;
import io.disagg.operator.api.v1alpha1.RouterServiceSpec;
import io.disagg.operator.api.v1alpha1.RouterSpec;
import io.disagg.operator.api.v1alpha1.RouterType;
import io.disagg.operator.api.v1alpha1.SelfHealingSpec;
import io.disagg.operator.core.EtcdEndpoint;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.release.ResolvedRelease;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link DisaggCluster} with every default applied, built once per reconcile from the resource
 * and the operator's installation-wide settings. Everything downstream (validation, rendering of
 * the TensorRT-LLM files, the desired children, the etcd client) reads the defaulted copy {@link
 * #cluster()} and the values derived here, never a default of its own. The resource the operator
 * received is not changed.
 *
 * <p>Defaults applied here:
 *
 * <ul>
 *   <li>{@code spec.discovery.etcd.endpoints}: the spec's, else the operator's {@code
 *       disagg.discovery.default-etcd-endpoints}; none at all is a {@link SpecProblem} on {@code
 *       spec.discovery.etcd.endpoints}. Each one parsed by {@link EtcdEndpoint#parse} and written
 *       back as {@code host:port}.
 *   <li>{@code spec.discovery.clusterName}: {@code <namespace>.<name>} when unset or blank; {@code
 *       removeForeignRegistrations} {@code true}, {@code foreignGraceSeconds} {@value
 *       DiscoverySpec#DEFAULT_FOREIGN_GRACE_SECONDS} when unset.
 *   <li>the TensorRT-LLM release ({@link ResolvedRelease#resolve}): {@code spec.trtllmVersion},
 *       else the image tag, else unknown (only what every supported release accepts is rendered).
 *   <li>{@code spec.backend} {@code pytorch}; {@code spec.kvCacheTransfer.backend} {@code NIXL}
 *       (also for {@code DEFAULT}, see there); {@code spec.kvCacheTransfer.nixlBackend} {@code
 *       UCX}; {@code spec.router.contextRouter.type} and {@code generationRouter.type} {@code
 *       round_robin}; {@code spec.rollout.strategy} {@code RevisionSurge} and each pool's {@code
 *       spec.rollout.<pool>.maxSurge} {@code 100%} ({@link #DEFAULT_MAX_SURGE}); missing sections
 *       as their defaults (the API classes' field initialisers, which are also the CRD's defaults).
 *   <li>{@code spec.selfHealing}: every field set ({@link #selfHealing}).
 *   <li>{@code spec.fabric.kvTransferCheck}: every field set ({@link #kvTransferCheck}).
 *   <li>{@code spec.monitoring}: every field set ({@link #monitoring}).
 *   <li>{@code spec.modelCache}: every field set ({@link #modelCache}).
 *   <li>{@code spec.networkPolicy}: every field set but {@code egress} ({@link #networkPolicy}).
 *   <li>{@code spec.podSecurity}: every field set ({@link #podSecurity}).
 * </ul>
 *
 * @param cluster deep copy of the resource with the defaults filled in
 * @param etcdEndpoints the parsed endpoints, in the order given; empty only with a problem
 * @param release the TensorRT-LLM release the files and command lines are rendered for
 * @param operatorPeers the operator's own pods as NetworkPolicy peers ({@link
 *     NetworkPolicyDefaults#operatorPeers}); may be empty
 */
public record EffectiveSpec(
    DisaggCluster cluster,
    List<EtcdEndpoint> etcdEndpoints,
    ResolvedRelease release,
    List<NetworkPolicyPeer> operatorPeers) {

  /** Field of the etcd endpoints, as problems name it. */
  public static final String FIELD_ENDPOINTS = "spec.discovery.etcd.endpoints";

  /** Configuration property of the operator's default endpoints. */
  public static final String DEFAULT_ENDPOINTS_PROPERTY = "disagg.discovery.default-etcd-endpoints";

  /** Default of {@code spec.rollout.<pool>.maxSurge}: the new revision starts at full size. */
  public static final String DEFAULT_MAX_SURGE = "100%";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  public EffectiveSpec {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(release, "release");
    etcdEndpoints = List.copyOf(etcdEndpoints);
    operatorPeers = List.copyOf(operatorPeers);
  }

  /**
   * The outcome of {@link #of}: the effective spec and the problems found while building it (an
   * endpoint that does not parse, no endpoint at all). Errors among them mean the spec cannot be
   * reconciled; the effective spec is still complete enough to report a status.
   */
  public record Result(EffectiveSpec spec, List<SpecProblem> problems) {
    public Result {
      Objects.requireNonNull(spec, "spec");
      problems = List.copyOf(problems);
    }
  }

  /**
   * Builds the effective spec of {@code cr}.
   *
   * @param defaultEtcdEndpoints the operator's default endpoints (may be empty), used when the spec
   *     names none
   * @param monitoring the operator's defaults of {@code spec.monitoring}
   * @param networkPolicy the operator's NetworkPolicy settings
   */
  public static Result of(
      DisaggCluster cr,
      List<String> defaultEtcdEndpoints,
      MonitoringDefaults monitoring,
      NetworkPolicyDefaults networkPolicy) {
    DisaggCluster copy = SERIALIZATION.clone(cr);
    if (copy.getSpec() == null) {
      copy.setSpec(new DisaggClusterSpec());
    }
    DisaggClusterSpec spec = copy.getSpec();
    List<SpecProblem> problems = new ArrayList<>();

    ResolvedRelease.Result release =
        ResolvedRelease.resolve(spec.getTrtllmVersion(), spec.getImage());
    problems.addAll(release.problems());
    if (spec.getBackend() == null) {
      spec.setBackend(ModelBackend.PYTORCH);
    }
    if (spec.getKvCacheTransfer() == null) {
      spec.setKvCacheTransfer(new KvCacheTransferSpec());
    }
    KvCacheTransferSpec kv = spec.getKvCacheTransfer();
    if (kv.getBackend() == null || kv.getBackend() == KvCacheTransferBackend.DEFAULT) {
      // Written explicitly: what TensorRT-LLM's own DEFAULT means changed from NIXL to UCX
      // (NVIDIA/TensorRT-LLM PR #9352, CacheTransceiverFactory in cacheTransceiver.cpp), and the
      // operator's DEFAULT has always meant NIXL.
      kv.setBackend(KvCacheTransferBackend.NIXL);
    }
    if (kv.getNixlBackend() == null) {
      kv.setNixlBackend(NixlBackend.UCX);
    }

    if (spec.getRouter() == null) {
      spec.setRouter(new RouterSpec());
    }
    RouterSpec router = spec.getRouter();
    if (router.getContextRouter() == null) {
      router.setContextRouter(new PoolRouterSpec());
    }
    if (router.getGenerationRouter() == null) {
      router.setGenerationRouter(new PoolRouterSpec());
    }
    for (PoolRouterSpec pr : List.of(router.getContextRouter(), router.getGenerationRouter())) {
      if (pr.getType() == null) {
        pr.setType(RouterType.ROUND_ROBIN);
      }
    }

    if (spec.getRollout() == null) {
      spec.setRollout(new RolloutSpec());
    }
    RolloutSpec rollout = spec.getRollout();
    if (rollout.getStrategy() == null) {
      rollout.setStrategy(RolloutStrategy.RevisionSurge);
    }
    for (Pool pool : Pool.values()) {
      if (rollout.pool(pool) == null) {
        rollout.setPool(pool, new PoolRolloutSpec());
      }
      if (rollout.pool(pool).getMaxSurge() == null) {
        rollout.pool(pool).setMaxSurge(new IntOrString(DEFAULT_MAX_SURGE));
      }
    }

    if (spec.getDiscovery() == null) {
      spec.setDiscovery(new DiscoverySpec());
    }
    DiscoverySpec discovery = spec.getDiscovery();
    if (discovery.getRemoveForeignRegistrations() == null) {
      discovery.setRemoveForeignRegistrations(Boolean.TRUE);
    }
    if (discovery.getForeignGraceSeconds() == null) {
      discovery.setForeignGraceSeconds(DiscoverySpec.DEFAULT_FOREIGN_GRACE_SECONDS);
    }
    selfHealing(spec, discovery.getInactiveTimeoutSeconds());
    kvTransferCheck(spec);
    monitoring(spec, monitoring);
    modelCache(spec);
    networkPolicy(spec, networkPolicy, problems);
    podSecurity(spec);
    if (discovery.getEtcd() == null) {
      discovery.setEtcd(new EtcdSpec());
    }
    if (discovery.getClusterName() == null || discovery.getClusterName().isBlank()) {
      discovery.setClusterName(cr.getMetadata().getNamespace() + "." + cr.getMetadata().getName());
    }
    List<EtcdEndpoint> endpoints =
        endpoints(
            discovery.getEtcd().getEndpoints(),
            defaultEtcdEndpoints == null ? List.of() : defaultEtcdEndpoints,
            problems);
    discovery
        .getEtcd()
        .setEndpoints(new ArrayList<>(endpoints.stream().map(EtcdEndpoint::hostPort).toList()));
    return new Result(
        new EffectiveSpec(copy, endpoints, release.release(), networkPolicy.operatorPeers()),
        problems);
  }

  /**
   * {@code spec.modelCache}, when set, with every field set: {@code mountPath} {@value
   * ModelCacheSpec#DEFAULT_MOUNT_PATH}, {@code deleteClaimWithCluster} false, {@code download}
   * present with {@code enabled} true, {@code backoffLimit} {@value
   * ModelDownloadSpec#DEFAULT_BACKOFF_LIMIT} and the token's {@code key} {@value
   * ModelDownloadSpec#DEFAULT_TOKEN_KEY}. With a download {@code revision}, each pool's {@code
   * llmApiOptions.revision} is that revision unless the pool sets its own: TensorRT-LLM resolves
   * the model with {@code download_hf_model(model, llm_args.revision)} ({@code
   * CachedModelLoader._download_hf_model_if_needed}, {@code tensorrt_llm/llmapi/llm_utils.py}), and
   * offline ({@code HF_HUB_OFFLINE=1}) the hub cache only finds the revision that was downloaded.
   */
  private static void modelCache(DisaggClusterSpec spec) {
    ModelCacheSpec mc = spec.getModelCache();
    if (mc == null) {
      return;
    }
    if (mc.getMountPath() == null || mc.getMountPath().isBlank()) {
      mc.setMountPath(ModelCacheSpec.DEFAULT_MOUNT_PATH);
    }
    if (mc.getDeleteClaimWithCluster() == null) {
      mc.setDeleteClaimWithCluster(Boolean.FALSE);
    }
    if (mc.getDownload() == null) {
      mc.setDownload(new ModelDownloadSpec());
    }
    ModelDownloadSpec d = mc.getDownload();
    if (d.getEnabled() == null) {
      d.setEnabled(Boolean.TRUE);
    }
    if (d.getBackoffLimit() == null) {
      d.setBackoffLimit(ModelDownloadSpec.DEFAULT_BACKOFF_LIMIT);
    }
    if (d.getTokenSecretRef() != null
        && (d.getTokenSecretRef().getKey() == null || d.getTokenSecretRef().getKey().isBlank())) {
      d.getTokenSecretRef().setKey(ModelDownloadSpec.DEFAULT_TOKEN_KEY);
    }
    if (d.getEnabled() && d.getRevision() != null && !d.getRevision().isBlank()) {
      for (Pool pool : Pool.values()) {
        PoolSpec ps = spec.pool(pool);
        if (ps == null) {
          continue;
        }
        Map<String, Object> options =
            ps.getLlmApiOptions() == null
                ? new LinkedHashMap<>()
                : new LinkedHashMap<>(ps.getLlmApiOptions());
        options.putIfAbsent("revision", d.getRevision());
        ps.setLlmApiOptions(options);
      }
    }
  }

  /**
   * {@code spec.podSecurity} with every field set: {@code runAsUser} {@value
   * PodSecuritySpec#DEFAULT_RUN_AS_USER}, {@code readOnlyRootFilesystem} true.
   */
  private static void podSecurity(DisaggClusterSpec spec) {
    if (spec.getPodSecurity() == null) {
      spec.setPodSecurity(new PodSecuritySpec());
    }
    PodSecuritySpec p = spec.getPodSecurity();
    if (p.getRunAsUser() == null) {
      p.setRunAsUser(PodSecuritySpec.DEFAULT_RUN_AS_USER);
    }
    if (p.getReadOnlyRootFilesystem() == null) {
      p.setReadOnlyRootFilesystem(Boolean.TRUE);
    }
  }

  /**
   * {@code spec.selfHealing} with every field set: both restarts on; {@code
   * unregisteredTimeoutSeconds} {@value SelfHealingSpec#UNREGISTERED_TIMEOUT_LEASES} lease TTLs
   * ({@code inactiveTimeoutSeconds}) but at least {@value
   * SelfHealingSpec#MIN_DEFAULT_UNREGISTERED_TIMEOUT_SECONDS} s, long enough for a worker whose
   * lease expired to register again where its release does (1.3 overwrites its key every 5 s while
   * it retries, {@code DisaggClusterWorker._heartbeat}); {@code minRestartIntervalSeconds} {@value
   * SelfHealingSpec#DEFAULT_MIN_RESTART_INTERVAL_SECONDS}.
   */
  private static void selfHealing(DisaggClusterSpec spec, int inactiveTimeoutSeconds) {
    if (spec.getSelfHealing() == null) {
      spec.setSelfHealing(new SelfHealingSpec());
    }
    SelfHealingSpec h = spec.getSelfHealing();
    if (h.getRestartUnregisteredWorkers() == null) {
      h.setRestartUnregisteredWorkers(Boolean.TRUE);
    }
    if (h.getRestartPoisonedWorkers() == null) {
      h.setRestartPoisonedWorkers(Boolean.TRUE);
    }
    if (h.getUnregisteredTimeoutSeconds() == null) {
      h.setUnregisteredTimeoutSeconds(
          Math.max(
              SelfHealingSpec.MIN_DEFAULT_UNREGISTERED_TIMEOUT_SECONDS,
              SelfHealingSpec.UNREGISTERED_TIMEOUT_LEASES * inactiveTimeoutSeconds));
    }
    if (h.getMinRestartIntervalSeconds() == null) {
      h.setMinRestartIntervalSeconds(SelfHealingSpec.DEFAULT_MIN_RESTART_INTERVAL_SECONDS);
    }
  }

  /**
   * {@code spec.fabric.kvTransferCheck} with every field set: {@code enabled} when unset is whether
   * {@code fabric.efa.enabled} or {@code minBandwidth} is set; {@code minBandwidth} of an enabled
   * check {@value KvTransferCheckSpec#DEFAULT_EFA_MIN_BANDWIDTH} (bytes per second) when unset; the
   * window, sample count and interval their defaults.
   */
  private static void kvTransferCheck(DisaggClusterSpec spec) {
    if (spec.getFabric() == null) {
      spec.setFabric(new FabricSpec());
    }
    FabricSpec fabric = spec.getFabric();
    if (fabric.getKvTransferCheck() == null) {
      fabric.setKvTransferCheck(new KvTransferCheckSpec());
    }
    KvTransferCheckSpec k = fabric.getKvTransferCheck();
    if (k.getEnabled() == null) {
      k.setEnabled(
          fabric.getEfa() != null && fabric.getEfa().isEnabled() || k.getMinBandwidth() != null);
    }
    if (k.getEnabled() && k.getMinBandwidth() == null) {
      k.setMinBandwidth(new Quantity(KvTransferCheckSpec.DEFAULT_EFA_MIN_BANDWIDTH));
    }
    if (k.getWindowSeconds() == null) {
      k.setWindowSeconds(KvTransferCheckSpec.DEFAULT_WINDOW_SECONDS);
    }
    if (k.getMinSamples() == null) {
      k.setMinSamples(KvTransferCheckSpec.DEFAULT_MIN_SAMPLES);
    }
    if (k.getIntervalSeconds() == null) {
      k.setIntervalSeconds(KvTransferCheckSpec.DEFAULT_INTERVAL_SECONDS);
    }
  }

  /**
   * {@code spec.monitoring} with every field set: {@code podMonitors} the operator's default when
   * unset, {@code interval} {@value MonitoringSpec#DEFAULT_INTERVAL}, {@code labels} the operator's
   * default labels overridden key by key by the spec's.
   */
  private static void monitoring(DisaggClusterSpec spec, MonitoringDefaults defaults) {
    if (spec.getMonitoring() == null) {
      spec.setMonitoring(new MonitoringSpec());
    }
    MonitoringSpec m = spec.getMonitoring();
    if (m.getPodMonitors() == null) {
      m.setPodMonitors(defaults.podMonitors());
    }
    if (m.getInterval() == null || m.getInterval().isBlank()) {
      m.setInterval(MonitoringSpec.DEFAULT_INTERVAL);
    }
    Map<String, String> labels = new LinkedHashMap<>(defaults.labels());
    if (m.getLabels() != null) {
      labels.putAll(m.getLabels());
    }
    m.setLabels(labels);
  }

  /** Field of the router's peers, as problems name it. */
  public static final String FIELD_ROUTER_FROM = "spec.networkPolicy.routerFrom";

  /**
   * {@code spec.networkPolicy} with every field set but {@code egress} (unset means egress is not
   * restricted): {@code enabled} the operator's default when unset, {@code monitoring} the
   * operator's monitoring peers when unset, {@code routerFrom} every pod of the namespace ({@code
   * [{podSelector: {}}]}) when unset. A router Service of type {@code LoadBalancer} or {@code
   * NodePort} with that default {@code routerFrom} is a warning on {@value #FIELD_ROUTER_FROM}:
   * clients outside the namespace, the load balancer's included, would be blocked.
   */
  private static void networkPolicy(
      DisaggClusterSpec spec, NetworkPolicyDefaults defaults, List<SpecProblem> problems) {
    if (spec.getNetworkPolicy() == null) {
      spec.setNetworkPolicy(new NetworkPolicySpec());
    }
    NetworkPolicySpec np = spec.getNetworkPolicy();
    if (np.getEnabled() == null) {
      np.setEnabled(defaults.enabled());
    }
    if (np.getMonitoring() == null) {
      np.setMonitoring(new ArrayList<>(defaults.monitoringPeers()));
    }
    boolean defaultRouterFrom = np.getRouterFrom() == null;
    if (defaultRouterFrom) {
      np.setRouterFrom(
          new ArrayList<>(
              List.of(
                  new NetworkPolicyPeerBuilder()
                      .withPodSelector(new LabelSelectorBuilder().build())
                      .build())));
    }
    RouterServiceSpec.ServiceType type =
        spec.getRouter() == null || spec.getRouter().getService() == null
            ? null
            : spec.getRouter().getService().getType();
    if (np.getEnabled()
        && defaultRouterFrom
        && (type == RouterServiceSpec.ServiceType.LoadBalancer
            || type == RouterServiceSpec.ServiceType.NodePort)) {
      problems.add(
          SpecProblem.warning(
              FIELD_ROUTER_FROM,
              "is unset, so the router accepts only pods of its namespace, but"
                  + " spec.router.service.type is "
                  + type
                  + ": clients reaching it through the "
                  + type
                  + " are blocked where NetworkPolicy is enforced; list them (e.g. an ipBlock)"
                  + " in spec.networkPolicy.routerFrom (docs/network-policies.md)"));
    }
  }

  /** Whether the effective spec asks for NetworkPolicies ({@code spec.networkPolicy.enabled}). */
  public boolean networkPolicies() {
    return Boolean.TRUE.equals(cluster.getSpec().getNetworkPolicy().getEnabled());
  }

  /** Whether the effective spec asks for PodMonitors ({@code spec.monitoring.podMonitors}). */
  public boolean podMonitors() {
    return Boolean.TRUE.equals(cluster.getSpec().getMonitoring().getPodMonitors());
  }

  private static List<EtcdEndpoint> endpoints(
      List<String> fromSpec, List<String> defaults, List<SpecProblem> problems) {
    boolean ownList =
        fromSpec != null && fromSpec.stream().anyMatch(e -> e != null && !e.isBlank());
    List<String> raw = ownList ? fromSpec : defaults;
    List<EtcdEndpoint> out = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      String e = raw.get(i);
      String field = ownList ? FIELD_ENDPOINTS + "[" + i + "]" : FIELD_ENDPOINTS;
      if (e == null || e.isBlank()) {
        if (ownList) {
          problems.add(SpecProblem.error(field, "is empty"));
        }
        continue;
      }
      try {
        EtcdEndpoint parsed = EtcdEndpoint.parse(e);
        if (parsed.tls()) {
          // TensorRT-LLM's Etcd3ClusterStorage (tensorrt_llm/serve/cluster_storage.py) opens a
          // plain
          // etcd3 client: no TLS, no credentials. The operator's own connection uses TLS by
          // tlsSecretRef.
          problems.add(
              SpecProblem.error(
                  field,
                  "'"
                      + e
                      + "' asks for TLS (https://), which TensorRT-LLM's workers and"
                      + " router do not use: they reach etcd without TLS; give host:port of a plain etcd listener"));
          continue;
        }
        if (out.stream().anyMatch(o -> o.hostPort().equals(parsed.hostPort()))) {
          problems.add(SpecProblem.warning(field, "'" + e + "' duplicates an earlier endpoint"));
          continue;
        }
        out.add(parsed);
      } catch (IllegalArgumentException ex) {
        problems.add(
            SpecProblem.error(
                field,
                ownList
                    ? ex.getMessage()
                    : "the operator's default ("
                        + DEFAULT_ENDPOINTS_PROPERTY
                        + ") "
                        + ex.getMessage()));
      }
    }
    if (out.isEmpty() && problems.stream().noneMatch(SpecProblem::isError)) {
      problems.add(
          SpecProblem.error(
              FIELD_ENDPOINTS,
              "needs at least one etcd endpoint host:port, e.g."
                  + " etcd.infra.svc:2379: the list is empty and the operator has no default ("
                  + DEFAULT_ENDPOINTS_PROPERTY
                  + ")"));
    }
    return out;
  }

  /**
   * This effective spec with {@code spec.discovery.clusterName} replaced (a deep copy; this one is
   * unchanged): what a later pairing revision's files are rendered from, since each revision
   * registers under its own {@code cluster_name} ({@code <clusterName>.<revision>},
   * docs/rollouts.md). Returns this when {@code clusterName} is already the cluster name.
   */
  public EffectiveSpec withClusterName(String clusterName) {
    Objects.requireNonNull(clusterName, "clusterName");
    if (clusterName.equals(clusterName())) {
      return this;
    }
    DisaggCluster copy = SERIALIZATION.clone(cluster);
    copy.getSpec().getDiscovery().setClusterName(clusterName);
    return new EffectiveSpec(copy, etcdEndpoints, release, operatorPeers);
  }

  /**
   * {@code disagg_cluster.cluster_name}: the etcd key prefix {@code /trtllm-disagg/<clusterName>/}.
   */
  public String clusterName() {
    return cluster.getSpec().getDiscovery().getClusterName();
  }
}
