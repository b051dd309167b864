package io.disagg.operator.plan;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.RouterDeployments;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.spec.EffectiveSpec;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one reconcile decided, handed to the dependent resources: the effective spec they render
 * from, each pool's StatefulSet {@code replicas} for now (decided in {@code
 * io.disagg.operator.scaling}: the target, held while a scale-down drains), and the TensorRT-LLM
 * files rendered once with their hashes. The dependents read it through {@link #of(Context)}, which
 * fails when the reconciler did not {@link #attachTo attach} one: there is no fallback to the spec.
 *
 * <p>The dependents render one pairing revision, the desired one ({@code names}); older revisions
 * are frozen (docs/rollouts.md) and only their {@code replicas} change, outside the dependents.
 *
 * @param spec the effective spec, with {@code spec.discovery.clusterName} the revision's {@code
 *     cluster_name} ({@link RevisionNames#clusterName()})
 * @param names the names of the rendered revision's objects
 * @param replicas StatefulSet replicas of each pool (both pools present, each >= 0)
 * @param routerReplicas the router Deployment's replicas (>= 0; 0 while the revision's router has
 *     not started yet)
 * @param configFiles the {@code <name>-config} ConfigMap's data ({@link
 *     TrtllmConfig#configMapData})
 * @param fabricEnv the {@code <name>-fabric} ConfigMap's data ({@link TrtllmConfig#fabricEnv})
 * @param workerConfigHash per pool, the hash of what its workers read at start
 * @param routerConfigHash the hash of {@code router.yaml}
 * @param pairing the revision's pairing fields as canonical JSON ({@code
 *     io.disagg.operator.rollout.PairingRevision#json}), recorded on its StatefulSets ({@link
 *     RevisionNames#PAIRING})
 */
public record Plan(
    EffectiveSpec spec,
    RevisionNames names,
    Map<Pool, Integer> replicas,
    int routerReplicas,
    Map<String, String> configFiles,
    Map<String, String> fabricEnv,
    Map<Pool, String> workerConfigHash,
    String routerConfigHash,
    String pairing) {

  public Plan {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(names, "names");
    if (!names.clusterName().equals(spec.clusterName())) {
      throw new IllegalArgumentException(
          "the spec's clusterName "
              + spec.clusterName()
              + " is not the revision's "
              + names.clusterName());
    }
    if (routerReplicas < 0) {
      throw new IllegalArgumentException("router replicas: " + routerReplicas);
    }
    for (Pool pool : Pool.values()) {
      Integer r = replicas.get(pool);
      if (r == null || r < 0) {
        throw new IllegalArgumentException("replicas of the " + pool.id() + " pool: " + r);
      }
    }
    replicas = Map.copyOf(replicas);
    configFiles = Map.copyOf(configFiles);
    fabricEnv = Map.copyOf(fabricEnv);
    workerConfigHash = Map.copyOf(workerConfigHash);
    Objects.requireNonNull(routerConfigHash, "routerConfigHash");
    Objects.requireNonNull(pairing, "pairing");
  }

  /**
   * Renders the TensorRT-LLM files of {@code spec} for the revision {@code names} (its {@code
   * cluster_name}) once and hashes them.
   *
   * @param pairing the revision's pairing fields as canonical JSON
   */
  public static Plan of(
      EffectiveSpec effective,
      RevisionNames names,
      String pairing,
      Map<Pool, Integer> replicas,
      int routerReplicas) {
    EffectiveSpec spec = effective.withClusterName(names.clusterName());
    DisaggCluster cr = spec.cluster();
    Map<String, String> files = TrtllmConfig.configMapData(spec);
    Map<String, String> env = TrtllmConfig.fabricEnv(cr);
    Map<Pool, String> hashes = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      hashes.put(pool, WorkerStatefulSets.configHash(files, env, pool));
    }
    return new Plan(
        spec,
        names,
        replicas,
        routerReplicas,
        files,
        env,
        hashes,
        RouterDeployments.configHash(files),
        pairing);
  }

  /** The effective DisaggCluster the children are rendered from. */
  public DisaggCluster cluster() {
    return spec.cluster();
  }

  /** The StatefulSet replicas of {@code pool}. */
  public int replicas(Pool pool) {
    return replicas.get(pool);
  }

  /** Hands this plan to the dependents of the reconcile of {@code context}. */
  public void attachTo(Context<DisaggCluster> context) {
    context.managedWorkflowAndDependentResourceContext().put(Plan.class, this);
  }

  /**
   * The plan attached to this reconcile.
   *
   * @throws IllegalStateException when none was attached (a dependent reconciled outside the
   *     reconciler's plan)
   */
  public static Plan of(Context<DisaggCluster> context) {
    return context
        .managedWorkflowAndDependentResourceContext()
        .get(Plan.class, Plan.class)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no Plan attached to this reconcile: the reconciler attaches"
                        + " one before it reconciles the workflow"));
  }
}
