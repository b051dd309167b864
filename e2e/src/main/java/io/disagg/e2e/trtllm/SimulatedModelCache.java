package io.disagg.e2e.trtllm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the containers of the operator's model cache do, on a host directory standing for each
 * PersistentVolumeClaim ({@code <volumes>/<claimName>}): the download Job's container and the
 * workers' {@code model-cache-wait} init container.
 *
 * <p><b>Download</b> (the operator's {@code ModelCaches.DOWNLOAD_SCRIPT}, which calls {@code
 * huggingface_hub.snapshot_download} as TensorRT-LLM's {@code download_hf_model} does, {@code
 * tensorrt_llm/llmapi/utils.py}): on success the snapshot lands in the hub cache and the marker
 * named by {@code DISAGG_MODEL_CACHE_MARKER} is written last (here only the marker, with the model
 * and revision, as the program writes them). On failure the program writes {@code <ExceptionType>:
 * <message>} to the termination log and exits 1. {@link Outcome#gated} and {@link Outcome#notFound}
 * give the messages huggingface_hub raises for a gated repository without access and for a missing
 * repository or a bad token ({@code hf_raise_for_status} in {@code huggingface_hub/utils/_http.py}:
 * {@code GatedRepoError}, {@code RepositoryNotFoundError}).
 *
 * <p><b>Wait</b> ({@code until [ -f "$DISAGG_MODEL_CACHE_MARKER" ]; do sleep 5; done}): done once
 * the marker exists.
 */
public final class SimulatedModelCache {

  /** The operator's download Job component label. */
  public static final String DOWNLOAD_COMPONENT = "model-download";

  /** The operator's wait init container. */
  public static final String WAIT_CONTAINER = "model-cache-wait";

  static final String MARKER_ENV = "DISAGG_MODEL_CACHE_MARKER";

  /** How a download pod ends: exit code 0, or 1 with the termination message. */
  public record Outcome(int exitCode, String message) {
    public static final Outcome SUCCESS = new Outcome(0, "");

    /**
     * huggingface_hub's {@code GatedRepoError} for a gated model whose terms the token's user did
     * not accept (or without a token), as {@code hf_raise_for_status} words it.
     */
    public static Outcome gated(String model) {
      return new Outcome(
          1,
          "GatedRepoError: 401 Client Error. (Request ID: Root=1-sim)\n\nCannot access gated repo"
              + " for url https://huggingface.co/api/models/"
              + model
              + "/revision/main.\nAccess to model "
              + model
              + " is restricted. You must have access to it and be authenticated to access it."
              + " Please log in.");
    }

    /** huggingface_hub's {@code RepositoryNotFoundError} (a missing repository or a bad token). */
    public static Outcome notFound(String model) {
      return new Outcome(
          1,
          "RepositoryNotFoundError: 401 Client Error. (Request ID: Root=1-sim)\n\nRepository Not"
              + " Found for url: https://huggingface.co/api/models/"
              + model
              + "/revision/main.\nPlease make sure you specified the correct `repo_id` and"
              + " `repo_type`.\nIf you are trying to access a private or gated repo, make sure you"
              + " are authenticated. For more details, see"
              + " https://huggingface.co/docs/huggingface_hub/authentication\nInvalid username or"
              + " password.");
    }
  }

  private final Function<String, Path> claimDir;

  /**
   * @param claimDir the host directory of a claim (by name)
   */
  public SimulatedModelCache(Function<String, Path> claimDir) {
    this.claimDir = claimDir;
  }

  /** Runs the download container of {@code pod}: the marker on success. */
  public Outcome download(Pod pod, Container c, Outcome outcome) throws IOException {
    if (outcome.exitCode() != 0) {
      return outcome;
    }
    Path marker =
        hostPath(pod, c)
            .orElseThrow(
                () -> new IOException("no " + MARKER_ENV + " on a claim in " + c.getName()));
    Files.createDirectories(marker.getParent());
    String model = env(c, "DISAGG_MODEL").orElse("");
    String revision = env(c, "DISAGG_MODEL_REVISION").orElse("");
    Path partial = marker.resolveSibling(marker.getFileName() + ".partial");
    Files.writeString(partial, model + "\n" + revision + "\nsimulated\n");
    Files.move(partial, marker, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return outcome;
  }

  /** Whether the wait container {@code c} of {@code pod} would end now: its marker exists. */
  public boolean markerPresent(Pod pod, Container c) {
    return hostPath(pod, c).map(Files::isRegularFile).orElse(false);
  }

  /** The host path of the container's marker, through its mount of a claim. */
  Optional<Path> hostPath(Pod pod, Container c) {
    Optional<String> marker = env(c, MARKER_ENV);
    if (marker.isEmpty() || c.getVolumeMounts() == null) {
      return Optional.empty();
    }
    String path = marker.get();
    for (VolumeMount m : c.getVolumeMounts()) {
      String root = m.getMountPath().endsWith("/") ? m.getMountPath() : m.getMountPath() + "/";
      if (!path.startsWith(root)) {
        continue;
      }
      Optional<String> claim =
          pod.getSpec().getVolumes().stream()
              .filter(v -> v.getName().equals(m.getName()))
              .map(Volume::getPersistentVolumeClaim)
              .filter(java.util.Objects::nonNull)
              .map(p -> p.getClaimName())
              .findFirst();
      if (claim.isPresent()) {
        return Optional.of(claimDir.apply(claim.get()).resolve(path.substring(root.length())));
      }
    }
    return Optional.empty();
  }

  private static Optional<String> env(Container c, String name) {
    return c.getEnv() == null
        ? Optional.empty()
        : c.getEnv().stream()
            .filter(e -> name.equals(e.getName()))
            .map(EnvVar::getValue)
            .filter(java.util.Objects::nonNull)
            .findFirst();
  }
}
