package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/**
 * The PodDisruptionBudget {@code <name>-<pool>}: voluntary evictions (node drains) keep at least
 * {@code minimalInstances} pods of the pool, the count below which the TensorRT-LLM router answers
 * {@code /health} with 500 and refuses requests.
 */
public final class PoolDisruptionBudgets {
  private PoolDisruptionBudgets() {}

  /**
   * Unhealthy pods (e.g. still loading the model, or crash-looping) may always be evicted, so a
   * stuck pod never blocks a node drain ({@code unhealthyPodEvictionPolicy: AlwaysAllow},
   * Kubernetes 1.27+; older API servers ignore the field).
   */
  public static final String UNHEALTHY_POD_EVICTION_POLICY = "AlwaysAllow";

  public static PodDisruptionBudget desired(DisaggCluster cr, Pool pool) {
    PodDisruptionBudget pdb =
        new PodDisruptionBudgetBuilder()
            .withNewMetadata()
            .withName(Names.pool(cr, pool))
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(Labels.component(cr, pool.id()))
            .endMetadata()
            .withNewSpec()
            .withMinAvailable(new IntOrString(cr.getSpec().pool(pool).getMinimalInstances()))
            .withNewSelector()
            .withMatchLabels(Labels.selector(cr, pool.id()))
            .endSelector()
            .withUnhealthyPodEvictionPolicy(UNHEALTHY_POD_EVICTION_POLICY)
            .endSpec()
            .build();
    return Hashes.withDesiredHash(pdb);
  }
}
