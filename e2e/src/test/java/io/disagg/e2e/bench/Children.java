package io.disagg.e2e.bench;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches one namespace (informers, so observing costs no polling of the API server) and records
 * when each object of the kinds a DisaggCluster owns was first seen, when each StatefulSet and
 * Deployment first had all its replicas ready, and when each DisaggCluster was first {@code Ready}
 * for its current generation. Keys are {@code Kind/name}.
 */
final class Children implements AutoCloseable {

  /** The children of DisaggCluster {@code c} (README, "What a DisaggCluster becomes"). */
  static List<String> expected(String c) {
    return List.of(
        "ConfigMap/" + c + "-config",
        "ConfigMap/" + c + "-fabric",
        "StatefulSet/" + c + "-context",
        "StatefulSet/" + c + "-generation",
        "Service/" + c + "-context",
        "Service/" + c + "-generation",
        "Service/" + c + "-router",
        "PodDisruptionBudget/" + c + "-context",
        "PodDisruptionBudget/" + c + "-generation",
        "Deployment/" + c + "-router",
        "NetworkPolicy/" + c + "-workers",
        "NetworkPolicy/" + c + "-router");
  }

  /** The workloads of DisaggCluster {@code c}, whose readiness the SSA side is measured by. */
  static List<String> workloads(String c) {
    return List.of(
        "StatefulSet/" + c + "-context",
        "StatefulSet/" + c + "-generation",
        "Deployment/" + c + "-router");
  }

  private final Map<String, Instant> seen = new ConcurrentHashMap<>();
  private final Map<String, Instant> ready = new ConcurrentHashMap<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

  Children(KubernetesClient client, String namespace, boolean disaggClusters) {
    informers.add(client.configMaps().inNamespace(namespace).inform(handler(), 0));
    informers.add(client.services().inNamespace(namespace).inform(handler(), 0));
    informers.add(client.apps().statefulSets().inNamespace(namespace).inform(handler(), 0));
    informers.add(client.apps().deployments().inNamespace(namespace).inform(handler(), 0));
    informers.add(
        client.policy().v1().podDisruptionBudget().inNamespace(namespace).inform(handler(), 0));
    informers.add(
        client.network().v1().networkPolicies().inNamespace(namespace).inform(handler(), 0));
    if (disaggClusters) {
      informers.add(
          client.resources(DisaggCluster.class).inNamespace(namespace).inform(handler(), 0));
    }
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T o) {
        observe(o);
      }

      @Override
      public void onUpdate(T old, T o) {
        observe(o);
      }

      @Override
      public void onDelete(T o, boolean unknownFinalState) {}
    };
  }

  private void observe(HasMetadata o) {
    Instant now = Instant.now();
    String key = o.getKind() + "/" + o.getMetadata().getName();
    seen.putIfAbsent(key, now);
    if (isReady(o)) {
      ready.putIfAbsent(key, now);
    }
  }

  private static boolean isReady(HasMetadata o) {
    if (o instanceof StatefulSet s) {
      int want = Optional.ofNullable(s.getSpec().getReplicas()).orElse(1);
      return s.getStatus() != null
          && Objects.equals(s.getStatus().getObservedGeneration(), s.getMetadata().getGeneration())
          && Optional.ofNullable(s.getStatus().getReadyReplicas()).orElse(0) >= want;
    }
    if (o instanceof Deployment d) {
      int want = Optional.ofNullable(d.getSpec().getReplicas()).orElse(1);
      return d.getStatus() != null
          && Objects.equals(d.getStatus().getObservedGeneration(), d.getMetadata().getGeneration())
          && Optional.ofNullable(d.getStatus().getReadyReplicas()).orElse(0) >= want;
    }
    if (o instanceof DisaggCluster d) {
      return d.getStatus() != null
          && Objects.equals(d.getStatus().getObservedGeneration(), d.getMetadata().getGeneration())
          && Conditions.find(d.getStatus().getConditions(), ConditionType.READY)
              .map(c -> "True".equals(c.getStatus()))
              .orElse(false);
    }
    return false;
  }

  /** When all {@code keys} had been seen, or empty if some have not. */
  Optional<Instant> allSeen(Collection<String> keys) {
    return latest(seen, keys);
  }

  /** When all {@code keys} had been ready, or empty if some have not. */
  Optional<Instant> allReady(Collection<String> keys) {
    return latest(ready, keys);
  }

  /** How many of {@code keys} have been seen. */
  long countSeen(Collection<String> keys) {
    return keys.stream().filter(seen::containsKey).count();
  }

  /** How many of {@code keys} have been ready. */
  long countReady(Collection<String> keys) {
    return keys.stream().filter(ready::containsKey).count();
  }

  /** Forgets when {@code key} was ready (before changing it). */
  void forgetReady(String key) {
    ready.remove(key);
  }

  private static Optional<Instant> latest(Map<String, Instant> times, Collection<String> keys) {
    Instant max = Instant.EPOCH;
    for (String k : keys) {
      Instant t = times.get(k);
      if (t == null) {
        return Optional.empty();
      }
      if (t.isAfter(max)) {
        max = t;
      }
    }
    return Optional.of(max);
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
