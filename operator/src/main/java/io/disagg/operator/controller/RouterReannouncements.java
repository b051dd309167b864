package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.discovery.PodRegistrations;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.RouterDeployments;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which router containers must be told of the registrations again: a TensorRT-LLM 1.2 router routes
 * only to workers that register after it started ({@code lifespan} in {@code
 * tensorrt_llm/serve/openai_disagg_server.py} drops the list {@code watch_workers()} returns), so a
 * router (re)started while its workers stay registered would never become ready (a restart, a
 * rolling update of the router, a new revision's router). The reconciler writes its revision's
 * registrations again ({@code DiscoveryEventSource.reannounce}) once per router container start:
 * once the container has {@code started} (its startup probe, a TCP check, passed, so the lifespan
 * that opens the watch has run). Releases whose router lists earlier workers (1.3 and later) need
 * none of this.
 *
 * <p>What was done is kept in memory per container start ({@code <pod uid>/<restartCount>}); after
 * an operator restart each running router gets one more re-announcement, which changes nothing for
 * a router that knows the workers already ({@code Router.add_server} leaves a known server as it
 * is).
 */
final class RouterReannouncements {

  private final Map<ResourceID, Set<String>> done = new ConcurrentHashMap<>();

  /**
   * The router pods among {@code routerPods} whose container started since the last re-announcement
   * to it.
   *
   * @param routerPods the DisaggCluster's router pods, every revision's
   */
  List<Pod> due(ResourceID cluster, List<Pod> routerPods) {
    Set<String> before = done.getOrDefault(cluster, Set.of());
    List<Pod> out = new ArrayList<>();
    for (Pod pod : routerPods) {
      String start = containerStart(pod);
      if (start != null && !before.contains(start)) {
        out.add(pod);
      }
    }
    return out;
  }

  /**
   * Records the re-announcements made to {@code announced}, and forgets every container start of
   * {@code cluster} not among {@code routerPods} any more (pods gone, containers restarted).
   */
  void record(ResourceID cluster, List<Pod> routerPods, List<Pod> announced) {
    Set<String> present = new HashSet<>();
    routerPods.forEach(p -> present.add(containerStart(p)));
    Set<String> now = new HashSet<>(done.getOrDefault(cluster, Set.of()));
    now.retainAll(present);
    announced.forEach(p -> now.add(containerStart(p)));
    now.remove(null);
    done.put(cluster, now);
  }

  /** Forgets a deleted DisaggCluster. */
  void forget(DisaggCluster cr) {
    done.remove(ResourceID.fromResource(cr));
  }

  /**
   * {@code <pod uid>/<restartCount>} of a router pod whose router container has started and runs,
   * else null (not a router pod, terminating, not started yet).
   */
  static String containerStart(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    if (labels == null
        || !Labels.ROUTER_COMPONENT.equals(labels.get(Labels.COMPONENT))
        || pod.getMetadata().getDeletionTimestamp() != null
        || pod.getStatus() == null
        || pod.getStatus().getContainerStatuses() == null) {
      return null;
    }
    for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
      if (RouterDeployments.CONTAINER.equals(c.getName())
          && Boolean.TRUE.equals(c.getStarted())
          && c.getState() != null
          && c.getState().getRunning() != null) {
        return pod.getMetadata().getUid() + "/" + c.getRestartCount();
      }
    }
    return null;
  }

  /**
   * The registrations to write again: the well-formed, leased ones of the revision's own worker
   * pods ({@link PodRegistrations#match}: host and port of one of {@code pods}). A foreign
   * registration is never written again: the operator deletes those ({@code
   * ForeignRegistrationStep}) and must not re-create them, nor announce a stranger to a new router.
   *
   * @param pods the revision's pods
   */
  static List<Registration> announced(List<Registration> registrations, List<Pod> pods) {
    Set<String> foreign = new HashSet<>();
    PodRegistrations.match(registrations, pods).foreign().forEach(r -> foreign.add(r.key()));
    return registrations.stream()
        .filter(r -> !r.malformed() && r.lease() != 0 && !foreign.contains(r.key()))
        .toList();
  }
}
