package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RegistrationWatch} across etcd outages and restarts (own etcd per test: it is stopped).
 */
class RegistrationWatchRestartTest {

  EtcdServer etcd;
  Client client;
  ScheduledExecutorService scheduler;
  RegistrationWatch watch;
  final List<DiscoverySnapshot> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    etcd = EtcdServer.start();
    client = etcd.newClient();
    scheduler = RegistrationWatch.newScheduler("restart-test");
  }

  @AfterEach
  void stop() {
    if (watch != null) {
      watch.close();
    }
    scheduler.shutdownNow();
    client.close();
    etcd.close();
  }

  @Test
  void outageKeepsLastRegistrationsFlaggedUnreachableAndRestartResumes() throws Exception {
    String cluster = "ns.restart";
    try (TrtllmStyleWorker first =
        new TrtllmStyleWorker(client, cluster, Pool.CONTEXT, "10.1.0.1", 8000, 30, 5).start()) {
      // The operator's client settings (EtcdConnections.newClient), seen through ObservedClient to
      // count lists.
      try (Client operatorClient = EtcdConnections.newClient(Targets.plain(etcd.clientUrl()))) {
        ObservedClient observed = new ObservedClient(operatorClient);
        watch =
            new RegistrationWatch(
                observed.client(),
                cluster,
                () -> seen.add(watch.snapshot()),
                scheduler,
                RegistrationWatchTest.FAST);
        watch.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().reachable());
        assertThat(watch.snapshot().registrations())
            .extracting(Registration::key)
            .containsExactly(first.key());

        etcd.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> !watch.snapshot().reachable());
        DiscoverySnapshot down = watch.snapshot();
        assertThat(down.registrations()).extracting(Registration::key).containsExactly(first.key());
        assertThat(down.lastError()).isNotBlank();
        int listsWhileDown = observed.lists();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> observed.lists() > listsWhileDown + 1); // keeps retrying
        assertThat(seen).anySatisfy(s -> assertThat(s.reachable()).isFalse());

        etcd.restart();
        await().atMost(Duration.ofSeconds(20)).until(() -> watch.snapshot().reachable());
        try (TrtllmStyleWorker second =
            registered(
                new TrtllmStyleWorker(client, cluster, Pool.GENERATION, "10.1.0.2", 8000, 30, 5))) {
          await()
              .atMost(Duration.ofSeconds(10))
              .until(
                  () ->
                      watch.snapshot().registrations().stream()
                          .map(Registration::key)
                          .toList()
                          .equals(List.of(first.key(), second.key()).stream().sorted().toList()));
          assertThat(watch.snapshot().reachable()).isTrue();
          assertThat(watch.snapshot().lastError()).isNull();
        }
      }
    }
  }

  /**
   * After an outage long enough for gRPC's own reconnect back-off to exceed the watch's (15 s: gRPC
   * then waits ~4-10 s between attempts, growing to 120 s), the watch is back within 5 s of etcd
   * answering: the watch's back-off (at most 2.4 s) plus one connection, list and watch creation.
   * With the operator's client settings and {@link RegistrationWatch.Options#DEFAULT}.
   */
  @Test
  void afterALongOutageTheWatchIsBackWithinFiveSecondsOfEtcd() throws Exception {
    String cluster = "ns.long-outage";
    try (Client operatorClient = EtcdConnections.newClient(Targets.plain(etcd.clientUrl()))) {
      watch =
          new RegistrationWatch(
              operatorClient,
              cluster,
              () -> seen.add(watch.snapshot()),
              scheduler,
              RegistrationWatch.Options.DEFAULT);
      watch.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().reachable());

      etcd.stop();
      await().atMost(Duration.ofSeconds(20)).until(() -> !watch.snapshot().reachable());
      // An outage of 15 s (a duration, not a state to wait for): long enough for gRPC's reconnect
      // back-off (1 s, x1.6 per attempt) to pass 5 s.
      Thread.sleep(15_000);
      assertThat(watch.snapshot().reachable()).isFalse();

      etcd.restart(); // returns once etcd accepts connections
      long back = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> watch.snapshot().reachable());
      System.out.printf(
          "watch back %d ms after etcd%n", Duration.ofNanos(System.nanoTime() - back).toMillis());
      try (TrtllmStyleWorker w =
          registered(
              new TrtllmStyleWorker(client, cluster, Pool.CONTEXT, "10.1.2.1", 8000, 30, 5))) {
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () ->
                    watch.snapshot().registrations().stream()
                        .anyMatch(r -> r.key().equals(w.key())));
      }
    }
  }

  @Test
  void restartWithoutObservedOutageStillDeliversLaterRegistrations() throws Exception {
    String cluster = "ns.quick-restart";
    watch =
        new RegistrationWatch(
            client,
            cluster,
            () -> seen.add(watch.snapshot()),
            scheduler,
            RegistrationWatch.Options.DEFAULT);
    watch.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().reachable());

    etcd.restart();
    try (TrtllmStyleWorker w =
        new TrtllmStyleWorker(client, cluster, Pool.CONTEXT, "10.1.1.1", 8000, 30, 5)) {
      registered(w);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  watch.snapshot().reachable()
                      && watch.snapshot().registrations().stream()
                          .anyMatch(r -> r.key().equals(w.key())));
    }
  }

  /**
   * Registers {@code w} as {@code register_worker} does after a failure: retried until it succeeds.
   * The worker's own jetcd client (not the one under test) may still wait out gRPC's reconnect
   * back-off after etcd returns, so a first lease grant can time out. A put that committed although
   * its answer timed out leaves the key in place, which counts as registered.
   */
  private TrtllmStyleWorker registered(TrtllmStyleWorker w) {
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () ->
                w.registerOnce()
                    || client
                            .getKVClient()
                            .get(TrtllmStyleWorker.bytes(w.key()))
                            .get(5, TimeUnit.SECONDS)
                            .getCount()
                        > 0);
    w.startHeartbeat();
    return w;
  }
}
