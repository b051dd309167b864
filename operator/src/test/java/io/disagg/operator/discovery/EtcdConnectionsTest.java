package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.Client;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EtcdConnectionsTest {

  static EtcdServer etcd;

  /** Real clients, wrapped to count close() calls per client. */
  final List<Client> created = new CopyOnWriteArrayList<>();
  final Map<Client, AtomicInteger> closes = new ConcurrentHashMap<>();

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  Client counting(EtcdTarget target) {
    Client real = EtcdConnections.newClient(target);
    AtomicInteger count = new AtomicInteger();
    Client proxy = (Client) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Client.class},
        (p, m, args) -> {
          if (m.getName().equals("close")) {
            count.incrementAndGet();
          }
          try {
            return m.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    created.add(proxy);
    closes.put(proxy, count);
    return proxy;
  }

  @Test
  void sharesOneClientPerTargetAndClosesItWithTheLastHandle() throws Exception {
    EtcdTarget a = EtcdTarget.plain(List.of(etcd.clientUrl()));
    EtcdTarget sameAsA = EtcdTarget.plain(List.of(etcd.clientUrl()));
    EtcdTarget b = EtcdTarget.plain(List.of("http://localhost:" + etcd.clientUrl().replaceAll(".*:", "")));
    try (EtcdConnections connections = new EtcdConnections(this::counting)) {
      EtcdConnections.Handle h1 = connections.acquire(a);
      EtcdConnections.Handle h2 = connections.acquire(sameAsA);
      EtcdConnections.Handle h3 = connections.acquire(b);
      assertThat(h1.client()).isSameAs(h2.client());
      assertThat(h3.client()).isNotSameAs(h1.client());
      assertThat(connections.openClients()).isEqualTo(2);
      assertThat(connections.references(a)).isEqualTo(2);

      // the shared client really talks to etcd
      h1.client().getKVClient().put(TrtllmStyleWorker.bytes("k"), TrtllmStyleWorker.bytes("v")).get(5, TimeUnit.SECONDS);
      assertThat(h3.client().getKVClient().get(TrtllmStyleWorker.bytes("k")).get(5, TimeUnit.SECONDS).getCount()).isEqualTo(1);

      h1.close();
      h1.close(); // idempotent: releases once
      assertThat(connections.references(a)).isEqualTo(1);
      assertThat(closes.get(h2.client()).get()).isZero();
      assertThat(h2.client().getKVClient().get(TrtllmStyleWorker.bytes("k")).get(5, TimeUnit.SECONDS).getCount()).isEqualTo(1);

      h2.close();
      assertThat(closes.get(h2.client()).get()).isEqualTo(1);
      assertThat(connections.openClients()).isEqualTo(1);

      EtcdConnections.Handle h4 = connections.acquire(a);
      assertThat(h4.client()).as("a new client after the last release").isNotSameAs(h2.client());
      h4.close();
      h3.close();
      assertThat(connections.openClients()).isZero();
      assertThat(created).hasSize(3).allSatisfy(c -> assertThat(closes.get(c).get()).isEqualTo(1));
    }
  }

  @Test
  void concurrentAcquireAndReleaseLeaveNothingOpen() throws Exception {
    EtcdTarget[] targets = {
        EtcdTarget.plain(List.of(etcd.clientUrl())),
        EtcdTarget.plain(List.of("http://127.0.0.1:2")),
        EtcdTarget.plain(List.of("http://127.0.0.1:3"))};
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (EtcdConnections connections = new EtcdConnections(this::counting)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        EtcdTarget t = targets[i % targets.length];
        fs.add(pool.submit(() -> {
          try (EtcdConnections.Handle h = connections.acquire(t)) {
            assertThat(h.target()).isEqualTo(t);
            assertThat(h.client()).isNotNull();
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(connections.openClients()).isZero();
      assertThat(created).isNotEmpty().allSatisfy(c -> assertThat(closes.get(c).get()).isEqualTo(1));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closeClosesEverythingAndRefusesNewHandles() {
    EtcdConnections connections = new EtcdConnections(this::counting);
    EtcdConnections.Handle h = connections.acquire(EtcdTarget.plain(List.of(etcd.clientUrl())));
    connections.close();
    assertThat(closes.get(h.client()).get()).isEqualTo(1);
    h.close(); // after close(): no second close of the client
    assertThat(closes.get(h.client()).get()).isEqualTo(1);
    assertThatThrownBy(() -> connections.acquire(EtcdTarget.plain(List.of(etcd.clientUrl()))))
        .isInstanceOf(IllegalStateException.class);
  }
}
