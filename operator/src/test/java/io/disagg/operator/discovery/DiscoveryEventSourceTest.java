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
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DiscoveryEventSourceTest {

  static EtcdServer etcd;
  static Client client;

  EtcdConnections connections;
  DiscoveryEventSource source;
  final List<Event> events = new CopyOnWriteArrayList<>();
  EtcdTarget target;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    client = etcd.newClient();
  }

  @AfterAll
  static void stopEtcd() {
    client.close();
    etcd.close();
  }

  @BeforeEach
  void setUp() {
    connections = new EtcdConnections();
    source = new DiscoveryEventSource(connections, RegistrationWatchTest.FAST);
    source.setEventHandler(events::add);
    source.start();
    target = EtcdTarget.plain(List.of(etcd.clientUrl()));
  }

  @AfterEach
  void tearDown() {
    source.stop();
    connections.close();
  }

  long eventsFor(ResourceID id) {
    return events.stream().filter(e -> e.getRelatedCustomResourceID().equals(id)).count();
  }

  @Test
  void triggersAReconcileOfTheClusterWhenItsRegistrationsChange() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns1", "alpha");
    DisaggCluster other = Fixtures.minimal("ns1", "beta");
    ResourceID id = ResourceID.fromResource(cr);
    ResourceID otherId = ResourceID.fromResource(other);
    assertThat(source.snapshot(id)).isEmpty();
    assertThat(source.getSecondaryResources(cr)).isEmpty();

    DiscoverySnapshot first = source.watch(cr, target, "ns1.alpha");
    source.watch(other, target, "ns1.beta");
    assertThat(first.reachable()).isFalse();
    await().atMost(Duration.ofSeconds(10)).until(() -> eventsFor(id) >= 1 && source.snapshot(id).orElseThrow().reachable());
    assertThat(connections.openClients()).isEqualTo(1);
    assertThat(connections.references(target)).isEqualTo(2);

    long before = eventsFor(id);
    long otherBefore = eventsFor(otherId);
    try (TrtllmStyleWorker w = new TrtllmStyleWorker(client, "ns1.alpha", Pool.CONTEXT, "10.3.0.1", 8000, 30, 5).start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> eventsFor(id) > before);
      DiscoverySnapshot s = source.snapshot(id).orElseThrow();
      assertThat(s.registrations()).extracting(Registration::key).containsExactly(w.key());
      assertThat(source.getSecondaryResources(cr)).containsExactly(s);
      assertThat(source.snapshot(otherId).orElseThrow().registrations()).isEmpty();
      assertThat(eventsFor(otherId)).isEqualTo(otherBefore);
    }
  }

  @Test
  void sameTargetAndNameKeepTheWatchAnythingElseReplacesIt() {
    DisaggCluster cr = Fixtures.minimal("ns2", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    source.watch(cr, target, "ns2.alpha");
    RegistrationWatch w1 = source.watchOf(id);
    source.watch(cr, EtcdTarget.plain(List.of(etcd.clientUrl())), "ns2.alpha");
    assertThat(source.watchOf(id)).isSameAs(w1);
    assertThat(connections.references(target)).isEqualTo(1);

    source.watch(cr, target, "ns2.renamed");
    RegistrationWatch w2 = source.watchOf(id);
    assertThat(w2).isNotSameAs(w1);
    assertThat(w2.clusterName()).isEqualTo("ns2.renamed");
    assertThat(connections.references(target)).isEqualTo(1);

    EtcdTarget viaLocalhost = EtcdTarget.plain(List.of(etcd.clientUrl().replace("127.0.0.1", "localhost")));
    source.watch(cr, viaLocalhost, "ns2.renamed");
    assertThat(source.watchOf(id)).isNotSameAs(w2);
    assertThat(source.target(id)).contains(viaLocalhost);
    assertThat(connections.references(target)).isZero();
    assertThat(connections.openClients()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> source.snapshot(id).orElseThrow().reachable());
    assertThat(source.size()).isEqualTo(1);
  }

  @Test
  void deletingThePrimaryStopsItsWatch() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns3", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    source.watch(cr, target, "ns3.alpha");
    await().atMost(Duration.ofSeconds(10)).until(() -> source.snapshot(id).orElseThrow().reachable());

    source.onResourceDeleted(cr);

    assertThat(source.snapshot(id)).isEmpty();
    assertThat(source.size()).isZero();
    assertThat(connections.openClients()).isZero();
    long seen = eventsFor(id);
    try (TrtllmStyleWorker w = new TrtllmStyleWorker(client, "ns3.alpha", Pool.CONTEXT, "10.3.1.1", 8000, 30, 5).start()) {
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> eventsFor(id) == seen);
    }
    source.unwatch(id); // no-op
  }

  @Test
  void deregisterUsesTheWatchedEtcd() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns4", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    assertThatThrownBy(() -> source.deregister(id, List.of("/trtllm-disagg/ns4.alpha/workers/x")))
        .isInstanceOf(IllegalStateException.class);
    source.watch(cr, target, "ns4.alpha");
    try (TrtllmStyleWorker w = new TrtllmStyleWorker(client, "ns4.alpha", Pool.GENERATION, "10.3.2.1", 8000, 30, 5).start()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> source.snapshot(id).orElseThrow().registrations().size() == 1);
      assertThat(source.deregister(id, List.of(w.key()))).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> source.snapshot(id).orElseThrow().registrations().isEmpty());
      assertThat(w.keyExists()).isFalse();
      assertThat(connections.references(target)).as("the temporary handle is released").isEqualTo(1);
    }
  }

  @Test
  void noEventsWhileStoppedAndRestartable() throws Exception {
    DisaggCluster cr = Fixtures.minimal("ns5", "alpha");
    ResourceID id = ResourceID.fromResource(cr);
    source.stop();
    assertThat(source.isRunning()).isFalse();
    source.start();
    source.watch(cr, target, "ns5.alpha");
    await().atMost(Duration.ofSeconds(10)).until(() -> eventsFor(id) >= 1);
    source.stop();
    assertThat(source.size()).isZero();
    assertThat(connections.openClients()).isZero();
  }
}
