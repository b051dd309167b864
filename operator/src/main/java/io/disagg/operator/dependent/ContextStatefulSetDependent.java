package io.disagg.operator.dependent;

import io.disagg.operator.core.Pool;
import io.disagg.operator.model.Labels;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * StatefulSet {@code <name>-context} of the context pool ({@code trtllm-serve --server_role
 * CONTEXT}).
 */
@KubernetesDependent(
    informer =
        @Informer(labelSelector = Labels.CONTEXT_CHILDREN, itemStore = WithoutManagedFields.class))
public class ContextStatefulSetDependent extends WorkerStatefulSetDependent {
  public ContextStatefulSetDependent() {
    super(Pool.CONTEXT);
  }
}
