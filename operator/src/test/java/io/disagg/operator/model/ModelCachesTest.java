package io.disagg.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.api.v1alpha1.ModelDownloadSpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.EffectiveSpecs;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The model cache's builders: the claim, the download Job and what worker pods get. What they
 * follow upstream: TensorRT-LLM resolves a Hugging Face id with {@code download_hf_model(model,
 * llm_args.revision)} ({@code tensorrt_llm/llmapi/utils.py}, called from {@code
 * CachedModelLoader._download_hf_model_if_needed} in {@code tensorrt_llm/llmapi/llm_utils.py}):
 * {@code snapshot_download(..., local_files_only=HF_HUB_OFFLINE,
 * ignore_patterns=["original/**&#47;*"])} in the hub cache under {@code HF_HOME}.
 */
class ModelCachesTest {

  static DisaggCluster cached(String claimName) {
    DisaggCluster cr = ModelFixtures.cluster();
    ModelCacheSpec mc = new ModelCacheSpec();
    if (claimName != null) {
      mc.setClaimName(claimName);
    } else {
      mc.setSize(new Quantity("200Gi"));
      mc.setStorageClassName("efs-sc");
    }
    cr.getSpec().setModelCache(mc);
    return cr;
  }

  static DisaggCluster effective(DisaggCluster cr) {
    return EffectiveSpecs.of(cr, List.of("etcd:2379")).spec().cluster();
  }

  @Test
  void identityFollowsModelAndRevisionOnly() {
    DisaggCluster a = effective(cached(null));
    DisaggCluster b = effective(cached("other-claim"));
    assertThat(ModelCaches.identity(a)).hasSize(10).isEqualTo(ModelCaches.identity(b));
    DisaggCluster otherModel = cached(null);
    otherModel.getSpec().setModel("Qwen/Qwen2.5-7B-Instruct");
    assertThat(ModelCaches.identity(effective(otherModel))).isNotEqualTo(ModelCaches.identity(a));
    DisaggCluster revised = cached(null);
    revised.getSpec().getModelCache().setDownload(new ModelDownloadSpec());
    revised.getSpec().getModelCache().getDownload().setRevision("v2");
    assertThat(ModelCaches.identity(effective(revised))).isNotEqualTo(ModelCaches.identity(a));
    assertThat(ModelCaches.jobName(a)).isEqualTo("demo-model-" + ModelCaches.identity(a));
    assertThat(ModelCaches.markerPath(a))
        .isEqualTo("/models/.disagg-model-cache/" + ModelCaches.identity(a) + ".complete");
  }

  @Test
  void createdClaimIsReadWriteManyOfTheClassAndSizeWithoutOwner() {
    DisaggCluster cr = effective(cached(null));
    assertThat(ModelCaches.createsClaim(cr)).isTrue();
    PersistentVolumeClaim pvc = ModelCaches.claim(cr);
    assertThat(pvc.getMetadata().getName()).isEqualTo("demo-model-cache");
    assertThat(pvc.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(pvc.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    assertThat(pvc.getSpec().getStorageClassName()).isEqualTo("efs-sc");
    assertThat(pvc.getSpec().getResources().getRequests())
        .containsEntry("storage", new Quantity("200Gi"));
    assertThat(pvc.getMetadata().getAnnotations()).containsKey(Labels.DESIRED_HASH);
    assertThat(ModelCaches.createsClaim(effective(cached("weights")))).isFalse();
  }

  @Test
  void downloadJobRunsSnapshotDownloadIntoHfHomeWithTheTokenAndWritesTheMarker() {
    DisaggCluster cr = cached("weights");
    ModelDownloadSpec d = new ModelDownloadSpec();
    d.setTokenSecretRef(new ModelDownloadSpec.TokenSecretRef());
    d.getTokenSecretRef().setName("hf");
    d.setRevision("main");
    cr.getSpec().getModelCache().setDownload(d);
    cr = effective(cr);
    Job job = ModelCaches.job(cr);
    assertThat(job.getMetadata().getName()).isEqualTo(ModelCaches.jobName(cr));
    assertThat(job.getSpec().getBackoffLimit()).isEqualTo(2);
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry(Labels.MANAGED_BY, Labels.MANAGER)
        .containsEntry(Labels.COMPONENT, ModelCaches.COMPONENT)
        .containsEntry(ModelCaches.IDENTITY_LABEL, ModelCaches.identity(cr));
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo(ModelFixtures.IMAGE);
    assertThat(c.getCommand()).startsWith("python3", "-c");
    assertThat(c.getCommand().get(2))
        .contains(
            "snapshot_download(model, revision=revision, ignore_patterns=[\"original/**/*\"])")
        .contains("/dev/termination-log")
        .contains("partial.replace(marker)");
    Map<String, EnvVar> env = byName(c.getEnv());
    assertThat(env.get("HF_HOME").getValue()).isEqualTo("/models");
    assertThat(env.get("DISAGG_MODEL").getValue()).isEqualTo(ModelFixtures.MODEL);
    assertThat(env.get("DISAGG_MODEL_REVISION").getValue()).isEqualTo("main");
    assertThat(env.get("DISAGG_MODEL_CACHE_MARKER").getValue())
        .isEqualTo(ModelCaches.markerPath(cr));
    assertThat(env.get("HF_TOKEN").getValueFrom().getSecretKeyRef().getName()).isEqualTo("hf");
    assertThat(env.get("HF_TOKEN").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("HF_TOKEN");
    assertThat(c.getVolumeMounts().get(0).getReadOnly()).isNull();
    assertThat(pod.getVolumes().get(0).getPersistentVolumeClaim().getClaimName())
        .isEqualTo("weights");
    assertThat(pod.getVolumes().get(0).getPersistentVolumeClaim().getReadOnly()).isNull();
    // the revision reaches the workers too: offline, the hub cache only has what was downloaded
    assertThat(cr.getSpec().getContext().getLlmApiOptions()).containsEntry("revision", "main");
  }

  @Test
  void workersMountTheCacheReadOnlyAsHfHomeOfflineAndWaitForTheMarker() {
    DisaggCluster cr = effective(cached(null));
    StatefulSet sts =
        WorkerStatefulSets.desired(cr, ModelFixtures.names(cr), Pool.GENERATION, 1, "hash", "{}");
    PodSpec pod = sts.getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers())
        .extracting(Container::getName)
        .containsExactly(ModelCaches.WAIT_CONTAINER);
    Container wait = pod.getInitContainers().get(0);
    assertThat(wait.getCommand().get(2)).contains("until [ -f \"$DISAGG_MODEL_CACHE_MARKER\" ]");
    assertThat(byName(wait.getEnv()).get("DISAGG_MODEL_CACHE_MARKER").getValue())
        .isEqualTo(ModelCaches.markerPath(cr));
    assertThat(wait.getVolumeMounts().get(0).getReadOnly()).isTrue();
    Container worker = pod.getContainers().get(0);
    Map<String, EnvVar> env = byName(worker.getEnv());
    assertThat(env.get("HF_HOME").getValue()).isEqualTo("/models");
    assertThat(env.get("HF_HUB_OFFLINE").getValue()).isEqualTo("1");
    assertThat(worker.getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getName()).isEqualTo(ModelCaches.VOLUME);
              assertThat(m.getMountPath()).isEqualTo("/models");
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("demo-model-cache");
              assertThat(v.getPersistentVolumeClaim().getReadOnly()).isTrue();
            });
  }

  @Test
  void prepopulatedCacheIsMountedWithoutWaitNorOfflineMode() {
    DisaggCluster cr = cached("weights");
    cr.getSpec().getModelCache().setDownload(new ModelDownloadSpec());
    cr.getSpec().getModelCache().getDownload().setEnabled(false);
    cr = effective(cr);
    assertThat(ModelCaches.downloads(cr)).isFalse();
    PodSpec pod =
        WorkerStatefulSets.desired(cr, ModelFixtures.names(cr), Pool.CONTEXT, 1, "h", "{}")
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(pod.getInitContainers()).isEmpty();
    Map<String, EnvVar> env = byName(pod.getContainers().get(0).getEnv());
    assertThat(env).containsKey("HF_HOME").doesNotContainKey("HF_HUB_OFFLINE");
  }

  @Test
  void clustersWithoutCacheGetNothingOfIt() {
    DisaggCluster cr = effective(ModelFixtures.cluster());
    PodSpec pod =
        WorkerStatefulSets.desired(cr, ModelFixtures.names(cr), Pool.CONTEXT, 1, "h", "{}")
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(pod.getVolumes()).noneMatch(v -> ModelCaches.VOLUME.equals(v.getName()));
    assertThat(byName(pod.getContainers().get(0).getEnv())).doesNotContainKey("HF_HOME");
  }

  private static Map<String, EnvVar> byName(List<EnvVar> env) {
    Map<String, EnvVar> m = new java.util.LinkedHashMap<>();
    env.forEach(e -> m.put(e.getName(), e));
    return m;
  }
}
