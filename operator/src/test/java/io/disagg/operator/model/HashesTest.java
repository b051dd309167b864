package io.disagg.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HashesTest {

  @Test
  void sha256IsTruncatedHex() {
    // SHA-256("abc") = ba7816bf8f01cfea...
    assertThat(Hashes.sha256("abc")).isEqualTo("ba7816bf8f01cfea");
  }

  @Test
  void configHashIgnoresEnvOrderButNotContent() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("A", "1");
    a.put("B", "2");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("B", "2");
    b.put("A", "1");
    assertThat(Hashes.configHash("x", a)).isEqualTo(Hashes.configHash("x", b));
    assertThat(Hashes.configHash("x", a)).isNotEqualTo(Hashes.configHash("y", a));
    assertThat(Hashes.configHash("x", a))
        .isNotEqualTo(Hashes.configHash("x", Map.of("A", "1", "B", "3")));
    // no ambiguity between file and env
    assertThat(Hashes.configHash("A=1", Map.of()))
        .isNotEqualTo(Hashes.configHash("", Map.of("A", "1")));
  }

  @Test
  void desiredHashIsCanonicalAndIgnoresItsOwnAnnotation() {
    Map<String, String> d1 = new LinkedHashMap<>();
    d1.put("b", "2");
    d1.put("a", "1");
    Map<String, String> d2 = new HashMap<>();
    d2.put("a", "1");
    d2.put("b", "2");
    ConfigMap c1 = cm(d1, Map.of("l", "v"));
    ConfigMap c2 = cm(d2, Map.of("l", "v"));
    assertThat(Hashes.desiredHash(c1)).isEqualTo(Hashes.desiredHash(c2));

    Hashes.withDesiredHash(c1);
    assertThat(Hashes.desiredHash(c1)).isEqualTo(Hashes.desiredHash(c2));
    assertThat(Hashes.desiredHashOf(c1)).isEqualTo(Hashes.desiredHash(c2));

    assertThat(Hashes.desiredHash(cm(d1, Map.of("l", "w")))).isNotEqualTo(Hashes.desiredHash(c2));
    assertThat(Hashes.desiredHash(cm(Map.of("a", "1"), Map.of("l", "v"))))
        .isNotEqualTo(Hashes.desiredHash(c2));
  }

  @Test
  void sameDesiredHashNeedsBothHashes() {
    ConfigMap desired = Hashes.withDesiredHash(cm(Map.of("a", "1"), Map.of()));
    ConfigMap actual = cm(Map.of("a", "1"), Map.of());
    assertThat(Hashes.sameDesiredHash(actual, desired)).isFalse();
    Hashes.withDesiredHash(actual);
    assertThat(Hashes.sameDesiredHash(actual, desired)).isTrue();
    assertThat(Hashes.sameDesiredHash(actual, cm(Map.of("a", "1"), Map.of()))).isFalse();
  }

  private static ConfigMap cm(Map<String, String> data, Map<String, String> labels) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName("n")
        .withNamespace("ns")
        .withLabels(labels)
        .endMetadata()
        .withData(data)
        .build();
  }
}
