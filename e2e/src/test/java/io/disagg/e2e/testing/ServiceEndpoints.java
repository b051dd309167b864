package io.disagg.e2e.testing;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What kube-proxy does for one Service of the local cluster, where no kube-proxy runs: each call
 * picks the next of the Service's endpoints, round-robin. An endpoint is a pod its selector matches
 * that is Ready and not terminating (a terminating pod leaves the endpoints at once; kube-proxy
 * learns of it a little later, as this informer does), at the pod's port the Service's {@code
 * targetPort} names. The pods of the kwok cluster have loopback IPs, so the URIs are loopback. Null
 * when there is no endpoint.
 */
public final class ServiceEndpoints implements Supplier<URI>, AutoCloseable {

  private final SharedIndexInformer<Pod> pods;
  private final IntOrString targetPort;
  private final AtomicLong next = new AtomicLong();

  private ServiceEndpoints(SharedIndexInformer<Pod> pods, IntOrString targetPort) {
    this.pods = pods;
    this.targetPort = targetPort;
  }

  /**
   * Follows the endpoints of Service {@code name} in {@code namespace} (its selector and first
   * port, read once).
   *
   * @throws IllegalStateException when the Service does not exist
   */
  public static ServiceEndpoints of(KubernetesClient client, String namespace, String name) {
    Service svc = client.services().inNamespace(namespace).withName(name).get();
    if (svc == null) {
      throw new IllegalStateException("no Service " + namespace + "/" + name);
    }
    ServicePort port = svc.getSpec().getPorts().get(0);
    IntOrString target =
        port.getTargetPort() != null ? port.getTargetPort() : new IntOrString(port.getPort());
    SharedIndexInformer<Pod> informer =
        client
            .pods()
            .inNamespace(namespace)
            .withLabels(Objects.requireNonNull(svc.getSpec().getSelector(), "selector"))
            .inform();
    return new ServiceEndpoints(informer, target);
  }

  /** The endpoints now: Ready, not terminating, with an IP; by pod name. */
  public List<URI> endpoints() {
    List<Pod> ready =
        new ArrayList<>(
            pods.getStore().list().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(ServiceEndpoints::ready)
                .filter(p -> p.getStatus().getPodIP() != null)
                .toList());
    ready.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    List<URI> out = new ArrayList<>();
    for (Pod p : ready) {
      Integer port = port(p);
      if (port != null) {
        out.add(URI.create("http://" + p.getStatus().getPodIP() + ":" + port));
      }
    }
    return out;
  }

  @Override
  public URI get() {
    List<URI> e = endpoints();
    return e.isEmpty() ? null : e.get((int) Math.floorMod(next.getAndIncrement(), e.size()));
  }

  private Integer port(Pod p) {
    if (targetPort.getIntVal() != null) {
      return targetPort.getIntVal();
    }
    return p.getSpec().getContainers().stream()
        .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.of() : c.getPorts().stream())
        .filter(cp -> targetPort.getStrVal().equals(cp.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElse(null);
  }

  private static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @Override
  public void close() {
    pods.close();
  }
}
