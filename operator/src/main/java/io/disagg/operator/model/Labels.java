package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import java.util.LinkedHashMap;
import java.util.Map;

/** Labels and annotations the operator puts on what it creates. */
public final class Labels {
  private Labels() {}

  public static final String NAME = "app.kubernetes.io/name";
  public static final String INSTANCE = "app.kubernetes.io/instance";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String PART_OF = "app.kubernetes.io/part-of";

  public static final String APP_NAME = "trtllm-disagg";
  public static final String MANAGER = "disagg-operator";
  public static final String ROUTER_COMPONENT = "router";

  /** Selector of everything this operator manages. */
  public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + MANAGER;

  /**
   * Informer selectors of one component's children. Each dependent has its own informer; with
   * {@link #MANAGED_SELECTOR} alone each of the two StatefulSet informers would cache both
   * StatefulSets of every DisaggCluster, each of the three Service informers all three Services,
   * and so on (the control-plane benchmark measured the heap this costs, docs/benchmarks.md).
   */
  public static final String CONTEXT_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + Pool.CONTEXT_ID;

  /** See {@link #CONTEXT_CHILDREN}. */
  public static final String GENERATION_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + Pool.GENERATION_ID;

  /** See {@link #CONTEXT_CHILDREN}. */
  public static final String ROUTER_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + ROUTER_COMPONENT;

  /** See {@link #CONTEXT_CHILDREN}: the worker and router config ({@code <name>-config}). */
  public static final String CONFIG_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + ConfigMaps.COMPONENT;

  /** See {@link #CONTEXT_CHILDREN}: the fabric environment ({@code <name>-fabric}). */
  public static final String FABRIC_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + ConfigMaps.FABRIC_COMPONENT;

  /** See {@link #CONTEXT_CHILDREN}: the workers' PodMonitor ({@code <name>-workers}). */
  public static final String WORKERS_MONITOR_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + PodMonitors.WORKERS_COMPONENT;

  /** See {@link #CONTEXT_CHILDREN}: the routers' PodMonitor ({@code <name>-router}). */
  public static final String ROUTER_MONITOR_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + PodMonitors.ROUTER_COMPONENT;

  /** See {@link #CONTEXT_CHILDREN}: the workers' NetworkPolicy ({@code <name>-workers}). */
  public static final String WORKERS_NETWORK_POLICY_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + NetworkPolicies.WORKERS_COMPONENT;

  /** See {@link #CONTEXT_CHILDREN}: the router's NetworkPolicy ({@code <name>-router}). */
  public static final String ROUTER_NETWORK_POLICY_CHILDREN =
      MANAGED_SELECTOR + "," + COMPONENT + "=" + NetworkPolicies.ROUTER_COMPONENT;

  /**
   * Pod-template annotation holding the hash of the configuration the pods read; a change rolls
   * them.
   */
  public static final String CONFIG_HASH = "serving.disagg.io/config-hash";

  /** Annotation holding the hash of a child's desired state; equal hash means nothing to write. */
  public static final String DESIRED_HASH = "serving.disagg.io/desired-hash";

  /** Labels common to every child of the cluster. */
  public static Map<String, String> common(DisaggCluster cr) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put(NAME, APP_NAME);
    l.put(INSTANCE, cr.getMetadata().getName());
    l.put(MANAGED_BY, MANAGER);
    return l;
  }

  /**
   * Labels of one component (a pool id or {@code router}); also its pod selector, see {@link
   * #selector}.
   */
  public static Map<String, String> component(DisaggCluster cr, String component) {
    Map<String, String> l = common(cr);
    l.put(COMPONENT, component);
    return l;
  }

  /** Immutable pod selector of a component: name, instance and component. */
  public static Map<String, String> selector(DisaggCluster cr, String component) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put(NAME, APP_NAME);
    l.put(INSTANCE, cr.getMetadata().getName());
    l.put(COMPONENT, component);
    return l;
  }

  /** Selector of every worker pod of the cluster (both pools), used for colocation affinity. */
  public static Map<String, String> workers(DisaggCluster cr) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put(NAME, APP_NAME);
    l.put(INSTANCE, cr.getMetadata().getName());
    l.put(PART_OF, cr.getMetadata().getName() + "-workers");
    return l;
  }
}
