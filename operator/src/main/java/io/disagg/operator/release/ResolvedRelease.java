package io.disagg.operator.release;

import io.disagg.operator.core.SpecProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TensorRT-LLM release a DisaggCluster's files and command lines are rendered for, decided once
 * per reconcile by {@link #resolve} (the effective spec holds it).
 *
 * <p>In this order: {@code spec.trtllmVersion} when set; else the tag of {@code spec.image} when it
 * reads as a release ({@code 1.2.0}, {@code v1.1.0rc5}, {@code 1.2.0rc1-efa}, ...; NVIDIA's NGC
 * images {@code nvcr.io/nvidia/tensorrt-llm/release:<version>} are tagged so); else no release
 * ({@link ReleaseSource#ASSUMED}): then only the {@link TrtllmRelease#common() features every
 * supported release has} are rendered, and a spec asking for more is told to set {@code
 * spec.trtllmVersion}. A release line newer than the newest the operator knows is rendered as the
 * newest known one (TensorRT-LLM keeps accepting what it accepted, as far as the releases read
 * show); one older than the oldest supported is a {@link SpecProblem}.
 *
 * @param release the row followed; empty when the release is not known
 * @param source where it was learned
 * @param version the version string read (the spec's value or the image tag); empty for {@link
 *     ReleaseSource#ASSUMED}
 * @param message how it was decided, in words, for {@code status.trtllm.message}
 */
public record ResolvedRelease(
    Optional<TrtllmRelease> release, ReleaseSource source, String version, String message) {

  /** The spec field that names the release. */
  public static final String FIELD_VERSION = "spec.trtllmVersion";

  /** The spec field whose tag may name the release. */
  public static final String FIELD_IMAGE = "spec.image";

  /**
   * {@code [v]MAJOR.MINOR[.PATCH][suffix]}: the same grammar as the CRD's pattern of {@code
   * spec.trtllmVersion}, and the form of NVIDIA's release tags.
   */
  private static final Pattern VERSION =
      Pattern.compile("v?([0-9]+)\\.([0-9]+)(?:\\.[0-9]+)?(?:[.+_-]?[A-Za-z0-9]+)*");

  public ResolvedRelease {
    Objects.requireNonNull(release, "release");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(message, "message");
  }

  /** The outcome of {@link #resolve}: the release and the problems found on the way. */
  public record Result(ResolvedRelease release, List<SpecProblem> problems) {
    public Result {
      Objects.requireNonNull(release, "release");
      problems = List.copyOf(problems);
    }
  }

  /**
   * Decides the release of a DisaggCluster.
   *
   * @param specVersion {@code spec.trtllmVersion}, may be null or blank
   * @param image {@code spec.image}, may be null
   * @return the release; a version older than {@link TrtllmRelease#oldest()} (it has no {@code
   *     disagg_cluster} discovery) or a {@code spec.trtllmVersion} that is not a version is an
   *     error problem naming the field, and the release is then {@link ReleaseSource#ASSUMED}
   */
  public static Result resolve(String specVersion, String image) {
    List<SpecProblem> problems = new ArrayList<>();
    if (specVersion != null && !specVersion.isBlank()) {
      String v = specVersion.strip();
      Matcher m = VERSION.matcher(v);
      if (!m.matches()) {
        problems.add(
            SpecProblem.error(
                FIELD_VERSION,
                "'" + v + "' is not a TensorRT-LLM version: write MAJOR.MINOR[.PATCH], e.g. 1.2"));
        return new Result(assumed("spec.trtllmVersion is not a version"), problems);
      }
      return fromVersion(v, m, ReleaseSource.SPEC, FIELD_VERSION, problems);
    }
    Optional<String> tag = tag(image);
    if (tag.isPresent()) {
      Matcher m = VERSION.matcher(tag.get());
      if (m.matches()) {
        return fromVersion(tag.get(), m, ReleaseSource.IMAGE_TAG, FIELD_IMAGE, problems);
      }
    }
    return new Result(
        assumed(
            tag.map(t -> "the image tag '" + t + "' names no TensorRT-LLM release")
                .orElse("the image has no tag")),
        problems);
  }

  private static Result fromVersion(
      String v, Matcher m, ReleaseSource source, String field, List<SpecProblem> problems) {
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    String where = source == ReleaseSource.SPEC ? "spec.trtllmVersion " + v : "image tag " + v;
    Optional<TrtllmRelease> known = TrtllmRelease.of(major, minor);
    if (known.isPresent()) {
      return new Result(
          new ResolvedRelease(
              known, source, v, "TensorRT-LLM " + known.get().id() + " (" + where + ")"),
          problems);
    }
    TrtllmRelease oldest = TrtllmRelease.oldest();
    if (oldest.isAfter(major, minor)) {
      problems.add(
          SpecProblem.error(
              field,
              "TensorRT-LLM "
                  + major
                  + "."
                  + minor
                  + " ("
                  + where
                  + ") is older than the oldest release the operator supports: use TensorRT-LLM "
                  + oldest.id()
                  + " or newer (the operator needs disagg_cluster discovery through etcd)"));
      return new Result(assumed(where + " is older than " + oldest.id()), problems);
    }
    TrtllmRelease newest = TrtllmRelease.newest();
    return new Result(
        new ResolvedRelease(
            Optional.of(newest),
            source,
            v,
            "TensorRT-LLM "
                + major
                + "."
                + minor
                + " ("
                + where
                + ") is newer than the newest release the operator knows; rendering for "
                + newest.id()),
        problems);
  }

  private static ResolvedRelease assumed(String why) {
    return new ResolvedRelease(
        Optional.empty(),
        ReleaseSource.ASSUMED,
        "",
        why
            + ": rendering only what every supported TensorRT-LLM release ("
            + TrtllmRelease.oldest().id()
            + " to "
            + TrtllmRelease.newest().id()
            + ") accepts; set spec.trtllmVersion to the release the image runs");
  }

  /**
   * The tag of an image reference: the part after the last {@code :} of the last path component,
   * without a {@code @digest}. Empty when there is none.
   */
  static Optional<String> tag(String image) {
    if (image == null) {
      return Optional.empty();
    }
    String ref = image.strip();
    int at = ref.indexOf('@');
    if (at >= 0) {
      ref = ref.substring(0, at);
    }
    int slash = ref.lastIndexOf('/');
    int colon = ref.lastIndexOf(':');
    if (colon <= slash || colon == ref.length() - 1) {
      return Optional.empty();
    }
    return Optional.of(ref.substring(colon + 1));
  }

  /** Whether the rendering may use {@code feature}. */
  public boolean has(Feature feature) {
    return release.map(r -> r.has(feature)).orElse(TrtllmRelease.common().contains(feature));
  }

  /**
   * The release in a user's words, for messages: {@code TensorRT-LLM 1.0 (image tag 1.0.0)}, or for
   * an unknown release {@code every supported TensorRT-LLM release (the image tag names none)}.
   */
  public String describe() {
    return release
        .map(r -> "TensorRT-LLM " + r.id() + " (" + sourceWords() + ")")
        .orElse(
            "every supported TensorRT-LLM release ("
                + TrtllmRelease.oldest().id()
                + " to "
                + TrtllmRelease.newest().id()
                + "; the release is not known: set spec.trtllmVersion)");
  }

  private String sourceWords() {
    return source == ReleaseSource.SPEC ? "spec.trtllmVersion " + version : "image tag " + version;
  }
}
