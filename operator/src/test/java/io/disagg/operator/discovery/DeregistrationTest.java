package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DeregistrationTest {

  static EtcdServer etcd;
  static Client client;
  static ScheduledExecutorService scheduler;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    client = etcd.newClient();
    scheduler = RegistrationWatch.newScheduler("deregistration-test");
  }

  @AfterAll
  static void stopEtcd() {
    scheduler.shutdownNow();
    client.close();
    etcd.close();
  }

  @Test
  void deletesTheKeyOnlyAndTheWorkerStaysDeregisteredWhileItsHeartbeatSucceeds() throws Exception {
    int ttl = 3;
    String cluster = "ns.dereg";
    try (TrtllmStyleWorker gone =
            new TrtllmStyleWorker(client, cluster, Pool.GENERATION, "10.2.0.1", 8000, ttl, 1)
                .start();
        TrtllmStyleWorker stays =
            new TrtllmStyleWorker(client, cluster, Pool.GENERATION, "10.2.0.2", 8000, ttl, 1)
                .start();
        RegistrationWatch watch =
            new RegistrationWatch(
                client, cluster, null, scheduler, RegistrationWatch.Options.DEFAULT)) {
      watch.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> watch.snapshot().registrations().size() == 2);

      assertThat(Deregistration.deregister(client, List.of(gone.key()))).isEqualTo(1);

      assertThat(gone.keyExists()).isFalse();
      assertThat(stays.keyExists()).isTrue();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  watch.snapshot().registrations().stream()
                      .map(Registration::key)
                      .toList()
                      .equals(List.of(stays.key())));
      int refreshesBefore = gone.refreshes();
      // Longer than the TTL: the lease lives on because the worker keeps refreshing it, and the
      // successful refreshes never make the worker register again.
      await()
          .during(Duration.ofSeconds(ttl + 1))
          .atMost(Duration.ofSeconds(ttl + 3))
          .until(() -> !gone.keyExists() && watch.snapshot().registrations().size() == 1);
      assertThat(gone.refreshes()).isGreaterThan(refreshesBefore + ttl - 1);
      assertThat(gone.leaseTtl()).isPositive();
      assertThat(gone.registrations()).isEqualTo(1);

      assertThat(Deregistration.deregister(client, List.of(gone.key()))).as("idempotent").isZero();
      assertThat(Deregistration.deregister(client, List.of())).isZero();
    }
  }

  /**
   * Each registration is written again as it is, so a watch sees it as new; one deleted (a drain)
   * or changed since it was observed is left alone.
   */
  @Test
  void reannouncesOnlyWhatIsStillAsObservedWithTheSameValueAndLease() throws Exception {
    String cluster = "ns.reannounce";
    try (TrtllmStyleWorker a =
            new TrtllmStyleWorker(client, cluster, Pool.CONTEXT, "10.2.2.1", 8000, 30, 5).start();
        TrtllmStyleWorker b =
            new TrtllmStyleWorker(client, cluster, Pool.GENERATION, "10.2.2.2", 8000, 30, 5)
                .start();
        RegistrationWatch watch =
            new RegistrationWatch(
                client, cluster, null, scheduler, RegistrationWatch.Options.DEFAULT)) {
      watch.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> watch.snapshot().registrations().size() == 2);
      List<Registration> seen = watch.snapshot().registrations();
      Registration ra =
          seen.stream().filter(r -> r.key().equals(a.key())).findFirst().orElseThrow();
      Deregistration.deregister(client, List.of(b.key())); // drained after it was observed

      assertThat(Deregistration.reannounce(client, seen, Duration.ofSeconds(5))).isEqualTo(1);

      assertThat(b.keyExists()).as("a drained worker is not put back").isFalse();
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(watch.snapshot().registrations())
                      .singleElement()
                      .satisfies(
                          r -> {
                            assertThat(r.key()).isEqualTo(a.key());
                            assertThat(r.modRevision())
                                .as("written again: an event")
                                .isGreaterThan(ra.modRevision());
                            assertThat(r.raw()).isEqualTo(ra.raw());
                            assertThat(r.lease()).isEqualTo(ra.lease());
                          }));
      assertThat(Deregistration.reannounce(client, seen, Duration.ofSeconds(5)))
          .as("changed since observed")
          .isZero();
    }
  }

  @Test
  void deletesForeignKeysOnlyWhenUnchangedSinceObservedAndNeverTheirLease() throws Exception {
    String cluster = "ns.foreign";
    try (TrtllmStyleWorker a =
            new TrtllmStyleWorker(client, cluster, Pool.CONTEXT, "10.3.3.1", 8000, 30, 5).start();
        TrtllmStyleWorker b =
            new TrtllmStyleWorker(client, cluster, Pool.GENERATION, "10.3.3.2", 8000, 30, 5)
                .start();
        RegistrationWatch watch =
            new RegistrationWatch(
                client, cluster, null, scheduler, RegistrationWatch.Options.DEFAULT)) {
      watch.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> watch.snapshot().registrations().size() == 2);
      List<Registration> seen = watch.snapshot().registrations();
      Registration rb =
          seen.stream().filter(r -> r.key().equals(b.key())).findFirst().orElseThrow();
      // b's registrant writes its key again after it was observed: a new modRevision
      client
          .getKVClient()
          .put(
              io.etcd.jetcd.ByteSequence.from(b.key(), java.nio.charset.StandardCharsets.UTF_8),
              io.etcd.jetcd.ByteSequence.from(rb.raw(), java.nio.charset.StandardCharsets.UTF_8),
              io.etcd.jetcd.options.PutOption.builder().withLeaseId(rb.lease()).build())
          .get(5, java.util.concurrent.TimeUnit.SECONDS);

      List<Registration> deleted =
          Deregistration.deleteIfUnchanged(client, seen, Duration.ofSeconds(5));

      assertThat(deleted).extracting(Registration::key).containsExactly(a.key());
      assertThat(a.keyExists()).isFalse();
      assertThat(b.keyExists()).as("changed since observed: kept").isTrue();
      assertThat(a.leaseTtl()).as("the lease is not revoked").isPositive();
      assertThat(Deregistration.deleteIfUnchanged(client, seen, Duration.ofSeconds(5)))
          .as("already gone or changed")
          .isEmpty();
    }
  }

  @Test
  void refusesKeysThatAreNotWorkerRegistrations() throws Exception {
    try (TrtllmStyleWorker w =
        new TrtllmStyleWorker(client, "ns.refuse", Pool.CONTEXT, "10.2.1.1", 8000, 30, 5).start()) {
      assertThatThrownBy(
              () ->
                  Deregistration.deregister(
                      client, List.of(w.key(), "/trtllm-disagg/ns.refuse/config")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("/trtllm-disagg/ns.refuse/config");
      assertThat(w.keyExists()).as("nothing deleted when one key is refused").isTrue();
    }
  }

  @Test
  void reportsAnUnreachableEtcd() {
    try (Client dead = EtcdConnections.newClient(Targets.plain("http://127.0.0.1:1"))) {
      assertThatThrownBy(
              () ->
                  Deregistration.deregister(
                      dead, List.of("/trtllm-disagg/x/workers/y"), Duration.ofSeconds(2)))
          .isInstanceOf(Deregistration.DeregistrationException.class)
          .hasMessageContaining("/trtllm-disagg/x/workers/y");
    }
  }
}
