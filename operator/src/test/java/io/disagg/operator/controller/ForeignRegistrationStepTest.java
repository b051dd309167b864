package io.disagg.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DiscoverySpec;
import io.disagg.operator.api.v1alpha1.DiscoveryStatus;
import io.disagg.operator.discovery.DiscoverySnapshot;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.discovery.Registrations;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.status.Reason;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ForeignRegistrationStepTest {

  private static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");
  private static final String PREFIX = "/trtllm-disagg/serving.demo/workers/";

  /** Events go nowhere (an unreachable API server: recording is logged and ignored). */
  private final KubernetesClient k8s =
      new KubernetesClientBuilder()
          .withConfig(
              new ConfigBuilder()
                  .withMasterUrl("http://127.0.0.1:1")
                  .withRequestRetryBackoffLimit(0)
                  .build())
          .build();

  private final ForeignRegistrationStep step = new ForeignRegistrationStep();
  private final List<List<Registration>> deletes = new ArrayList<>();
  private final ForeignRegistrationStep.Etcd etcd =
      regs -> {
        deletes.add(regs);
        return regs;
      };

  @AfterEach
  void close() {
    k8s.close();
  }

  private static DisaggCluster cluster() {
    DisaggCluster cr = Fixtures.minimal("serving", "demo");
    cr.getMetadata().setUid("uid-1");
    cr.getMetadata().setGeneration(1L);
    cr.setStatus(new DisaggClusterStatus());
    return cr;
  }

  private static DiscoverySpec discovery(DisaggCluster cr) {
    return EffectiveSpecs.of(cr, List.of(Fixtures.ETCD_ENDPOINT))
        .spec()
        .cluster()
        .getSpec()
        .getDiscovery();
  }

  private static Pod pod(String name, String ip) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("serving")
        .endMetadata()
        .withNewStatus()
        .withPodIP(ip)
        .endStatus()
        .build();
  }

  private static Registration worker(String host) {
    String id = "CONTEXT-" + host + ":8000-1-2-003";
    return Registrations.parse(
        PREFIX + id,
        ("{\"worker_id\":\"" + id + "\",\"host\":\"" + host + "\",\"port\":8000,\"role\":0}")
            .getBytes(StandardCharsets.UTF_8),
        7,
        42);
  }

  private static Map<String, DiscoverySnapshot> snapshot(boolean reachable, Registration... regs) {
    return Map.of("serving.demo", new DiscoverySnapshot(List.of(regs), reachable, null, 50, T0));
  }

  private ForeignRegistrationStep.Result run(
      DisaggCluster cr,
      Map<String, DiscoverySnapshot> snapshots,
      List<Pod> cached,
      ForeignRegistrationStep.UncachedPods uncached,
      Optional<String> shared,
      Instant now) {
    return step.run(
        cr, discovery(cr), snapshots, cached, () -> shared, true, uncached, k8s, etcd, now);
  }

  @Test
  void aForeignRegistrationIsDeletedAfterTheGraceAndCounted() {
    DisaggCluster cr = cluster();
    List<Pod> pods = List.of(pod("demo-context-0", "127.1.0.5"));
    Registration ours = worker("127.1.0.5");
    Registration foreign = worker("127.9.0.1");
    var snap = snapshot(true, ours, foreign);

    ForeignRegistrationStep.Result first = run(cr, snap, pods, () -> pods, Optional.empty(), T0);
    assertThat(deletes).isEmpty();
    assertThat(first.requeueAfter()).isEqualTo(Duration.ofSeconds(2));

    ForeignRegistrationStep.Result due =
        run(cr, snap, pods, () -> pods, Optional.empty(), T0.plusSeconds(2));
    assertThat(deletes).containsExactly(List.of(foreign));
    assertThat(due.removedKeys()).containsExactly(foreign.key());
    assertThat(due.removedForeign()).isEqualTo(1);
    assertThat(due.lastRemoved().getKey()).isEqualTo(foreign.key());
    assertThat(due.lastRemoved().getHost()).isEqualTo("127.9.0.1");
    assertThat(due.lastRemoved().getTime()).isEqualTo("2026-12-01T08:00:02Z");

    DisaggClusterStatus status = new DisaggClusterStatus();
    status.setDiscovery(new DiscoveryStatus());
    due.applyTo(status, 1L, T0);
    assertThat(status.getDiscovery().getRemovedForeign()).isEqualTo(1);
    // the next reconcile carries the count from the status it wrote
    cr.setStatus(status);
    ForeignRegistrationStep.Result quiet =
        run(cr, snapshot(true, ours), pods, () -> pods, Optional.empty(), T0.plusSeconds(3));
    assertThat(quiet.removedForeign()).isEqualTo(1);
    assertThat(quiet.removedKeys()).isEmpty();
  }

  @Test
  void aHostThatTheApiServerKnowsAsOurPodIsKept() {
    DisaggCluster cr = cluster();
    Registration newPods = worker("127.1.0.6"); // the cache has not seen that pod yet
    var snap = snapshot(true, newPods);
    List<Pod> live = List.of(pod("demo-context-1", "127.1.0.6"));
    run(cr, snap, List.of(), () -> live, Optional.empty(), T0);
    ForeignRegistrationStep.Result r =
        run(cr, snap, List.of(), () -> live, Optional.empty(), T0.plusSeconds(5));
    assertThat(deletes).isEmpty();
    assertThat(r.removedKeys()).isEmpty();
    assertThat(r.removedForeign()).isNull();
  }

  @Test
  void nothingIsDeletedWhenThePodsCannotBeListedAndItIsTriedAgain() {
    DisaggCluster cr = cluster();
    var snap = snapshot(true, worker("127.9.0.1"));
    ForeignRegistrationStep.UncachedPods failing =
        () -> {
          throw new KubernetesClientException("forbidden");
        };
    run(cr, snap, List.of(), failing, Optional.empty(), T0);
    ForeignRegistrationStep.Result r =
        run(cr, snap, List.of(), failing, Optional.empty(), T0.plusSeconds(5));
    assertThat(deletes).isEmpty();
    assertThat(r.requeueAfter()).isEqualTo(ForeignRegistrationStep.RETRY);
  }

  @Test
  void nothingIsDeletedWithTheSwitchOffWhileInvalidOrFromAWatchThatIsNotLive() {
    DisaggCluster off = cluster();
    off.getSpec().getDiscovery().setRemoveForeignRegistrations(false);
    var snap = snapshot(true, worker("127.9.0.1"));
    run(off, snap, List.of(), List::of, Optional.empty(), T0);
    run(off, snap, List.of(), List::of, Optional.empty(), T0.plusSeconds(60));

    DisaggCluster cr = cluster();
    for (int i = 0; i < 2; i++) {
      step.run(
          cr,
          discovery(cr),
          snap,
          List.of(),
          Optional::empty,
          false,
          List::of,
          k8s,
          etcd,
          T0.plusSeconds(60L * i));
    }
    var stale = snapshot(false, worker("127.9.0.1"));
    run(cr, stale, List.of(), List::of, Optional.empty(), T0);
    run(cr, stale, List.of(), List::of, Optional.empty(), T0.plusSeconds(60));
    assertThat(deletes).isEmpty();
  }

  @Test
  void aSharedClusterNameRefusesEveryDeleteAndSaysSoInTheCondition() {
    DisaggCluster cr = cluster();
    var snap = snapshot(true, worker("127.9.0.1"));
    run(cr, snap, List.of(), List::of, Optional.of("team-b/demo"), T0);
    ForeignRegistrationStep.Result r =
        run(cr, snap, List.of(), List::of, Optional.of("team-b/demo"), T0.plusSeconds(5));
    assertThat(deletes).isEmpty();
    assertThat(r.sharedWith()).isEqualTo("team-b/demo");

    DisaggClusterStatus status = new DisaggClusterStatus();
    status.setConditions(
        Conditions.set(
            List.of(),
            ConditionType.DISCOVERY_AVAILABLE,
            true,
            Reason.UNMATCHED_REGISTRATIONS,
            "1 registrations; 1 match no pod",
            1L,
            T0));
    r.applyTo(status, 1L, T0);
    assertThat(Conditions.find(status.getConditions(), ConditionType.DISCOVERY_AVAILABLE))
        .hasValueSatisfying(
            c -> {
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getReason()).isEqualTo("ClusterNameShared");
              assertThat(c.getMessage()).contains("team-b/demo");
            });
  }

  private static final List<String> ETCD = List.of("etcd.infra:2379");

  @Test
  void anotherDisaggClusterWithOneOfOurClusterNamesOnTheSameEtcdIsFound() {
    var other =
        new ForeignRegistrationStep.Claim(
            "team-b", "chat", Set.of("shared", "shared.abc"), Set.of("ETCD.infra:2379"));
    assertThat(
            ForeignRegistrationStep.sharing(
                "team-a", "chat", List.of("shared"), ETCD, List.of(other)))
        .contains("team-b/chat");
    // one of our revisions' names
    assertThat(
            ForeignRegistrationStep.sharing(
                "team-a", "chat", List.of("team-a.chat", "shared.abc"), ETCD, List.of(other)))
        .contains("team-b/chat");
  }

  @Test
  void itselfAnotherEtcdOrOtherNamesAreNotSharing() {
    var self = new ForeignRegistrationStep.Claim("team-a", "chat", Set.of("shared"), Set.of());
    var elsewhere =
        new ForeignRegistrationStep.Claim(
            "team-b", "chat", Set.of("shared"), Set.of("other-etcd:2379"));
    var distinct =
        new ForeignRegistrationStep.Claim(
            "team-c", "chat", Set.of("team-c.chat"), Set.copyOf(ETCD));
    assertThat(
            ForeignRegistrationStep.sharing(
                "team-a", "chat", List.of("shared"), ETCD, List.of(self, elsewhere, distinct)))
        .isEmpty();
  }

  @Test
  void unresolvedEndpointsCountAsTheSameEtcd() {
    var other = new ForeignRegistrationStep.Claim("team-b", "x", Set.of("shared"), Set.of());
    assertThat(
            ForeignRegistrationStep.sharing("team-a", "y", List.of("shared"), ETCD, List.of(other)))
        .contains("team-b/x");
  }
}
