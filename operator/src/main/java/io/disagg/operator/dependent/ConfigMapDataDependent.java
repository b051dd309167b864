package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.model.Hashes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import java.util.Objects;

/**
 * A ConfigMap whose data the processes read: it matches only when the desired hash and the data
 * itself are the same, so a hand-edited file or value is put back.
 */
abstract class ConfigMapDataDependent extends DesiredHashDependent<ConfigMap> {

  ConfigMapDataDependent() {
    super(ConfigMap.class);
  }

  @Override
  public Matcher.Result<ConfigMap> match(
      ConfigMap actual, ConfigMap desired, DisaggCluster primary, Context<DisaggCluster> context) {
    return Matcher.Result.computed(
        Hashes.sameDesiredHash(actual, desired)
            && Objects.equals(actual.getData(), desired.getData()),
        desired);
  }
}
