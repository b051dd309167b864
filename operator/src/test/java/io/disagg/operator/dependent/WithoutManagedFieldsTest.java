package io.disagg.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import org.junit.jupiter.api.Test;

class WithoutManagedFieldsTest {

  @Test
  void storesTheObjectWithoutManagedFieldsAndKeepsItsIdentity() {
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("demo-config")
            .withNamespace("ns")
            .withResourceVersion("42")
            .withManagedFields(
                new ManagedFieldsEntryBuilder()
                    .withManager("disagg-operator")
                    .withOperation("Apply")
                    .build())
            .addToLabels("app.kubernetes.io/managed-by", "disagg-operator")
            .endMetadata()
            .addToData("k", "v")
            .build();
    WithoutManagedFields<ConfigMap> store = new WithoutManagedFields<>();

    store.put(store.getKey(cm), cm);

    ConfigMap cached = store.get("ns/demo-config");
    assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(cached.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "disagg-operator");
    assertThat(cached.getData()).containsEntry("k", "v");
  }
}
