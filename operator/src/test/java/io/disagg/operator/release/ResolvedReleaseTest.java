package io.disagg.operator.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.core.SpecProblem;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResolvedReleaseTest {

  /**
   * NVIDIA tags its images with tensorrt_llm.__version__ (docs/source/installation/containers.md:
   * nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc13); custom images often add a suffix.
   */
  @ParameterizedTest
  @CsvSource({
    "nvcr.io/nvidia/tensorrt-llm/release:1.2.1, 1.2",
    "nvcr.io/nvidia/tensorrt-llm/release:1.2.0rc1, 1.2",
    "registry.example.com/trtllm-efa:1.2.0, 1.2",
    "registry:5000/team/trtllm:v1.3.0rc27-efa, 1.3",
    "trtllm:1.4.0rc4@sha256:0123456789abcdef, 1.4",
  })
  void releaseTagsOfTheImageNameTheRelease(String image, String release) {
    ResolvedRelease.Result r = ResolvedRelease.resolve(null, image);
    assertThat(r.problems()).isEmpty();
    assertThat(r.release().release()).map(TrtllmRelease::id).contains(release);
    assertThat(r.release().source()).isEqualTo(ReleaseSource.IMAGE_TAG);
  }

  @ParameterizedTest
  @CsvSource({
    "nvcr.io/nvidia/tensorrt-llm/release:latest",
    "registry:5000/team/trtllm",
    "trtllm@sha256:0123456789abcdef",
    "trtllm:nightly-2026-11-30"
  })
  void imagesWithoutAReleaseTagRenderWhatEveryReleaseAccepts(String image) {
    ResolvedRelease.Result r = ResolvedRelease.resolve(" ", image);
    assertThat(r.problems()).isEmpty();
    ResolvedRelease release = r.release();
    assertThat(release.release()).isEmpty();
    assertThat(release.source()).isEqualTo(ReleaseSource.ASSUMED);
    assertThat(release.message()).contains("set spec.trtllmVersion");
    for (Feature f : Feature.values()) {
      assertThat(release.has(f)).isEqualTo(TrtllmRelease.common().contains(f));
    }
    assertThat(release.describe()).contains("every supported TensorRT-LLM release");
  }

  @Test
  void theSpecFieldWinsOverTheTag() {
    ResolvedRelease r =
        ResolvedRelease.resolve("1.3", "nvcr.io/nvidia/tensorrt-llm/release:1.2.0").release();
    assertThat(r.release()).contains(TrtllmRelease.V1_3);
    assertThat(r.source()).isEqualTo(ReleaseSource.SPEC);
    assertThat(r.describe()).isEqualTo("TensorRT-LLM 1.3 (spec.trtllmVersion 1.3)");
  }

  @Test
  void aNewerReleaseIsRenderedAsTheNewestKnownAndSaysSo() {
    ResolvedRelease r = ResolvedRelease.resolve(null, "trtllm:1.9.0").release();
    assertThat(r.release()).contains(TrtllmRelease.newest());
    assertThat(r.message()).contains("newer than the newest release the operator knows");
  }

  @Test
  void anOlderReleaseOrAMalformedVersionIsAProblemNamingTheField() {
    // 1.0 and 1.1 have no disagg_cluster discovery in the router (PR #8215 came after 1.1).
    ResolvedRelease.Result old = ResolvedRelease.resolve(null, "trtllm:1.1.0");
    assertThat(old.problems())
        .extracting(SpecProblem::field, SpecProblem::isError)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.image", true));
    assertThat(old.release().release()).isEmpty();

    ResolvedRelease.Result bad = ResolvedRelease.resolve("one.two", null);
    assertThat(bad.problems()).extracting(SpecProblem::field).containsExactly("spec.trtllmVersion");
  }

  @Test
  void tagIsTheLastComponentsSuffix() {
    assertThat(ResolvedRelease.tag("a/b:1.2")).contains("1.2");
    assertThat(ResolvedRelease.tag("host:5000/b")).isEqualTo(Optional.empty());
    assertThat(ResolvedRelease.tag("b:")).isEqualTo(Optional.empty());
    assertThat(ResolvedRelease.tag(null)).isEqualTo(Optional.empty());
  }

  @Test
  void releasesAreOrderedAndTheCommonSetIsWhatAllHave() {
    assertThat(TrtllmRelease.oldest()).isEqualTo(TrtllmRelease.V1_2);
    assertThat(TrtllmRelease.newest()).isEqualTo(TrtllmRelease.V1_4);
    // Established in no release read: every stored tensorrt_llm/logger.py has no debug/trace.
    for (TrtllmRelease r : TrtllmRelease.values()) {
      assertThat(r.has(Feature.LOG_LEVEL_TRACE_DEBUG)).isFalse();
    }
    assertThat(TrtllmRelease.common()).isEmpty();
  }
}
