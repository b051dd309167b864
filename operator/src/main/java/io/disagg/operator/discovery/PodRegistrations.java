package io.disagg.operator.discovery;

import io.disagg.operator.model.WorkerStatefulSets;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Pairs worker registrations with the pods that made them. A worker registers its {@code --host}
 * and {@code --port} ({@code DisaggClusterWorker.worker_info} in {@code
 * tensorrt_llm/serve/disagg_auto_scaling.py}); the operator starts workers with {@code --host} =
 * the pod IP and {@code --port} = the {@code http} port of the {@code worker} container ({@link
 * WorkerStatefulSets}). Pure functions.
 */
public final class PodRegistrations {
  private PodRegistrations() {}

  /**
   * The result of {@link #match}.
   *
   * @param byPod for every given pod, by pod name in the given order, the registrations with its IP
   *     and worker port (usually one; more when the worker re-registered under a new id before the
   *     old key expired; none when it has not registered or has been deregistered)
   * @param foreign registrations that match no given pod: another DisaggCluster or process using
   *     the same cluster name, workers of pods that are gone (until their lease expires), or
   *     entries without a usable host (malformed)
   */
  public record Match(Map<String, List<Registration>> byPod, List<Registration> foreign) {
    public Match {
      byPod = Collections.unmodifiableMap(new LinkedHashMap<>(byPod));
      foreign = List.copyOf(foreign);
    }

    /** The registrations of pod {@code podName}; empty when it has none or is unknown. */
    public List<Registration> of(String podName) {
      return byPod.getOrDefault(podName, List.of());
    }
  }

  /**
   * Matches {@code registrations} to {@code pods}: a registration belongs to a pod when its {@code
   * host} equals one of the pod's IPs ({@code status.podIP}, {@code status.podIPs}; compared
   * ignoring case) and its {@code port} equals the pod's worker port (container {@value
   * WorkerStatefulSets#CONTAINER}, port named {@value WorkerStatefulSets#PORT_NAME}). Pods without
   * an IP or without that port match nothing. The role is not compared.
   */
  public static Match match(List<Registration> registrations, List<Pod> pods) {
    Map<String, List<Registration>> byPod = new LinkedHashMap<>();
    Map<String, String> podByEndpoint = new LinkedHashMap<>();
    for (Pod pod : pods) {
      String name = pod.getMetadata().getName();
      byPod.put(name, new ArrayList<>());
      Integer port = workerPort(pod);
      if (port == null) {
        continue;
      }
      for (String ip : podIps(pod)) {
        podByEndpoint.putIfAbsent(ip + ":" + port, name);
      }
    }
    List<Registration> foreign = new ArrayList<>();
    for (Registration r : registrations) {
      String pod =
          r.host() == null
              ? null
              : podByEndpoint.get(r.host().toLowerCase(Locale.ROOT) + ":" + r.port());
      if (pod == null) {
        foreign.add(r);
      } else {
        byPod.get(pod).add(r);
      }
    }
    Map<String, List<Registration>> frozen = new LinkedHashMap<>();
    byPod.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    return new Match(frozen, foreign);
  }

  /** The {@code http} port of the {@code worker} container, or null. */
  static Integer workerPort(Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    for (Container c : pod.getSpec().getContainers()) {
      if (WorkerStatefulSets.CONTAINER.equals(c.getName()) && c.getPorts() != null) {
        for (ContainerPort p : c.getPorts()) {
          if (WorkerStatefulSets.PORT_NAME.equals(p.getName())) {
            return p.getContainerPort();
          }
        }
      }
    }
    return null;
  }

  /** The pod's IPs, lower-case: {@code status.podIP} and every {@code status.podIPs[].ip}. */
  static Set<String> podIps(Pod pod) {
    Set<String> ips = new HashSet<>();
    if (pod.getStatus() == null) {
      return ips;
    }
    if (pod.getStatus().getPodIP() != null && !pod.getStatus().getPodIP().isBlank()) {
      ips.add(pod.getStatus().getPodIP().toLowerCase(Locale.ROOT));
    }
    if (pod.getStatus().getPodIPs() != null) {
      for (PodIP ip : pod.getStatus().getPodIPs()) {
        if (ip.getIp() != null && !ip.getIp().isBlank()) {
          ips.add(ip.getIp().toLowerCase(Locale.ROOT));
        }
      }
    }
    return ips;
  }
}
