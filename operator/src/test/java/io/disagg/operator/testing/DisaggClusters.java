package io.disagg.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;

/**
 * What integration tests do with a DisaggCluster in their namespace, as a user would with kubectl.
 */
public final class DisaggClusters {
  /** How long a sample may take to become Ready on the local cluster. */
  public static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private DisaggClusters() {}

  /** {@code kubectl create}. */
  public static DisaggCluster create(TestNamespace ns, DisaggCluster cr) {
    cr.getMetadata().setNamespace(ns.name());
    return ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).resource(cr).create();
  }

  /** The current object, or null. */
  public static DisaggCluster get(TestNamespace ns, String name) {
    return ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).withName(name).get();
  }

  /**
   * A JSON merge patch, as {@code kubectl patch --type merge} sends it: no resourceVersion, so no
   * conflict with the operator's status writes.
   */
  public static void mergePatch(TestNamespace ns, String name, String json) {
    ns.client()
        .resources(DisaggCluster.class)
        .inNamespace(ns.name())
        .withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), json);
  }

  /** {@code kubectl delete}. */
  public static void delete(TestNamespace ns, String name) {
    ns.client().resources(DisaggCluster.class).inNamespace(ns.name()).withName(name).delete();
  }

  /**
   * Waits until the status describes the current generation, {@code Ready} is True and {@code
   * Progressing} False (serving, rollout finished), and returns the object.
   */
  public static DisaggCluster awaitReady(TestNamespace ns, String name, Duration timeout) {
    await()
        .atMost(timeout)
        .untilAsserted(
            () -> {
              DisaggCluster d = get(ns, name);
              assertThat(d.getStatus()).isNotNull();
              assertThat(d.getStatus().getObservedGeneration())
                  .isEqualTo(d.getMetadata().getGeneration());
              assertThat(Conditions.find(d.getStatus().getConditions(), ConditionType.READY))
                  .hasValueSatisfying(
                      c ->
                          assertThat(c.getStatus())
                              .as(c.getReason() + ": " + c.getMessage())
                              .isEqualTo("True"));
              assertThat(Conditions.find(d.getStatus().getConditions(), ConditionType.PROGRESSING))
                  .hasValueSatisfying(
                      c ->
                          assertThat(c.getStatus())
                              .as(c.getReason() + ": " + c.getMessage())
                              .isEqualTo("False"));
            });
    return get(ns, name);
  }

  /** {@link #awaitReady(TestNamespace, String, Duration)} with {@link #READY_TIMEOUT}. */
  public static DisaggCluster awaitReady(TestNamespace ns, String name) {
    return awaitReady(ns, name, READY_TIMEOUT);
  }
}
