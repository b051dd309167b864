package io.disagg.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.model.Labels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterReannouncementsTest {

  private static final ResourceID CLUSTER = new ResourceID("demo", "serving");

  private static Pod router(String uid, int restarts, boolean started) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("demo-router-" + uid)
        .withUid(uid)
        .withLabels(Map.of(Labels.COMPONENT, Labels.ROUTER_COMPONENT, Labels.INSTANCE, "demo"))
        .endMetadata()
        .withNewStatus()
        .addNewContainerStatus()
        .withName("router")
        .withStarted(started)
        .withRestartCount(restarts)
        .withNewState()
        .withNewRunning()
        .endRunning()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void oncePerRouterContainerStartAndOnlyOnceItStarted() {
    RouterReannouncements r = new RouterReannouncements();
    Pod loading = router("a", 0, false);
    Pod started = router("b", 0, true);

    assertThat(r.due(CLUSTER, List.of(loading, started))).containsExactly(started);
    r.record(CLUSTER, List.of(loading, started), List.of(started));
    assertThat(r.due(CLUSTER, List.of(loading, started))).as("done already").isEmpty();

    Pod restarted = router("b", 1, true);
    assertThat(r.due(CLUSTER, List.of(restarted)))
        .as("its container restarted")
        .containsExactly(restarted);
    r.record(CLUSTER, List.of(restarted), List.of());
    assertThat(r.due(CLUSTER, List.of(restarted)))
        .as("not announced (no snapshot yet): due again")
        .containsExactly(restarted);

    Pod terminating = router("c", 0, true);
    terminating.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    Pod worker = router("d", 0, true);
    worker.getMetadata().setLabels(Map.of(Labels.COMPONENT, "context"));
    assertThat(r.due(CLUSTER, List.of(terminating, worker))).isEmpty();
  }

  @Test
  void onlyTheRevisionsOwnWorkersAreAnnouncedNeverAForeignOrMalformedOrUnleasedOne() {
    Pod worker =
        new PodBuilder()
            .withNewMetadata()
            .withName("demo-context-0")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName(io.disagg.operator.model.WorkerStatefulSets.CONTAINER)
            .addNewPort()
            .withName(io.disagg.operator.model.WorkerStatefulSets.PORT_NAME)
            .withContainerPort(8000)
            .endPort()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPodIP("127.1.0.5")
            .endStatus()
            .build();
    var ours = registration("a", "127.1.0.5", 8000, 7);
    var foreign = registration("b", "127.9.0.1", 8000, 7);
    var otherPort = registration("c", "127.1.0.5", 9000, 7);
    var unleased = registration("d", "127.1.0.5", 8000, 0);
    var malformed =
        io.disagg.operator.discovery.Registrations.parse(
            "/trtllm-disagg/c/workers/e",
            "junk".getBytes(java.nio.charset.StandardCharsets.UTF_8),
            7,
            1);
    assertThat(
            RouterReannouncements.announced(
                List.of(ours, foreign, otherPort, unleased, malformed), List.of(worker)))
        .containsExactly(ours);
  }

  private static io.disagg.operator.discovery.Registration registration(
      String id, String host, int port, long lease) {
    String value =
        "{\"worker_id\":\"" + id + "\",\"host\":\"" + host + "\",\"port\":" + port + ",\"role\":0}";
    return io.disagg.operator.discovery.Registrations.parse(
        "/trtllm-disagg/c/workers/" + id,
        value.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        lease,
        1);
  }
}
