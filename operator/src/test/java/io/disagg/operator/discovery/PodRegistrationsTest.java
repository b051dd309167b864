package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.core.Pool;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodRegistrationsTest {

  static Pod pod(String name, String ip, int port) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("sidecar")
        .addNewPort()
        .withName("http")
        .withContainerPort(9999)
        .endPort()
        .endContainer()
        .addNewContainer()
        .withName("worker")
        .addNewPort()
        .withName("metrics")
        .withContainerPort(9100)
        .endPort()
        .addNewPort()
        .withName("http")
        .withContainerPort(port)
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPodIP(ip)
        .endStatus()
        .build();
  }

  static Registration reg(String id, String host, int port) {
    return new Registration(
        "/trtllm-disagg/c/workers/" + id, id, host, port, Pool.CONTEXT, 1, 1, false, "{}");
  }

  @Test
  void matchesByPodIpAndWorkerHttpPort() {
    Registration a = reg("a", "10.0.0.1", 8000);
    Registration a2 = reg("a2", "10.0.0.1", 8000);
    Registration b = reg("b", "10.0.0.2", 8000);
    Registration wrongPort = reg("wp", "10.0.0.2", 9100);
    Registration sidecarPort = reg("sp", "10.0.0.2", 9999);
    Registration elsewhere = reg("x", "10.9.9.9", 8000);
    Registration noHost =
        new Registration("/trtllm-disagg/c/workers/m", "m", null, 0, null, 0, 1, true, "junk");
    List<Pod> pods =
        List.of(pod("p-0", "10.0.0.1", 8000), pod("p-1", "10.0.0.2", 8000), pod("p-2", null, 8000));

    PodRegistrations.Match m =
        PodRegistrations.match(List.of(a, b, wrongPort, sidecarPort, elsewhere, noHost, a2), pods);

    assertThat(m.byPod().keySet()).containsExactly("p-0", "p-1", "p-2");
    assertThat(m.of("p-0")).containsExactly(a, a2);
    assertThat(m.of("p-1")).containsExactly(b);
    assertThat(m.of("p-2")).isEmpty();
    assertThat(m.of("unknown")).isEmpty();
    assertThat(m.foreign()).containsExactly(wrongPort, sidecarPort, elsewhere, noHost);
  }

  @Test
  void dualStackAndCaseInsensitiveIpv6() {
    Pod p = pod("p-0", "10.0.0.1", 8000);
    p.getStatus().setPodIPs(List.of(new PodIP("10.0.0.1"), new PodIP("FD00::1")));
    Registration v6 = reg("v6", "fd00::1", 8000);
    assertThat(PodRegistrations.match(List.of(v6), List.of(p)).of("p-0")).containsExactly(v6);
  }

  @Test
  void podWithoutWorkerPortMatchesNothing() {
    Pod p = pod("p-0", "10.0.0.1", 8000);
    p.getSpec().getContainers().get(1).setName("not-worker");
    Registration r = reg("a", "10.0.0.1", 8000);
    PodRegistrations.Match m = PodRegistrations.match(List.of(r), List.of(p));
    assertThat(m.of("p-0")).isEmpty();
    assertThat(m.foreign()).containsExactly(r);
    assertThat(PodRegistrations.match(List.of(), List.of()).foreign()).isEmpty();
  }
}
