package io.disagg.e2e.testing;

import static org.awaitility.Awaitility.await;

import io.disagg.e2e.trtllm.NodeFabric;
import io.disagg.e2e.trtllm.SimulatedKubelet;
import io.disagg.e2e.trtllm.SimulatedRouter;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.OperatorRunner;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Everything an end-to-end test of one namespace needs: a real etcd, the operator (real reconciler,
 * in this JVM), and a simulated kubelet that runs a simulated TensorRT-LLM worker for every worker
 * pod and a simulated router for every router pod, bound to the pod's loopback IP and using that
 * etcd, and that sets the pods' readiness from their probes. Closing it stops all three, operator
 * first.
 */
public final class Testbed implements AutoCloseable {

  private final TestNamespace ns;
  private final EtcdServer etcd;
  private OperatorRunner operator;
  private final SimulatedKubelet kubelet;
  private final UnaryOperator<OperatorRunner.Builder> operatorOptions;
  private final List<String> volumes = new ArrayList<>();

  private Testbed(
      TestNamespace ns,
      long serviceTimeMillis,
      UnaryOperator<OperatorRunner.Builder> operatorOptions,
      UnaryOperator<SimulatedKubelet.Builder> kubeletOptions) {
    this.ns = ns;
    this.operatorOptions = operatorOptions;
    this.etcd = EtcdServer.start();
    try {
      this.operator = operatorOptions.apply(OperatorRunner.builder(ns.name())).start();
    } catch (RuntimeException e) {
      etcd.close();
      throw e;
    }
    this.kubelet =
        kubeletOptions
            .apply(
                SimulatedKubelet.builder(ns.client(), ns.name(), etcd.endpoint())
                    .serviceTimeMillis(serviceTimeMillis)
                    .drainTimeout(Duration.ofSeconds(60)))
            .start();
  }

  /** A testbed whose workers answer each request after 20 ms. */
  public static Testbed start(TestNamespace ns) {
    return new Testbed(ns, 20, b -> b, k -> k);
  }

  /**
   * A testbed whose workers answer each request after 20 ms, and whose operator (now and after
   * {@link #startOperator()}) has these options, e.g. another identity or leader election.
   */
  public static Testbed start(
      TestNamespace ns, UnaryOperator<OperatorRunner.Builder> operatorOptions) {
    return new Testbed(ns, 20, operatorOptions, k -> k);
  }

  /** A testbed whose workers answer each request after {@code serviceTimeMillis} milliseconds. */
  public static Testbed start(TestNamespace ns, long serviceTimeMillis) {
    return new Testbed(ns, serviceTimeMillis, b -> b, k -> k);
  }

  /**
   * A testbed whose workers answer each request after {@code serviceTimeMillis} milliseconds and
   * whose simulated kubelet has these options, e.g. another TensorRT-LLM release.
   */
  public static Testbed startWithKubelet(
      TestNamespace ns, long serviceTimeMillis, UnaryOperator<SimulatedKubelet.Builder> kubelet) {
    return new Testbed(ns, serviceTimeMillis, b -> b, kubelet);
  }

  /**
   * A testbed whose workers answer each request after 20 ms and whose nodes offer the fabric
   * pre-flight what {@code byNodeName} says ({@link SimulatedKubelet.Builder#nodeFabric}).
   */
  public static Testbed withNodeFabric(TestNamespace ns, Function<String, NodeFabric> byNodeName) {
    return new Testbed(ns, 20, b -> b, k -> k.nodeFabric(byNodeName));
  }

  /**
   * A sample from config-samples/, pointed at this testbed's etcd and namespace; with a model cache
   * its storage is prepared ({@link #prepareModelCache}).
   */
  public DisaggCluster sample(String file) {
    DisaggCluster cr = Samples.load(file);
    cr.getMetadata().setNamespace(ns.name());
    cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>(List.of(etcd.endpoint())));
    if (cr.getSpec().getModelCache() != null) {
      prepareModelCache(cr);
    }
    return cr;
  }

  /**
   * What a cluster with a storage provisioner would give a DisaggCluster's model cache, on the
   * local cluster that has none: for a claim the operator creates ({@code spec.modelCache.size}) a
   * PersistentVolume pre-bound to it ({@code claimRef}; the PV controller of
   * kube-controller-manager binds the claim to it when it appears, as for any statically
   * provisioned volume), ReadWriteMany, of the claim's class and size, deleted by {@link #close()};
   * and the token Secret the download names, with a dummy token (the simulated download does not
   * read it). The claim's contents live in the simulated kubelet's host directory for the claim. An
   * existing claim ({@code claimName}) is the test's to create.
   */
  public void prepareModelCache(DisaggCluster cr) {
    ModelCacheSpec mc = cr.getSpec().getModelCache();
    String name = cr.getMetadata().getName();
    if (mc.getSize() != null && (mc.getClaimName() == null || mc.getClaimName().isBlank())) {
      String claim = name + "-model-cache";
      PersistentVolume pv =
          new PersistentVolumeBuilder()
              .withNewMetadata()
              // unique: a PV of an earlier testbed may still wait for its claim to go
              .withName(
                  ns.name()
                      + "-"
                      + claim
                      + "-"
                      + Long.toString(System.nanoTime() % 1_000_000_000L, 36))
              .endMetadata()
              .withNewSpec()
              .withCapacity(java.util.Map.of("storage", mc.getSize()))
              .withAccessModes("ReadWriteMany")
              .withStorageClassName(mc.getStorageClassName())
              .withPersistentVolumeReclaimPolicy("Retain")
              .withNewClaimRef()
              .withNamespace(ns.name())
              .withName(claim)
              .endClaimRef()
              .withNewHostPath()
              .withPath("/simulated/" + ns.name() + "/" + claim)
              .endHostPath()
              .endSpec()
              .build();
      ns.client().persistentVolumes().resource(pv).create();
      volumes.add(pv.getMetadata().getName());
    }
    if (mc.getDownload() != null && mc.getDownload().getTokenSecretRef() != null) {
      String secret = mc.getDownload().getTokenSecretRef().getName();
      String key =
          mc.getDownload().getTokenSecretRef().getKey() == null
              ? "HF_TOKEN"
              : mc.getDownload().getTokenSecretRef().getKey();
      ns.client()
          .secrets()
          .inNamespace(ns.name())
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(secret)
                  .endMetadata()
                  .withStringData(java.util.Map.of(key, "hf_simulated"))
                  .build())
          .createOr(r -> r.update());
    }
  }

  public EtcdServer etcd() {
    return etcd;
  }

  public OperatorRunner operator() {
    return operator;
  }

  public SimulatedKubelet kubelet() {
    return kubelet;
  }

  /**
   * The router the DisaggCluster's router pod runs (the first one by pod name), once it runs: what
   * clients reach through the router Service.
   */
  public SimulatedRouter router(Duration timeout) {
    return kubelet.awaitRouter(timeout);
  }

  /** Stops the operator (as a crash or a rollout of the operator would). */
  /**
   * Wakes the reconciler {@code nudges} times with events that change nothing it owns (an
   * annotation on pod {@code podName}), after letting in-flight reconciles settle, and returns the
   * writes the operator sent to the API server meanwhile: a reconcile of an unchanged cluster sends
   * none. Waits for each nudge's reconcile (at most {@code timeout} each).
   */
  public List<String> writesDuringUnchangedReconciles(
      String podName, int nudges, Duration timeout) {
    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> true);
    operator.requests().reset();
    int before = operator.reconciles();
    for (int i = 0; i < nudges; i++) {
      final int n = i;
      ns.client()
          .pods()
          .inNamespace(ns.name())
          .withName(podName)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"metadata\":{\"annotations\":{\"test/nudge\":\"" + n + "\"}}}");
      await().atMost(timeout).until(() -> operator.reconciles() > before + n);
    }
    return operator.requests().writes();
  }

  public void stopOperator() {
    if (operator != null) {
      operator.close();
      operator = null;
    }
  }

  /** Starts a new operator after {@link #stopOperator()}. */
  public OperatorRunner startOperator() {
    stopOperator();
    operator = operatorOptions.apply(OperatorRunner.builder(ns.name())).start();
    return operator;
  }

  @Override
  public void close() {
    stopOperator();
    // Workers that could not start say why; shown in the test output for diagnosis.
    kubelet.events().stream()
        .filter(e -> e.contains("WAITING") || e.contains("failed"))
        .limit(20)
        .forEach(e -> System.out.println("[simulated kubelet] " + e));
    kubelet.close();
    etcd.close();
    for (String pv : volumes) {
      ns.client().persistentVolumes().withName(pv).delete();
    }
  }
}
