package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterSpec;
import io.disagg.operator.api.v1alpha1.ModelCacheSpec;
import io.disagg.operator.api.v1alpha1.ModelDownloadSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model cache ({@code spec.modelCache}, docs/model-cache.md): pure builders of the claim the
 * operator creates, the download Job and what worker pods get (volume, mount, environment, the wait
 * init container). Every method expects the effective spec ({@code EffectiveSpec}: {@code
 * mountPath}, {@code download.enabled}, {@code backoffLimit} set).
 *
 * <p><b>How TensorRT-LLM finds the weights.</b> {@code trtllm-serve <model>} with a Hugging Face id
 * calls {@code download_hf_model(model, llm_args.revision)} ({@code tensorrt_llm/llmapi/utils.py},
 * from {@code CachedModelLoader._download_hf_model_if_needed} in {@code
 * tensorrt_llm/llmapi/llm_utils.py}), that is {@code huggingface_hub.snapshot_download(model,
 * revision=..., local_files_only=huggingface_hub.constants.HF_HUB_OFFLINE,
 * ignore_patterns=["original/**&#47;*"])}, under a file lock in the system temporary directory (not
 * in the cache, so the cache can be read-only). {@code snapshot_download} uses the hub cache {@code
 * HF_HUB_CACHE}, by default {@code $HF_HOME/hub}. So the download Job runs the same {@code
 * snapshot_download} with the same {@code ignore_patterns} and {@code HF_HOME} on the volume, and
 * workers get {@code HF_HOME} at the mount and {@code HF_HUB_OFFLINE=1}: they read the snapshot
 * from the cache and never reach the Hub.
 *
 * <p><b>Model identity.</b> {@link #identity}: a hash of {@code spec.model} and the download
 * revision. The Job ({@link #jobName}) and the completion marker ({@link #markerPath}) are named
 * after it, so a change of the model creates a new Job and waits for a new marker.
 */
public final class ModelCaches {
  private ModelCaches() {}

  /** Suffix of the claim the operator creates: {@code <name>-model-cache}. */
  public static final String CLAIM_SUFFIX = "-model-cache";

  /** Name of the cache volume in worker and download pods. */
  public static final String VOLUME = "model-cache";

  /** Init container of worker pods that waits for the marker. */
  public static final String WAIT_CONTAINER = "model-cache-wait";

  /** Container of the download Job. */
  public static final String DOWNLOAD_CONTAINER = "download";

  /** {@code app.kubernetes.io/component} of the download Job and its pods. */
  public static final String COMPONENT = "model-download";

  /** Label of the Job and its pods: the model identity. */
  public static final String IDENTITY_LABEL = "serving.disagg.io/model-identity";

  /** Directory of the completion markers, relative to the mount path. */
  public static final String MARKER_DIR = ".disagg-model-cache";

  /** Characters of the model identity (hex). */
  public static final int IDENTITY_LENGTH = 10;

  public static final String ENV_HF_HOME = "HF_HOME";
  public static final String ENV_HF_HUB_OFFLINE = "HF_HUB_OFFLINE";
  public static final String ENV_HF_TOKEN = "HF_TOKEN";
  public static final String ENV_MARKER = "DISAGG_MODEL_CACHE_MARKER";
  public static final String ENV_MODEL = "DISAGG_MODEL";
  public static final String ENV_REVISION = "DISAGG_MODEL_REVISION";

  /** Seconds between two looks of the wait init container for the marker. */
  public static final int WAIT_PERIOD_SECONDS = 5;

  /**
   * Default requests of the download container, in a fixed order (a {@code Map.of} iterates in an
   * order that differs from one JVM to the next, and so would the rendered YAML).
   */
  static final Map<String, Quantity> DEFAULT_DOWNLOAD_REQUESTS =
      Collections.unmodifiableMap(
          new TreeMap<>(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("1Gi"))));

  /**
   * The download program, run with {@code python3 -c} in the worker image (TensorRT-LLM depends on
   * {@code huggingface_hub}). It calls {@code snapshot_download} as {@code download_hf_model} does
   * ({@code tensorrt_llm/llmapi/utils.py}: same {@code ignore_patterns}; the token from {@code
   * HF_TOKEN}, which {@code huggingface_hub} reads), writes the marker last (through a rename, so a
   * marker is never partial), and on failure writes {@code <ExceptionType>: <message>} (for example
   * huggingface_hub's {@code GatedRepoError} or {@code RepositoryNotFoundError}, raised by {@code
   * hf_raise_for_status} in {@code huggingface_hub/utils/_http.py}) to the termination log and
   * exits 1. A re-run finds the files already in the cache and only checks them.
   */
  public static final String DOWNLOAD_SCRIPT =
      """
      import os, pathlib, sys
      model = os.environ["DISAGG_MODEL"]
      revision = os.environ.get("DISAGG_MODEL_REVISION") or None
      marker = pathlib.Path(os.environ["DISAGG_MODEL_CACHE_MARKER"])
      try:
          from huggingface_hub import snapshot_download
          path = snapshot_download(model, revision=revision, ignore_patterns=["original/**/*"])
      except Exception as e:
          message = (type(e).__name__ + ": " + str(e)).strip()
          print(message, file=sys.stderr, flush=True)
          try:
              with open("/dev/termination-log", "w") as log:
                  log.write(message[:4000])
          except OSError:
              pass
          sys.exit(1)
      marker.parent.mkdir(parents=True, exist_ok=True)
      partial = marker.with_name(marker.name + ".partial")
      partial.write_text(model + "\\n" + (revision or "") + "\\n" + str(path) + "\\n")
      partial.replace(marker)
      print("model " + model + " cached in " + str(path), flush=True)
      """;

  /** Informer selector of the download Jobs. */
  public static final String JOB_CHILDREN =
      Labels.MANAGED_SELECTOR + "," + Labels.COMPONENT + "=" + COMPONENT;

  /** Informer selector of the claim the operator creates. */
  public static final String CLAIM_CHILDREN =
      Labels.MANAGED_SELECTOR + "," + Labels.COMPONENT + "=" + VOLUME;

  /** Whether the cluster has a model cache. */
  public static boolean enabled(DisaggCluster cr) {
    return cr.getSpec() != null && cr.getSpec().getModelCache() != null;
  }

  /** Whether the operator downloads the model into the cache (a cache with download on). */
  public static boolean downloads(DisaggCluster cr) {
    return enabled(cr)
        && cr.getSpec().getModelCache().getDownload() != null
        && !Boolean.FALSE.equals(cr.getSpec().getModelCache().getDownload().getEnabled());
  }

  /** Whether the operator creates the claim ({@code size} set, no {@code claimName}). */
  public static boolean createsClaim(DisaggCluster cr) {
    return enabled(cr) && blank(cr.getSpec().getModelCache().getClaimName());
  }

  /** The claim mounted: {@code claimName}, else {@code <name>}{@value #CLAIM_SUFFIX}. */
  public static String claimName(DisaggCluster cr) {
    String c = cr.getSpec().getModelCache().getClaimName();
    return blank(c) ? cr.getMetadata().getName() + CLAIM_SUFFIX : c.strip();
  }

  /** The download revision, or null for the default branch. */
  public static String revision(DisaggCluster cr) {
    ModelDownloadSpec d = cr.getSpec().getModelCache().getDownload();
    return d == null || blank(d.getRevision()) ? null : d.getRevision().strip();
  }

  /**
   * The model identity: the first {@value #IDENTITY_LENGTH} hex characters of the SHA-256 of {@code
   * spec.model}, a newline and the revision (empty when unset).
   */
  public static String identity(DisaggCluster cr) {
    String r = revision(cr);
    return Hashes.sha256(cr.getSpec().getModel() + "\n" + (r == null ? "" : r))
        .substring(0, IDENTITY_LENGTH);
  }

  /** The download Job of the current model identity: {@code <name>-model-<identity>}. */
  public static String jobName(DisaggCluster cr) {
    return cr.getMetadata().getName() + "-model-" + identity(cr);
  }

  /** The mount path (effective spec: always set). */
  public static String mountPath(DisaggCluster cr) {
    String p = cr.getSpec().getModelCache().getMountPath();
    p = blank(p) ? ModelCacheSpec.DEFAULT_MOUNT_PATH : p.strip();
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  /**
   * The completion marker of the current model identity inside the container: {@code
   * <mountPath>/}{@value #MARKER_DIR}{@code /<identity>.complete}.
   */
  public static String markerPath(DisaggCluster cr) {
    return mountPath(cr) + "/" + MARKER_DIR + "/" + identity(cr) + ".complete";
  }

  /**
   * The claim the operator creates ({@link #createsClaim}): {@code <name>-model-cache},
   * ReadWriteMany (workers on many nodes read it, the Job writes it), {@code storageClassName} as
   * given (unset: the cluster's default class), {@code requests.storage} = {@code size}. No owner
   * reference here: the dependent adds one only with {@code deleteClaimWithCluster}.
   */
  public static PersistentVolumeClaim claim(DisaggCluster cr) {
    ModelCacheSpec mc = cr.getSpec().getModelCache();
    return Hashes.withDesiredHash(
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName(claimName(cr))
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(Labels.component(cr, VOLUME))
            .endMetadata()
            .withNewSpec()
            .withAccessModes("ReadWriteMany")
            .withStorageClassName(blank(mc.getStorageClassName()) ? null : mc.getStorageClassName())
            .withNewResources()
            .withRequests(Map.of("storage", Merge.copy(mc.getSize(), Quantity.class)))
            .endResources()
            .endSpec()
            .build());
  }

  /**
   * The download Job {@link #jobName}: one pod ({@code restartPolicy: Never}, {@code backoffLimit}
   * retries) running {@link #DOWNLOAD_SCRIPT} in the worker image with the cache mounted read-write
   * at the mount path, {@code HF_HOME} there, the model, revision and marker in the environment and
   * {@code HF_TOKEN} from the token Secret (when given). The pod carries the cluster's common
   * labels (so the operator's pod informer sees it and reads its termination message), component
   * {@value #COMPONENT} and the identity label. The pod runs as the workers' ServiceAccount with
   * their pull secrets; it needs no GPU. Security ({@link SecurityContexts#downloadPod}, {@link
   * SecurityContexts#container}): restricted, with {@code fsGroup} so a non-root UID can write a
   * new claim; writable {@code /tmp} and {@code HOME} (huggingface_hub's lock files and token
   * cache).
   */
  public static Job job(DisaggCluster cr) {
    DisaggClusterSpec spec = cr.getSpec();
    ModelDownloadSpec d = spec.getModelCache().getDownload();
    Map<String, String> labels = Labels.component(cr, COMPONENT);
    labels.put(IDENTITY_LABEL, identity(cr));
    List<EnvVar> env = new ArrayList<>();
    env.add(value(ENV_HF_HOME, mountPath(cr)));
    env.add(value(ENV_MODEL, spec.getModel()));
    if (revision(cr) != null) {
      env.add(value(ENV_REVISION, revision(cr)));
    }
    env.add(value(ENV_MARKER, markerPath(cr)));
    env.add(value("HF_HUB_DISABLE_PROGRESS_BARS", "1"));
    if (d.getTokenSecretRef() != null && !blank(d.getTokenSecretRef().getName())) {
      env.add(
          new EnvVarBuilder()
              .withName(ENV_HF_TOKEN)
              .withNewValueFrom()
              .withNewSecretKeyRef()
              .withName(d.getTokenSecretRef().getName())
              .withKey(
                  blank(d.getTokenSecretRef().getKey())
                      ? ModelDownloadSpec.DEFAULT_TOKEN_KEY
                      : d.getTokenSecretRef().getKey())
              .endSecretKeyRef()
              .endValueFrom()
              .build());
    }
    ResourceRequirements resources =
        d.getResources() != null
            ? Merge.copy(d.getResources(), ResourceRequirements.class)
            : new ResourceRequirementsBuilder().withRequests(DEFAULT_DOWNLOAD_REQUESTS).build();
    Container c =
        new ContainerBuilder()
            .withName(DOWNLOAD_CONTAINER)
            .withImage(spec.getImage())
            .withImagePullPolicy(
                spec.getImagePullPolicy() == null ? null : spec.getImagePullPolicy().name())
            .withCommand("python3", "-c", DOWNLOAD_SCRIPT)
            .withEnv(SecurityContexts.withHome(env))
            .withResources(resources)
            .withVolumeMounts(downloadMounts(cr))
            .withSecurityContext(SecurityContexts.container(cr))
            .withTerminationMessagePolicy("FallbackToLogsOnError")
            .build();
    return Hashes.withDesiredHash(
        new JobBuilder()
            .withNewMetadata()
            .withName(jobName(cr))
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withBackoffLimit(
                d.getBackoffLimit() == null
                    ? ModelDownloadSpec.DEFAULT_BACKOFF_LIMIT
                    : d.getBackoffLimit())
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withServiceAccountName(
                blank(spec.getServiceAccountName()) ? null : spec.getServiceAccountName())
            .withImagePullSecrets(
                Merge.copyAll(spec.getImagePullSecrets(), LocalObjectReference.class))
            .withSecurityContext(SecurityContexts.downloadPod(cr))
            .withContainers(c)
            .withVolumes(downloadVolumes(cr))
            .endSpec()
            .endTemplate()
            .endSpec()
            .build());
  }

  /** The download pod's volumes: the cache (read-write), {@code tmp} and {@code home}. */
  static List<Volume> downloadVolumes(DisaggCluster cr) {
    List<Volume> out = new ArrayList<>();
    out.add(volume(cr, false));
    out.addAll(SecurityContexts.writableVolumes());
    return out;
  }

  /** The download container's mounts: the cache at the mount path, {@code /tmp}, {@code HOME}. */
  static List<VolumeMount> downloadMounts(DisaggCluster cr) {
    List<VolumeMount> out = new ArrayList<>();
    out.add(new VolumeMountBuilder().withName(VOLUME).withMountPath(mountPath(cr)).build());
    out.addAll(SecurityContexts.writableMounts());
    return out;
  }

  /** The cache volume: the claim, read-only in workers. */
  public static Volume volume(DisaggCluster cr, boolean readOnly) {
    return new VolumeBuilder()
        .withName(VOLUME)
        .withNewPersistentVolumeClaim()
        .withClaimName(claimName(cr))
        .withReadOnly(readOnly ? Boolean.TRUE : null)
        .endPersistentVolumeClaim()
        .build();
  }

  /** The workers' mount of the cache: read-only at the mount path. */
  public static VolumeMount workerMount(DisaggCluster cr) {
    return new VolumeMountBuilder()
        .withName(VOLUME)
        .withMountPath(mountPath(cr))
        .withReadOnly(true)
        .build();
  }

  /**
   * The workers' environment for the cache: {@code HF_HOME} at the mount path and, when the
   * operator downloads, {@code HF_HUB_OFFLINE=1} (workers start only after the download completed,
   * so {@code snapshot_download(local_files_only=True)} finds the snapshot and never reaches the
   * Hub). Without download the volume is the user's: no offline mode is imposed.
   */
  public static List<EnvVar> workerEnv(DisaggCluster cr) {
    List<EnvVar> env = new ArrayList<>();
    env.add(value(ENV_HF_HOME, mountPath(cr)));
    if (downloads(cr)) {
      env.add(value(ENV_HF_HUB_OFFLINE, "1"));
    }
    return env;
  }

  /**
   * The {@value #WAIT_CONTAINER} init container of worker pods (only when the operator downloads):
   * in the worker image, it waits until the marker of the current model identity exists on the
   * read-only volume, looking every {@value #WAIT_PERIOD_SECONDS} s. It depends on nothing but the
   * volume, so workers wait correctly also while the operator is down.
   */
  public static Container waitContainer(DisaggCluster cr) {
    DisaggClusterSpec spec = cr.getSpec();
    return new ContainerBuilder()
        .withName(WAIT_CONTAINER)
        .withImage(spec.getImage())
        .withImagePullPolicy(
            spec.getImagePullPolicy() == null ? null : spec.getImagePullPolicy().name())
        .withCommand(
            "/bin/sh",
            "-c",
            "until [ -f \"$"
                + ENV_MARKER
                + "\" ]; do echo \"waiting for the model cache: $"
                + ENV_MARKER
                + "\"; sleep "
                + WAIT_PERIOD_SECONDS
                + "; done")
        .withEnv(value(ENV_MARKER, markerPath(cr)))
        .withResources(
            new ResourceRequirementsBuilder()
                .withRequests(
                    new TreeMap<>(
                        Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi"))))
                .withLimits(Map.of("memory", new Quantity("64Mi")))
                .build())
        .withVolumeMounts(workerMount(cr))
        .build();
  }

  private static EnvVar value(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
