package io.disagg.operator.dependent;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.plan.Plan;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.AbstractDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.Updater;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A stand-in for the API server and the informer caches, enough to run the real JOSDK {@code
 * AbstractDependentResource.reconcile} path (secondary selection, match, create/update decision)
 * without a cluster. Writes are recorded instead of sent; stored objects get what a real API server
 * adds (uid, resourceVersion, owner reference, defaulted fields, status), so a matcher that
 * compared whole objects would fail here.
 */
final class FakeApiServer {
  private final KubernetesSerialization json = new KubernetesSerialization();
  private final Map<String, HasMetadata> store = new LinkedHashMap<>();
  final List<String> writes = new ArrayList<>();
  private int version;

  /** Routes the dependent's create and update to this fake instead of the Kubernetes client. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  <R extends HasMetadata> void attach(AbstractDependentResource<R, DisaggCluster> dependent) {
    Creator<R, DisaggCluster> creator =
        (desired, primary, ctx) -> (R) store("create", desired, primary);
    Updater<R, DisaggCluster> updater =
        new Updater<>() {
          @Override
          public R update(R actual, R desired, DisaggCluster primary, Context<DisaggCluster> ctx) {
            return (R) store("update", desired, primary);
          }

          @Override
          public Matcher.Result<R> match(
              R actual, DisaggCluster primary, Context<DisaggCluster> ctx) {
            return dependent.match(actual, primary, ctx);
          }
        };
    set(dependent, "creator", creator);
    set(dependent, "updater", updater);
  }

  /**
   * A Context whose secondary resources are everything stored of the asked type (all "informers").
   */
  @SuppressWarnings("unchecked")
  Context<DisaggCluster> context(DisaggCluster primary, Plan plan) {
    return (Context<DisaggCluster>)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {Context.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getSecondaryResources" -> secondaries((Class<?>) args[0]);
                  case "getSecondaryResourcesAsStream" -> secondaries((Class<?>) args[0]).stream();
                  case "getPrimaryResource" -> primary;
                  case "managedWorkflowAndDependentResourceContext" -> workflowContext(plan);
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  /** A workflow context that holds the reconciler's plan. */
  private static Object workflowContext(Plan plan) {
    return Proxy.newProxyInstance(
        FakeApiServer.class.getClassLoader(),
        new Class<?>[] {
          io.javaoperatorsdk.operator.api.reconciler.dependent.managed
              .ManagedWorkflowAndDependentResourceContext.class
        },
        (proxy, method, args) ->
            switch (method.getName()) {
              case "get" ->
                  Plan.class.equals(args[0])
                      ? java.util.Optional.ofNullable(plan)
                      : java.util.Optional.empty();
              default -> throw new UnsupportedOperationException(method.getName());
            });
  }

  Set<Object> secondaries(Class<?> type) {
    return store.values().stream()
        .filter(type::isInstance)
        .map(r -> (Object) copy(r))
        .collect(Collectors.toSet());
  }

  <T extends HasMetadata> T get(Class<T> type, String name) {
    return type.cast(store.get(type.getSimpleName() + "/" + name));
  }

  int size() {
    return store.size();
  }

  private HasMetadata store(String op, HasMetadata desired, DisaggCluster primary) {
    HasMetadata stored = copy(desired);
    var meta = stored.getMetadata();
    String key = stored.getKind() + "/" + meta.getName();
    HasMetadata previous = store.get(key);
    meta.setUid(previous != null ? previous.getMetadata().getUid() : "uid-" + key);
    meta.setResourceVersion(String.valueOf(++version));
    meta.setCreationTimestamp("2025-01-01T00:00:00Z");
    meta.setOwnerReferences(
        List.of(
            new OwnerReferenceBuilder()
                .withApiVersion(primary.getApiVersion())
                .withKind(primary.getKind())
                .withName(primary.getMetadata().getName())
                .withUid(primary.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build()));
    meta.getAnnotations().put("javaoperatorsdk.io/previous", "x");
    if (stored instanceof StatefulSet s) {
      s.getSpec().setRevisionHistoryLimit(10);
      s.getSpec().getTemplate().getSpec().setDnsPolicy("ClusterFirst");
      s.getSpec().getTemplate().getSpec().setRestartPolicy("Always");
      s.getSpec()
          .getTemplate()
          .getSpec()
          .getContainers()
          .forEach(c -> c.setTerminationMessagePath("/dev/termination-log"));
      s.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatus());
      s.getStatus().setObservedGeneration(1L);
    } else if (stored instanceof Deployment d) {
      d.getSpec().setProgressDeadlineSeconds(600);
      d.getSpec().setRevisionHistoryLimit(10);
      d.getSpec().getTemplate().getSpec().setDnsPolicy("ClusterFirst");
    }
    store.put(key, stored);
    writes.add(op + " " + key);
    return copy(stored);
  }

  @SuppressWarnings("unchecked")
  private <T extends HasMetadata> T copy(T r) {
    return (T) json.unmarshal(json.asJson(r), r.getClass());
  }

  private static void set(Object target, String fieldName, Object value) {
    try {
      Field f = AbstractDependentResource.class.getDeclaredField(fieldName);
      f.setAccessible(true);
      f.set(target, value);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
