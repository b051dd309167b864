package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link EtcdConnections} with real clients against a real etcd. Whether a client is open is seen
 * from etcd's side: the TCP connections this JVM holds to it ({@link
 * EtcdServer#connectionsFromThisProcess}). A client connects on its first request, so the tests
 * send one through every handle they check.
 */
class EtcdConnectionsTest {

  static EtcdServer etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  static long count(Client c, String key) throws Exception {
    return c.getKVClient().get(TrtllmStyleWorker.bytes(key)).get(5, TimeUnit.SECONDS).getCount();
  }

  static void awaitConnections(int n) {
    await().atMost(Duration.ofSeconds(10)).until(() -> etcd.connectionsFromThisProcess() == n);
  }

  @Test
  void sharesOneClientPerTargetAndClosesItWithTheLastHandle() throws Exception {
    EtcdTarget a = Targets.plain(etcd.clientUrl());
    EtcdTarget sameAsA = Targets.plain(etcd.clientUrl());
    EtcdTarget b = Targets.plain("http://localhost:" + etcd.clientUrl().replaceAll(".*:", ""));
    try (EtcdConnections connections = new EtcdConnections()) {
      EtcdConnections.Handle h1 = connections.acquire(a);
      EtcdConnections.Handle h2 = connections.acquire(sameAsA);
      EtcdConnections.Handle h3 = connections.acquire(b);
      assertThat(h1.client()).isSameAs(h2.client());
      assertThat(h3.client()).isNotSameAs(h1.client());

      // the shared client really talks to etcd
      h1.client()
          .getKVClient()
          .put(TrtllmStyleWorker.bytes("k"), TrtllmStyleWorker.bytes("v"))
          .get(5, TimeUnit.SECONDS);
      assertThat(count(h3.client(), "k")).isEqualTo(1);
      awaitConnections(2);

      h1.close();
      h1.close(); // idempotent: releases once, so h2 still holds the client
      assertThat(count(h2.client(), "k")).isEqualTo(1);
      assertThat(etcd.connectionsFromThisProcess())
          .as("h2 keeps the shared client open")
          .isEqualTo(2);

      h2.close();
      awaitConnections(1); // the last handle of a closed the client; b's is still open

      EtcdConnections.Handle h4 = connections.acquire(a);
      assertThat(h4.client()).as("a new client after the last release").isNotSameAs(h2.client());
      assertThat(count(h4.client(), "k")).isEqualTo(1);
      awaitConnections(2);
      h4.close();
      h3.close();
      awaitConnections(0);
    }
  }

  @Test
  void concurrentAcquireAndReleaseLeaveNothingOpen() throws Exception {
    EtcdTarget reachable = Targets.plain(etcd.clientUrl());
    EtcdTarget[] targets = {
      reachable, Targets.plain("http://127.0.0.1:2"), Targets.plain("http://127.0.0.1:3")
    };
    Set<Client> used =
        Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (EtcdConnections connections = new EtcdConnections()) {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        EtcdTarget t = targets[i % targets.length];
        fs.add(
            pool.submit(
                () -> {
                  try (EtcdConnections.Handle h = connections.acquire(t)) {
                    assertThat(h.target()).isEqualTo(t);
                    used.add(h.client());
                    if (t == reachable) {
                      // the client stays usable while this handle holds it, whatever the other
                      // threads release
                      assertThat(count(h.client(), "absent")).isZero();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      awaitConnections(0);
      for (EtcdTarget t : targets) {
        try (EtcdConnections.Handle h = connections.acquire(t)) {
          assertThat(used).as("no client of %s is left in use", t).doesNotContain(h.client());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closeClosesEverythingAndRefusesNewHandles() throws Exception {
    EtcdConnections connections = new EtcdConnections();
    EtcdConnections.Handle h = connections.acquire(Targets.plain(etcd.clientUrl()));
    assertThat(count(h.client(), "absent")).isZero();
    awaitConnections(1);

    connections.close();

    awaitConnections(0); // although h was not released
    h.close(); // after close(): harmless
    assertThatThrownBy(() -> connections.acquire(Targets.plain(etcd.clientUrl())))
        .isInstanceOf(IllegalStateException.class);
  }
}
