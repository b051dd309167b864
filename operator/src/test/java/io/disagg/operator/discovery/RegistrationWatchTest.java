package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * {@link RegistrationWatch} against a real etcd, with registrations written as TensorRT-LLM writes
 * them. The watch's client is the real one seen through {@link ObservedClient}, which counts its
 * lists and can act between a list and the watch after it.
 */
class RegistrationWatchTest {

  static final RegistrationWatch.Options FAST =
      new RegistrationWatch.Options(
          Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofSeconds(1));

  /** inactive_timeout_sec / heartbeat_interval_sec of the simulated workers. */
  static final int TTL = 3;

  static final int HEARTBEAT = 1;

  static EtcdServer etcd;
  static Client client;
  static ScheduledExecutorService scheduler;

  String cluster;
  ObservedClient observed;
  RegistrationWatch watch;
  final AtomicInteger notifications = new AtomicInteger();
  final List<TrtllmStyleWorker> workers = new java.util.ArrayList<>();

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    client = etcd.newClient();
    scheduler = RegistrationWatch.newScheduler("test-watch");
  }

  @AfterAll
  static void stopEtcd() {
    scheduler.shutdownNow();
    client.close();
    etcd.close();
  }

  void setUp(TestInfo info) {
    cluster =
        "ns-"
            + info.getTestMethod().orElseThrow().getName().toLowerCase()
            + "."
            + System.nanoTime();
    observed = new ObservedClient(client);
  }

  @AfterEach
  void tearDown() {
    if (watch != null) {
      watch.close();
    }
    workers.forEach(TrtllmStyleWorker::close);
  }

  TrtllmStyleWorker worker(Pool pool, String host, int port) {
    TrtllmStyleWorker w = new TrtllmStyleWorker(client, cluster, pool, host, port, TTL, HEARTBEAT);
    workers.add(w);
    return w;
  }

  RegistrationWatch newWatch() {
    watch =
        new RegistrationWatch(
            observed.client(), cluster, notifications::incrementAndGet, scheduler, FAST);
    return watch;
  }

  static List<String> keys(DiscoverySnapshot s) {
    return s.registrations().stream().map(Registration::key).toList();
  }

  @Test
  void listsExistingRegistrationsThenFollowsChanges(TestInfo info) throws Exception {
    setUp(info);
    TrtllmStyleWorker ctx = worker(Pool.CONTEXT, "10.0.0.1", 8000).start();
    TrtllmStyleWorker neighbour =
        new TrtllmStyleWorker(
            client, cluster + "x", Pool.CONTEXT, "10.0.0.9", 8000, TTL, HEARTBEAT);
    workers.add(neighbour.start());

    newWatch();
    assertThat(watch.snapshot().reachable()).isFalse();
    watch.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().reachable());
    DiscoverySnapshot s = watch.snapshot();
    assertThat(keys(s)).containsExactly(ctx.key());
    Registration r = s.registrations().get(0);
    assertThat(r.pool()).isEqualTo(Pool.CONTEXT);
    assertThat(r.endpoint()).isEqualTo("10.0.0.1:8000");
    assertThat(r.workerId()).isEqualTo(ctx.workerId());
    assertThat(r.lease()).isEqualTo(ctx.leaseId());
    assertThat(r.raw()).isEqualTo(ctx.value());
    assertThat(s.revision()).isPositive();
    assertThat(s.lastError()).isNull();
    assertThat(notifications.get()).isPositive();

    TrtllmStyleWorker gen = worker(Pool.GENERATION, "10.0.0.2", 8001).start();
    await().atMost(Duration.ofSeconds(10)).until(() -> keys(watch.snapshot()).contains(gen.key()));
    assertThat(watch.snapshot().of(Pool.GENERATION))
        .extracting(Registration::endpoint)
        .containsExactly("10.0.0.2:8001");
    assertThat(watch.snapshot().revision()).isGreaterThan(s.revision());

    ctx.deregister();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> keys(watch.snapshot()).equals(List.of(gen.key())));
    assertThat(observed.lists()).as("one list, then the watch alone").isEqualTo(1);
  }

  @Test
  void aRegistrationBetweenTheListAndTheWatchIsNotMissed(TestInfo info) throws Exception {
    setUp(info);
    TrtllmStyleWorker early = worker(Pool.CONTEXT, "10.0.3.1", 8000).start();
    TrtllmStyleWorker late = worker(Pool.GENERATION, "10.0.3.2", 8000);
    AtomicBoolean once = new AtomicBoolean();
    AtomicReference<Throwable> actionError = new AtomicReference<>();
    observed.onList(
        listed -> {
          if (once.compareAndSet(false, true)) {
            try {
              late.registerOnce(); // after the list's revision, before the watch exists
              late.startHeartbeat();
            } catch (Throwable t) {
              actionError.set(t);
            }
          }
        });
    newWatch().start();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                keys(watch.snapshot())
                    .equals(List.of(early.key(), late.key()).stream().sorted().toList()));
    assertThat(actionError.get()).isNull();
    assertThat(observed.lists())
        .as("seen by the watch from the list's revision, not by listing again")
        .isEqualTo(1);
  }

  @Test
  void heartbeatsKeepAWorkerAndItsLeaseExpiryRemovesIt(TestInfo info) throws Exception {
    setUp(info);
    TrtllmStyleWorker w = worker(Pool.GENERATION, "10.0.0.3", 8000).start();
    newWatch().start();
    await().atMost(Duration.ofSeconds(10)).until(() -> keys(watch.snapshot()).contains(w.key()));

    // longer than the TTL: only the heartbeats keep it
    await()
        .during(Duration.ofSeconds(TTL + 1))
        .atMost(Duration.ofSeconds(TTL + 3))
        .until(() -> keys(watch.snapshot()).contains(w.key()));
    assertThat(w.refreshes()).isGreaterThanOrEqualTo(TTL);

    w.stopHeartbeat();
    long stopped = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(TTL + 2))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> watch.snapshot().registrations().isEmpty());
    assertThat(Duration.ofNanos(System.nanoTime() - stopped))
        .isLessThan(Duration.ofSeconds(TTL + 2));
    assertThat(watch.snapshot().reachable()).isTrue();
  }

  @Test
  void malformedValuesAreKeptAndFlagged(TestInfo info) throws Exception {
    setUp(info);
    newWatch().start();
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().reachable());
    String prefix = Registrations.workersPrefix(cluster);
    client
        .getKVClient()
        .put(TrtllmStyleWorker.bytes(prefix + "junk"), TrtllmStyleWorker.bytes("{not json"))
        .get(5, TimeUnit.SECONDS);
    client
        .getKVClient()
        .put(
            TrtllmStyleWorker.bytes(prefix + "encoder"),
            TrtllmStyleWorker.bytes(
                "{\"worker_id\": \"encoder\", \"host\": \"10.0.0.5\", \"port\": 9000, \"role\": 2}"))
        .get(5, TimeUnit.SECONDS);
    TrtllmStyleWorker ok = worker(Pool.CONTEXT, "10.0.0.4", 8000).start();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> watch.snapshot().registrations().size() == 3);
    DiscoverySnapshot s = watch.snapshot();
    assertThat(s.malformed())
        .extracting(Registration::key)
        .containsExactly(prefix + "encoder", prefix + "junk");
    assertThat(s.malformed()).extracting(Registration::raw).contains("{not json");
    assertThat(s.malformed()).allSatisfy(r -> assertThat(r.pool()).isNull());
    assertThat(s.of(Pool.CONTEXT)).extracting(Registration::key).containsExactly(ok.key());
    assertThat(s.reachable()).isTrue();
  }

  @Test
  void compactionPastTheWatchStartIsRecoveredByListingAgain(TestInfo info) throws Exception {
    setUp(info);
    TrtllmStyleWorker before = worker(Pool.CONTEXT, "10.0.1.1", 8000).start();
    TrtllmStyleWorker after = worker(Pool.GENERATION, "10.0.1.2", 8000);
    AtomicBoolean once = new AtomicBoolean();
    AtomicReference<Throwable> actionError = new AtomicReference<>();
    AtomicReference<Long> compactedAt = new AtomicReference<>();
    List<DiscoverySnapshot> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    watch =
        new RegistrationWatch(
            observed.client(), cluster, () -> seen.add(watch.snapshot()), scheduler, FAST);
    observed.onList(
        listed -> {
          if (!once.compareAndSet(false, true)) {
            return;
          }
          long listRevision = listed.getHeader().getRevision();
          // The first list is done; its watch will start at listRevision + 1. Change the
          // registrations
          // and compact past that revision first, so the watch cannot replay the changes.
          try {
            after.registerOnce();
            before.deregister();
            long rev =
                client
                    .getKVClient()
                    .get(TrtllmStyleWorker.bytes("any"))
                    .get(5, TimeUnit.SECONDS)
                    .getHeader()
                    .getRevision();
            assertThat(rev).isGreaterThan(listRevision + 1);
            client.getKVClient().compact(rev).get(5, TimeUnit.SECONDS);
            compactedAt.set(rev);
          } catch (Throwable t) {
            actionError.set(t);
          }
        });
    watch.start();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> keys(watch.snapshot()).equals(List.of(after.key())));
    assertThat(actionError.get()).isNull();
    assertThat(compactedAt.get()).isNotNull();
    assertThat(observed.lists()).as("listed again after the compacted watch").isEqualTo(2);
    assertThat(watch.snapshot().revision()).isGreaterThanOrEqualTo(compactedAt.get());
    assertThat(watch.snapshot().reachable()).isTrue();
    // once reachable, the compaction never made it unreachable
    List<Boolean> reachability = seen.stream().map(DiscoverySnapshot::reachable).toList();
    assertThat(reachability.subList(reachability.indexOf(true), reachability.size()))
        .doesNotContain(false);

    // and the new watch follows changes again
    TrtllmStyleWorker third = worker(Pool.CONTEXT, "10.0.1.3", 8000).start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> keys(watch.snapshot()).contains(third.key()));
  }

  @Test
  void closeStopsNotifications(TestInfo info) throws Exception {
    setUp(info);
    newWatch().start();
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().reachable());
    watch.close();
    int seen = notifications.get();
    DiscoverySnapshot last = watch.snapshot();
    worker(Pool.CONTEXT, "10.0.2.1", 8000).start();
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(2))
        .until(() -> notifications.get() == seen);
    assertThat(watch.snapshot()).isSameAs(last);
  }
}
