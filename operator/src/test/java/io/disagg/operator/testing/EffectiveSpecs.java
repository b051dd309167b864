package io.disagg.operator.testing;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.spec.MonitoringDefaults;
import io.disagg.operator.spec.NetworkPolicyDefaults;
import java.util.List;

/**
 * {@link EffectiveSpec#of} with the operator's installation-wide settings the test does not care
 * about left at their built-in defaults (PodMonitors off, the built-in NetworkPolicy settings).
 */
public final class EffectiveSpecs {

  private EffectiveSpecs() {}

  /** The effective spec with default etcd endpoints {@code defaultEtcdEndpoints}. */
  public static EffectiveSpec.Result of(DisaggCluster cr, List<String> defaultEtcdEndpoints) {
    return of(cr, defaultEtcdEndpoints, MonitoringDefaults.OFF);
  }

  /** The effective spec with the given monitoring defaults. */
  public static EffectiveSpec.Result of(
      DisaggCluster cr, List<String> defaultEtcdEndpoints, MonitoringDefaults monitoring) {
    return EffectiveSpec.of(cr, defaultEtcdEndpoints, monitoring, NetworkPolicyDefaults.DEFAULT);
  }
}
