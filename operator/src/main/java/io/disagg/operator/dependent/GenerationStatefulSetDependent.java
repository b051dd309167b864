package io.disagg.operator.dependent;

import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Labels;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * StatefulSet {@code <name>-generation} of the generation pool ({@code trtllm-serve --server_role
 * GENERATION}).
 */
@KubernetesDependent(
    informer =
        @Informer(
            labelSelector = Labels.GENERATION_CHILDREN,
            itemStore = WithoutManagedFields.class))
public class GenerationStatefulSetDependent extends WorkerStatefulSetDependent {
  public GenerationStatefulSetDependent() {
    super(Pool.GENERATION);
  }
}
