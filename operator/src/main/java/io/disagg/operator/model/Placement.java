package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.EfaSpec;
import io.disagg.operator.api.v1alpha1.PlacementSpec;
import io.disagg.operator.api.v1alpha1.PlacementSpec.Colocation;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.PodAffinity;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTermBuilder;
import java.util.ArrayList;

/**
 * Colocation of the two worker pools: every worker pod gets pod affinity to the worker pods of the
 * same DisaggCluster ({@link Labels#workers}) over {@code spec.placement.topologyKey} (default: the
 * availability zone). EFA does not cross availability zones, and cross-zone KV-cache transfer is
 * slow and billed.
 *
 * <p>With a required self-affinity the first pod can still be scheduled: the scheduler lets a pod
 * through when no pod matches the term yet and the pod matches the term itself. Worker pods
 * therefore always carry {@link Labels#workers} (the operator's labels win over user labels).
 */
public final class Placement {
  private Placement() {}

  /** Topology key used when {@code spec.placement.topologyKey} is unset. */
  public static final String DEFAULT_TOPOLOGY_KEY = "topology.kubernetes.io/zone";

  /** Weight of the preferred colocation term (the maximum Kubernetes allows). */
  public static final int PREFERRED_WEIGHT = 100;

  /** Whether AWS EFA is enabled ({@code spec.fabric.efa.enabled}). */
  public static boolean efaEnabled(DisaggCluster cr) {
    EfaSpec efa = efa(cr);
    return efa != null && efa.isEnabled();
  }

  /** {@code spec.fabric.efa}, or null. */
  public static EfaSpec efa(DisaggCluster cr) {
    var fabric = cr.getSpec().getFabric();
    return fabric == null ? null : fabric.getEfa();
  }

  /**
   * The effective colocation: {@code spec.placement.colocation} when set; otherwise {@code
   * Required} with EFA (EFA works only inside one availability zone) and {@code Preferred} without.
   */
  public static Colocation colocation(DisaggCluster cr) {
    PlacementSpec p = cr.getSpec().getPlacement();
    if (p != null && p.getColocation() != null) {
      return p.getColocation();
    }
    return efaEnabled(cr) ? Colocation.Required : Colocation.Preferred;
  }

  /**
   * The effective topology key: {@code spec.placement.topologyKey} or {@value
   * #DEFAULT_TOPOLOGY_KEY}.
   */
  public static String topologyKey(DisaggCluster cr) {
    PlacementSpec p = cr.getSpec().getPlacement();
    if (p != null && p.getTopologyKey() != null && !p.getTopologyKey().isBlank()) {
      return p.getTopologyKey();
    }
    return DEFAULT_TOPOLOGY_KEY;
  }

  /** The pod affinity term "same topology domain as the workers of this cluster". */
  public static PodAffinityTerm colocationTerm(DisaggCluster cr) {
    return new PodAffinityTermBuilder()
        .withLabelSelector(new LabelSelectorBuilder().withMatchLabels(Labels.workers(cr)).build())
        .withTopologyKey(topologyKey(cr))
        .build();
  }

  /**
   * A worker pod's affinity: a deep copy of the user's {@code affinity} (node affinity, pod
   * affinity and anti-affinity kept as given) with the colocation term appended to {@code
   * podAffinity.requiredDuringSchedulingIgnoredDuringExecution} (Required) or to {@code
   * preferredDuringSchedulingIgnoredDuringExecution} with weight {@value #PREFERRED_WEIGHT}
   * (Preferred); nothing for Disabled. Null when empty.
   */
  public static Affinity workerAffinity(DisaggCluster cr, Affinity user) {
    Affinity affinity = user == null ? new Affinity() : Merge.copy(user, Affinity.class);
    Colocation colocation = colocation(cr);
    if (colocation != Colocation.Disabled) {
      PodAffinity pa =
          affinity.getPodAffinity() == null ? new PodAffinity() : affinity.getPodAffinity();
      if (colocation == Colocation.Required) {
        var required =
            new ArrayList<>(Merge.orEmpty(pa.getRequiredDuringSchedulingIgnoredDuringExecution()));
        required.add(colocationTerm(cr));
        pa.setRequiredDuringSchedulingIgnoredDuringExecution(required);
      } else {
        var preferred =
            new ArrayList<>(Merge.orEmpty(pa.getPreferredDuringSchedulingIgnoredDuringExecution()));
        preferred.add(
            new WeightedPodAffinityTermBuilder()
                .withWeight(PREFERRED_WEIGHT)
                .withPodAffinityTerm(colocationTerm(cr))
                .build());
        pa.setPreferredDuringSchedulingIgnoredDuringExecution(preferred);
      }
      affinity.setPodAffinity(pa);
    }
    boolean empty =
        affinity.getNodeAffinity() == null
            && affinity.getPodAffinity() == null
            && affinity.getPodAntiAffinity() == null
            && (affinity.getAdditionalProperties() == null
                || affinity.getAdditionalProperties().isEmpty());
    return empty ? null : affinity;
  }
}
