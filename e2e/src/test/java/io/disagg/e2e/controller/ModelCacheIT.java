package io.disagg.e2e.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.e2e.testing.Testbed;
import io.disagg.e2e.trtllm.SimulatedModelCache;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.api.v1alpha1.ModelCacheStatus;
import io.disagg.operator.api.v1alpha1.ModelDownloadSpec;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.ClusterTest;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model cache end to end on the local cluster: the operator creates the claim (bound by the
 * test to a pre-created PersistentVolume: there is no provisioner, {@link
 * Testbed#prepareModelCache}) and the download Job, whose pod the simulated kubelet runs as the
 * operator's download program would ({@link SimulatedModelCache}: the marker on the claim's host
 * directory, or huggingface_hub's error as the termination message); the Job controller of
 * kube-controller-manager counts the pods and sets the Job's conditions. Worker pods run their
 * {@code model-cache-wait} init container until the marker of their model identity exists, so no
 * worker process starts before the download completed.
 */
@ClusterTest
class ModelCacheIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @BeforeAll
  static void crd() {
    try (var c = LocalCluster.newClient()) {
      Samples.installCrd(c);
    }
  }

  static DisaggCluster cached(Testbed bed, String storageClass) {
    DisaggCluster cr = bed.sample("minimal.yaml");
    ModelCacheSpec mc = new ModelCacheSpec();
    mc.setStorageClassName(storageClass);
    mc.setSize(new Quantity("10Gi"));
    mc.setDownload(new ModelDownloadSpec());
    mc.getDownload().setBackoffLimit(1);
    cr.getSpec().setModelCache(mc);
    bed.prepareModelCache(cr);
    return cr;
  }

  @Test
  void workersStartOnlyAfterTheDownloadCompletedThenTheClusterIsReady(TestNamespace ns) {
    AtomicReference<Duration> downloadTakes = new AtomicReference<>(Duration.ofSeconds(600));
    try (Testbed bed =
        Testbed.startWithKubelet(ns, 20, k -> k.downloadDuration(p -> downloadTakes.get()))) {
      DisaggCluster cr = cached(bed, "sim-rwx");
      ns.client().resource(cr).create();
      String name = cr.getMetadata().getName();

      // the download runs (10 min here): the claim is created and bound, the Job's pod runs,
      // the worker pods are scheduled and wait in their init container
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                assertThat(cache(ns, name).getState()).isEqualTo(ModelCacheStatus.DOWNLOADING);
                assertThat(workers(ns, name))
                    .hasSize(3) // minimal.yaml: 2 context, 1 generation
                    .allSatisfy(
                        p -> {
                          // statuses appear only once kwok gave the pod its IP
                          assertThat(p.getStatus().getInitContainerStatuses()).isNotEmpty();
                          ContainerStatus wait = p.getStatus().getInitContainerStatuses().get(0);
                          assertThat(wait.getName()).isEqualTo("model-cache-wait");
                          assertThat(wait.getState().getRunning()).isNotNull();
                          assertThat(p.getStatus().getPhase()).isEqualTo("Pending");
                        });
              });
      PersistentVolumeClaim pvc =
          ns.client()
              .persistentVolumeClaims()
              .inNamespace(ns.name())
              .withName(name + "-model-cache")
              .get();
      assertThat(pvc.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
      assertThat(pvc.getStatus().getPhase()).isEqualTo("Bound");
      assertThat(pvc.getMetadata().getOwnerReferences())
          .as("the weights outlive the DisaggCluster unless deleteClaimWithCluster")
          .isEmpty();
      ModelCacheStatus downloading = cache(ns, name);
      assertThat(downloading.getClaimName()).isEqualTo(name + "-model-cache");
      Job job =
          ns.client()
              .batch()
              .v1()
              .jobs()
              .inNamespace(ns.name())
              .withName(downloading.getJobName())
              .get();
      assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
          .extracting(EnvVar::getName)
          .contains("HF_HOME", "DISAGG_MODEL", "DISAGG_MODEL_CACHE_MARKER");
      assertThat(bed.kubelet().allWorkers()).as("no worker process before the cache").isEmpty();
      assertThat(condition(ns, name, ConditionType.READY).getStatus()).isEqualTo("False");

      downloadTakes.set(Duration.ofSeconds(1));
      // the Job controller made no new pod: end the running one by deleting it (the Job makes a
      // new one, which the kubelet now completes in 1 s)
      ns.client()
          .pods()
          .inNamespace(ns.name())
          .withLabel(Labels.COMPONENT, "model-download")
          .delete();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                assertThat(condition(ns, name, ConditionType.READY).getStatus()).isEqualTo("True");
                ModelCacheStatus done = cache(ns, name);
                assertThat(done.getState()).isEqualTo(ModelCacheStatus.COMPLETE);
                assertThat(done.getCompletionTime()).isNotBlank();
                assertThat(done.getModelIdentity()).isEqualTo(downloading.getModelIdentity());
              });
      assertThat(workers(ns, name))
          .allSatisfy(
              p ->
                  assertThat(p.getSpec().getContainers().get(0).getEnv())
                      .extracting(EnvVar::getName)
                      .contains("HF_HOME", "HF_HUB_OFFLINE"));
      assertThat(condition(ns, name, ConditionType.DEGRADED).getStatus()).isEqualTo("False");
    }
  }

  @Test
  void aFailedDownloadDegradesTheClusterWithTheJobsMessageAndWorkersKeepWaiting(TestNamespace ns) {
    try (Testbed bed =
        Testbed.startWithKubelet(
            ns,
            20,
            k ->
                k.downloadDuration(Duration.ofMillis(500))
                    .downloadOutcome(
                        p -> SimulatedModelCache.Outcome.gated("meta-llama/Llama-3.1-8B")))) {
      DisaggCluster cr = cached(bed, "sim-rwx");
      ns.client().resource(cr).create();
      String name = cr.getMetadata().getName();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                ModelCacheStatus s = cache(ns, name);
                assertThat(s.getState()).isEqualTo(ModelCacheStatus.FAILED);
                assertThat(s.getMessage())
                    .contains(
                        "download Job " + s.getJobName() + " failed (BackoffLimitExceeded",
                        "failed (exit 1): GatedRepoError: 401 Client Error.");
                Condition d = condition(ns, name, ConditionType.DEGRADED);
                assertThat(d.getStatus()).isEqualTo("True");
                assertThat(d.getReason()).isEqualTo("ModelDownloadFailed");
                assertThat(d.getMessage()).contains("GatedRepoError");
              });
      // backoffLimit 1: two pods ran, both failed
      assertThat(
              ns.client()
                  .pods()
                  .inNamespace(ns.name())
                  .withLabel(Labels.COMPONENT, "model-download")
                  .list()
                  .getItems())
          .hasSize(2)
          .allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Failed"));
      assertThat(ns.client().v1().events().inNamespace(ns.name()).list().getItems())
          .filteredOn(e -> "Warning".equals(e.getType()))
          .extracting(Event::getReason)
          .contains("ModelDownloadFailed");
      assertThat(workers(ns, name))
          .isNotEmpty()
          .allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Pending"));
      assertThat(bed.kubelet().allWorkers()).as("workers keep waiting").isEmpty();
      assertThat(condition(ns, name, ConditionType.READY).getStatus()).isEqualTo("False");
    }
  }

  @Test
  void aModelChangeDownloadsAgainWhileTheOldRevisionKeepsServing(TestNamespace ns) {
    String newModel = "Qwen/Qwen2.5-0.5B-Instruct";
    try (Testbed bed =
        Testbed.startWithKubelet(
            ns,
            20,
            k ->
                k.downloadDuration(
                    p ->
                        newModel.equals(downloadModel(p))
                            ? Duration.ofSeconds(20)
                            : Duration.ofSeconds(1)))) {
      DisaggCluster cr = cached(bed, "sim-rwx");
      ns.client().resource(cr).create();
      String name = cr.getMetadata().getName();
      await()
          .atMost(TIMEOUT)
          .until(() -> "True".equals(condition(ns, name, ConditionType.READY).getStatus()));
      DisaggCluster ready = get(ns, name);
      String oldRevision = ready.getStatus().getServingRevision();
      String oldJob = ready.getStatus().getModelCache().getJobName();
      int instances = workers(ns, name).size();

      ns.client()
          .resources(DisaggCluster.class)
          .inNamespace(ns.name())
          .withName(name)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"model\":\"" + newModel + "\"}}");

      // a new Job for the new identity; the new revision's workers wait for it, the old
      // revision keeps serving
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                ModelCacheStatus s = cache(ns, name);
                assertThat(s.getJobName()).isNotEqualTo(oldJob);
                assertThat(s.getState()).isEqualTo(ModelCacheStatus.DOWNLOADING);
                assertThat(workers(ns, name)).hasSize(2 * instances);
              });
      assertThat(get(ns, name).getStatus().getServingRevision()).isEqualTo(oldRevision);
      assertThat(condition(ns, name, ConditionType.READY).getStatus()).isEqualTo("True");
      assertThat(
              workers(ns, name).stream()
                  .filter(p -> "Pending".equals(p.getStatus().getPhase()))
                  .toList())
          .as("the new revision's workers wait for the new model")
          .hasSize(instances);
      assertThat(ns.client().batch().v1().jobs().inNamespace(ns.name()).withName(oldJob).get())
          .isNotNull();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                DisaggCluster now = get(ns, name);
                assertThat(now.getStatus().getModelCache().getState())
                    .isEqualTo(ModelCacheStatus.COMPLETE);
                assertThat(now.getStatus().getServingRevision()).isNotEqualTo(oldRevision);
                assertThat(condition(ns, name, ConditionType.READY).getStatus()).isEqualTo("True");
              });
    }
  }

  private static String downloadModel(Pod p) {
    return p.getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> "DISAGG_MODEL".equals(e.getName()))
        .map(EnvVar::getValue)
        .findFirst()
        .orElse("");
  }

  private static List<Pod> workers(TestNamespace ns, String name) {
    return ns
        .client()
        .pods()
        .inNamespace(ns.name())
        .withLabel(Labels.PART_OF, name + "-workers")
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  private static DisaggCluster get(TestNamespace ns, String name) {
    return ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).withName(name).get();
  }

  private static ModelCacheStatus cache(TestNamespace ns, String name) {
    DisaggCluster cr = get(ns, name);
    return cr == null || cr.getStatus() == null || cr.getStatus().getModelCache() == null
        ? new ModelCacheStatus()
        : cr.getStatus().getModelCache();
  }

  private static Condition condition(TestNamespace ns, String name, ConditionType type) {
    DisaggCluster cr = get(ns, name);
    if (cr == null || cr.getStatus() == null) {
      return new Condition();
    }
    return Conditions.find(cr.getStatus().getConditions(), type).orElse(new Condition());
  }
}
