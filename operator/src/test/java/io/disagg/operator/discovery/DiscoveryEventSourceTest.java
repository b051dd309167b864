package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.Fixtures;
import io.etcd.jetcd.Client;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DiscoveryEventSource} against a real etcd. What it holds open is seen from etcd's side:
 * its watchers ({@link EtcdServer#watchers}) and the connections of this JVM ({@link
 * EtcdServer#connectionsFromThisProcess}), one of which is the test's own client.
 */
class DiscoveryEventSourceTest {

  static EtcdServer etcd;

  /** The test's own client (workers' registrations), connected from the start. */
  static Client client;

  EtcdConnections connections;
  DiscoveryEventSource source;
  final List<Event> events = new CopyOnWriteArrayList<>();
  EtcdTarget target;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    client = etcd.newClient();
    try {
      client.getKVClient().get(TrtllmStyleWorker.bytes("connect")).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stopEtcd() {
    client.close();
    etcd.close();
  }

  @BeforeEach
  void setUp() {
    connections = new EtcdConnections();
    source = new DiscoveryEventSource(connections);
    source.setEventHandler(events::add);
    source.start();
    target = Targets.plain(etcd.clientUrl());
  }

  @AfterEach
  void tearDown() {
    source.stop();
    connections.close();
  }

  long eventsFor(ResourceID id) {
    return events.stream().filter(e -> e.getRelatedCustomResourceID().equals(id)).count();
  }

  /**
   * Waits until etcd sees {@code watchers} watchers and {@code clients} connections of the source's
   * clients.
   */
  static void awaitEtcdSees(int watchers, int clients) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> etcd.watchers() == watchers && etcd.connectionsFromThisProcess() == clients + 1);
  }

  @Test
  void triggersAReconcileOfTheClusterWhenItsRegistrationsChange() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns1", "alpha");
    DisaggCluster other = Fixtures.minimal("ns1", "beta");
    ResourceID id = ResourceID.fromResource(cr);
    ResourceID otherId = ResourceID.fromResource(other);
    assertThat(only(source.snapshots(id))).isEmpty();
    assertThat(source.getSecondaryResources(cr)).isEmpty();

    DiscoverySnapshot first = source.watch(cr, target, List.of("ns1.alpha")).get("ns1.alpha");
    source.watch(other, target, List.of("ns1.beta")).get("ns1.beta");
    assertThat(first.reachable()).isFalse();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> eventsFor(id) >= 1 && only(source.snapshots(id)).orElseThrow().reachable());
    awaitEtcdSees(2, 1); // two watches through one shared client

    long before = eventsFor(id);
    long otherBefore = eventsFor(otherId);
    try (TrtllmStyleWorker w =
        new TrtllmStyleWorker(client, "ns1.alpha", Pool.CONTEXT, "10.3.0.1", 8000, 30, 5).start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> eventsFor(id) > before);
      DiscoverySnapshot s = only(source.snapshots(id)).orElseThrow();
      assertThat(s.registrations()).extracting(Registration::key).containsExactly(w.key());
      assertThat(source.getSecondaryResources(cr)).containsExactly(s);
      assertThat(only(source.snapshots(otherId)).orElseThrow().registrations()).isEmpty();
      assertThat(eventsFor(otherId)).isEqualTo(otherBefore);
    }
  }

  /**
   * One watch per pairing revision's cluster_name: {@code ns6.alpha} and {@code
   * ns6.alpha.<revision>} each see only their own workers (upstream's prefix is {@code
   * /trtllm-disagg/<cluster_name>/workers/}, disagg_auto_scaling.py get_worker_key_prefix), and a
   * name no longer listed stops its watch.
   */
  @Test
  void eachClusterNameOfOneClusterHasItsOwnWatch() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns6", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    String first = "ns6.alpha";
    String later = "ns6.alpha.0123456789";
    source.watch(cr, target, List.of(first, later));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                source.snapshots(id).size() == 2
                    && source.snapshots(id).values().stream()
                        .allMatch(DiscoverySnapshot::reachable));
    awaitEtcdSees(2, 1);
    try (TrtllmStyleWorker old =
            new TrtllmStyleWorker(client, first, Pool.CONTEXT, "10.6.0.1", 8000, 30, 5).start();
        TrtllmStyleWorker fresh =
            new TrtllmStyleWorker(client, later, Pool.CONTEXT, "10.6.0.2", 8000, 30, 5).start()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  source.snapshots(id).get(first).registrations().size() == 1
                      && source.snapshots(id).get(later).registrations().size() == 1);
      assertThat(source.snapshots(id).get(first).registrations())
          .extracting(Registration::key)
          .containsExactly(old.key());
      assertThat(source.snapshots(id).get(later).registrations())
          .extracting(Registration::key)
          .containsExactly(fresh.key());
      assertThat(source.getSecondaryResources(cr)).hasSize(2);

      assertThat(source.watch(cr, target, List.of(later))).containsOnlyKeys(later);
      assertThat(source.snapshots(id)).containsOnlyKeys(later);
      awaitEtcdSees(1, 1);
    }
  }

  @Test
  void sameTargetAndNameKeepTheWatchAnythingElseReplacesIt() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns2", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    source.watch(cr, target, List.of("ns2.alpha")).get("ns2.alpha");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> only(source.snapshots(id)).orElseThrow().reachable());
    DiscoverySnapshot up = only(source.snapshots(id)).orElseThrow();
    assertThat(
            source
                .watch(cr, Targets.plain(etcd.clientUrl()), List.of("ns2.alpha"))
                .get("ns2.alpha"))
        .as("an equal target and the same name keep the watch, which is up")
        .isSameAs(up);
    awaitEtcdSees(1, 1);

    // Another cluster name: a new watch (it starts over as not reachable) of the new prefix only.
    assertThat(source.watch(cr, target, List.of("ns2.renamed")).get("ns2.renamed").reachable())
        .isFalse();
    try (TrtllmStyleWorker renamed =
            new TrtllmStyleWorker(client, "ns2.renamed", Pool.CONTEXT, "10.3.3.1", 8000, 30, 5)
                .start();
        TrtllmStyleWorker old =
            new TrtllmStyleWorker(client, "ns2.alpha", Pool.CONTEXT, "10.3.3.2", 8000, 30, 5)
                .start()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  only(source.snapshots(id)).orElseThrow().reachable()
                      && only(source.snapshots(id)).orElseThrow().registrations().stream()
                          .map(Registration::key)
                          .toList()
                          .equals(List.of(renamed.key())));
    }
    awaitEtcdSees(1, 1); // the old watch cancelled, the client kept

    // Another target, even for the same server: a new watch through a new client; the old one is
    // closed.
    EtcdTarget viaLocalhost = Targets.plain(etcd.clientUrl().replace("127.0.0.1", "localhost"));
    assertThat(
            source.watch(cr, viaLocalhost, List.of("ns2.renamed")).get("ns2.renamed").reachable())
        .isFalse();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> only(source.snapshots(id)).orElseThrow().reachable());
    awaitEtcdSees(1, 1);

    // An etcd that does not answer: nothing of this etcd stays in use.
    assertThat(
            source
                .watch(cr, Targets.plain("http://127.0.0.1:1"), List.of("ns2.renamed"))
                .get("ns2.renamed")
                .reachable())
        .isFalse();
    awaitEtcdSees(0, 0);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> only(source.snapshots(id)).orElseThrow().lastError() != null);
    assertThat(only(source.snapshots(id)).orElseThrow().reachable()).isFalse();
  }

  @Test
  void deletingThePrimaryStopsItsWatch() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns3", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    source.watch(cr, target, List.of("ns3.alpha")).get("ns3.alpha");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> only(source.snapshots(id)).orElseThrow().reachable());

    source.onResourceDeleted(cr);

    assertThat(only(source.snapshots(id))).isEmpty();
    awaitEtcdSees(0, 0);
    long seen = eventsFor(id);
    try (TrtllmStyleWorker w =
        new TrtllmStyleWorker(client, "ns3.alpha", Pool.CONTEXT, "10.3.1.1", 8000, 30, 5).start()) {
      await()
          .during(Duration.ofSeconds(1))
          .atMost(Duration.ofSeconds(2))
          .until(() -> eventsFor(id) == seen);
    }
    source.unwatch(id); // no-op
  }

  @Test
  void deregisterUsesTheWatchedEtcd() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns4", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    assertThatThrownBy(() -> source.deregister(id, List.of("/trtllm-disagg/ns4.alpha/workers/x")))
        .isInstanceOf(IllegalStateException.class);
    source.watch(cr, target, List.of("ns4.alpha")).get("ns4.alpha");
    try (TrtllmStyleWorker w =
        new TrtllmStyleWorker(client, "ns4.alpha", Pool.GENERATION, "10.3.2.1", 8000, 30, 5)
            .start()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> only(source.snapshots(id)).orElseThrow().registrations().size() == 1);
      assertThat(source.deregister(id, List.of(w.key()))).isEqualTo(1);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> only(source.snapshots(id)).orElseThrow().registrations().isEmpty());
      assertThat(w.keyExists()).isFalse();
    }
    source.unwatch(id);
    awaitEtcdSees(0, 0); // the client deregister used was released with the watch's
  }

  @Test
  void noEventsWhileStoppedAndRestartable() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns5", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    source.stop();
    assertThat(source.isRunning()).isFalse();
    source.start();
    source.watch(cr, target, List.of("ns5.alpha")).get("ns5.alpha");
    await().atMost(Duration.ofSeconds(10)).until(() -> eventsFor(id) >= 1);
    source.stop();
    awaitEtcdSees(0, 0);
  }

  /** The snapshot of a DisaggCluster watching one cluster_name. */
  private static Optional<DiscoverySnapshot> only(Map<String, DiscoverySnapshot> snapshots) {
    assertThat(snapshots).hasSizeLessThanOrEqualTo(1);
    return snapshots.values().stream().findFirst();
  }
}
