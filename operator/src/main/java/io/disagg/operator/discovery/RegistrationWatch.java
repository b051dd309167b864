package io.disagg.operator.discovery;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Follows the worker registrations of one TensorRT-LLM cluster in etcd and keeps an immutable
 * {@link DiscoverySnapshot} of them up to date.
 *
 * <p>Like the router's {@code DisaggClusterManager.watch_workers} ({@code
 * tensorrt_llm/serve/disagg_auto_scaling.py}) it lists the prefix {@code
 * /trtllm-disagg/<clusterName>/workers/} and then watches it; unlike the router it starts the watch
 * at the list's revision + 1, so nothing registered between the two is missed (the router accepts
 * that gap, see its comment there). Values are parsed with {@link Registrations#parse}.
 *
 * <p>The snapshot is reachable once a list has succeeded and the watch after it is established
 * (etcd confirmed its creation). Any failure (list failed or timed out, watch error, watch stream
 * closed, etcd restarted) marks the snapshot unreachable, keeping the last registrations, and
 * starts over with a new list after a back-off that doubles from {@link Options#minBackoff} to
 * {@link Options#maxBackoff}, each delay with +-{@value Options#JITTER_PERCENT} % random jitter (so
 * the watches of many DisaggClusters do not retry in step), reset once a watch is established
 * again. Each retry first cuts short the gRPC reconnect back-off of the client's channel ({@link
 * EtcdChannels#resetConnectBackoff}), which would otherwise grow to 120 s while etcd is down and
 * keep every request failing after etcd is back. With {@link Options#DEFAULT} (0.5 s doubling to 2
 * s) the watch is established again within about 2.4 s (the longest delay) plus one connection, one
 * list and one watch creation after etcd answers again; while etcd is down, each watch sends one
 * list every 1.6-2.4 s (which fails at once without reaching etcd unless the channel is
 * reconnecting) and asks the channel for one connection attempt. A watch cancelled because its
 * start revision was compacted away is re-listed at once without marking the snapshot unreachable.
 *
 * <p>The listener runs whenever the registrations or the reachability change, on the scheduler
 * thread (never on the etcd client's event loop); it should be quick (e.g. hand an event to the
 * operator), as it delays the other watches sharing the scheduler. Thread-safe.
 */
public final class RegistrationWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RegistrationWatch.class);

  /**
   * Timing of a watch.
   *
   * @param requestTimeout how long a list request may take before it counts as failed
   * @param minBackoff the first delay before retrying after a failure, before jitter
   * @param maxBackoff the longest delay between retries, before jitter (the cap: after etcd is
   *     back, the watch retries within {@code maxBackoff} x 1.2)
   * @throws IllegalArgumentException when {@code minBackoff} is negative or above {@code
   *     maxBackoff}
   */
  public record Options(Duration requestTimeout, Duration minBackoff, Duration maxBackoff) {
    /**
     * 5 s request timeout; back-off 0.5 s, 1 s, then 2 s between retries, each +-20 %: a watch is
     * back within about 2.4 s plus one connection and one list after etcd answers again (measured
     * 1.7-2.1 s after a 15 s outage; with the former 10 s cap and gRPC's own reconnect back-off, 19
     * s after a 25 s outage).
     */
    public static final Options DEFAULT =
        new Options(Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofSeconds(2));

    /** Random jitter of every back-off delay, in percent of the delay (either way). */
    public static final int JITTER_PERCENT = 20;

    public Options {
      Objects.requireNonNull(requestTimeout);
      Objects.requireNonNull(minBackoff);
      Objects.requireNonNull(maxBackoff);
      if (minBackoff.isNegative() || maxBackoff.compareTo(minBackoff) < 0) {
        throw new IllegalArgumentException("need 0 <= minBackoff <= maxBackoff");
      }
    }

    /**
     * Back-off before retry number {@code attempt} (0-based), in milliseconds: {@code minBackoff x
     * 2^attempt} capped at {@code maxBackoff}, times {@code 1 + (2 x random - 1) x 20 %}.
     *
     * @param random uniform in [0, 1): 0 gives the shortest delay (-20 %), towards 1 the longest
     */
    long backoffMillis(int attempt, double random) {
      double d =
          Math.min(
              minBackoff.toMillis() * Math.pow(2, Math.min(attempt, 62)), maxBackoff.toMillis());
      return Math.round(d * (1 + (2 * random - 1) * JITTER_PERCENT / 100.0));
    }
  }

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Client client;
  private final String clusterName;
  private final ByteSequence prefix;
  private final Runnable listener;
  private final ScheduledExecutorService scheduler;
  private final Options options;

  // ---- guarded by this ----
  private boolean started;
  private boolean closed;

  /** Incremented by every new list; callbacks of an older list or watch are ignored. */
  private long epoch;

  private Watch.Watcher watcher;
  private final Map<String, Registration> current = new HashMap<>();
  private long revision;
  private int failures;
  private volatile DiscoverySnapshot snapshot;

  /**
   * A watch of {@code clusterName}'s registrations through {@code client} (not closed by this
   * watch); retries scheduled on {@code scheduler} (not shut down by this watch). Call {@link
   * #start()}.
   */
  public RegistrationWatch(
      Client client,
      String clusterName,
      Runnable listener,
      ScheduledExecutorService scheduler,
      Options options) {
    this.client = Objects.requireNonNull(client);
    this.clusterName = Objects.requireNonNull(clusterName);
    this.prefix =
        ByteSequence.from(Registrations.workersPrefix(clusterName), StandardCharsets.UTF_8);
    this.listener = listener == null ? () -> {} : listener;
    this.scheduler = Objects.requireNonNull(scheduler);
    this.options = Objects.requireNonNull(options);
    this.snapshot = DiscoverySnapshot.initial(Instant.now());
  }

  /** A single daemon thread for scheduling retries. */
  public static ScheduledExecutorService newScheduler(String name) {
    ThreadFactory tf =
        r -> {
          Thread t = new Thread(r, name + "-" + THREADS.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    return Executors.newSingleThreadScheduledExecutor(tf);
  }

  /** Starts listing and watching in the background; idempotent. */
  public void start() {
    synchronized (this) {
      if (started || closed) {
        return;
      }
      started = true;
    }
    scheduler.execute(this::relist);
  }

  /** The current snapshot; never null. */
  public DiscoverySnapshot snapshot() {
    return snapshot;
  }

  /**
   * Stops watching; the listener is not called afterwards. Idempotent. Neither closes the client
   * nor shuts down the scheduler.
   */
  @Override
  public void close() {
    Watch.Watcher w;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      epoch++;
      w = watcher;
      watcher = null;
    }
    closeQuietly(w);
  }

  // ---------------------------------------------------------------------------------------

  private void relist() {
    long myEpoch;
    Watch.Watcher old;
    boolean retry;
    synchronized (this) {
      if (closed) {
        return;
      }
      myEpoch = ++epoch;
      old = watcher;
      watcher = null;
      retry = failures > 0;
    }
    closeQuietly(old);
    if (retry) {
      // After a failure the channel may be waiting out gRPC's reconnect back-off (up to 120 s)
      // and fail this list at once even though etcd is back: connect now instead.
      EtcdChannels.resetConnectBackoff(client);
    }
    CompletableFuture<GetResponse> f;
    try {
      f = client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build());
    } catch (RuntimeException e) {
      failed(myEpoch, e);
      return;
    }
    f.orTimeout(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenCompleteAsync(
            (resp, err) -> {
              if (err != null) {
                failed(myEpoch, err);
              } else {
                listed(myEpoch, resp);
              }
            },
            scheduler);
  }

  private void listed(long myEpoch, GetResponse resp) {
    Map<String, Registration> fresh = new HashMap<>();
    for (KeyValue kv : resp.getKvs()) {
      Registration r = toRegistration(kv);
      fresh.put(r.key(), r);
    }
    long rev = resp.getHeader().getRevision();
    boolean changed;
    synchronized (this) {
      if (closed || myEpoch != epoch) {
        return;
      }
      current.clear();
      current.putAll(fresh);
      revision = rev;
      // reachable again only once the watch is established (see events)
      changed = publish(snapshot.reachable(), snapshot.lastError());
    }
    notifyIf(changed);
    startWatch(myEpoch, rev + 1);
  }

  private void startWatch(long myEpoch, long fromRevision) {
    Watch.Listener l =
        new Watch.Listener() {
          @Override
          public void onNext(WatchResponse response) {
            events(myEpoch, response);
          }

          @Override
          public void onError(Throwable t) {
            failed(myEpoch, t);
          }

          @Override
          public void onCompleted() {
            failed(myEpoch, new IllegalStateException("etcd closed the watch stream"));
          }
        };
    Watch.Watcher w;
    try {
      w =
          client
              .getWatchClient()
              .watch(
                  prefix,
                  WatchOption.builder()
                      .isPrefix(true)
                      .withRevision(fromRevision)
                      .withCreateNotify(true)
                      .build(),
                  l);
    } catch (RuntimeException e) {
      failed(myEpoch, e);
      return;
    }
    boolean stale;
    synchronized (this) {
      stale = closed || myEpoch != epoch;
      if (!stale) {
        watcher = w;
      }
    }
    if (stale) {
      closeQuietly(w);
    }
  }

  private void events(long myEpoch, WatchResponse response) {
    boolean changed = false;
    synchronized (this) {
      if (closed || myEpoch != epoch) {
        return;
      }
      if (response.isCreatedNotify()) {
        failures = 0; // list and watch both work: the next failure starts the back-off over
        changed = !snapshot.reachable();
      }
      for (WatchEvent ev : response.getEvents()) {
        KeyValue kv = ev.getKeyValue();
        String key = kv.getKey().toString(StandardCharsets.UTF_8);
        switch (ev.getEventType()) {
          case PUT -> {
            Registration r = toRegistration(kv);
            changed |= !r.equals(current.put(key, r));
          }
          case DELETE -> changed |= current.remove(key) != null;
          default -> {}
        }
        revision = Math.max(revision, kv.getModRevision());
      }
      if (response.getHeader() != null) {
        revision = Math.max(revision, response.getHeader().getRevision());
      }
      if (changed) {
        publish(true, null);
      }
    }
    notifyIf(changed);
  }

  private void failed(long myEpoch, Throwable error) {
    Throwable t = unwrap(error);
    boolean compacted = t instanceof CompactedException;
    Watch.Watcher old;
    boolean changed = false;
    long delay;
    synchronized (this) {
      if (closed || myEpoch != epoch) {
        return;
      }
      epoch++; // ignore whatever else this list or watch reports
      old = watcher;
      watcher = null;
      if (compacted) {
        delay = 0;
      } else {
        delay = options.backoffMillis(failures++, ThreadLocalRandom.current().nextDouble());
        changed = publish(false, describe(t));
      }
    }
    if (compacted) {
      LOG.infof(
          "etcd compacted past the watch of %s (revision %d); listing again",
          prefixText(), ((CompactedException) t).getCompactedRevision());
    } else {
      LOG.debugf(
          "etcd watch of %s failed (%s); listing again in %d ms", prefixText(), describe(t), delay);
    }
    closeQuietly(old);
    notifyIf(changed);
    try {
      scheduler.schedule(this::relist, delay, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      LOG.debugf("not rescheduling the watch of %s: %s", prefixText(), e);
    }
  }

  /**
   * Replaces the snapshot from {@link #current}; true when registrations or reachability changed.
   * Holds this.
   */
  private boolean publish(boolean reachable, String error) {
    List<Registration> regs = new ArrayList<>(current.values());
    regs.sort((a, b) -> a.key().compareTo(b.key()));
    DiscoverySnapshot old = snapshot;
    boolean changed = old.reachable() != reachable || !old.registrations().equals(regs);
    snapshot =
        new DiscoverySnapshot(
            regs,
            reachable,
            reachable ? null : error,
            revision,
            changed ? Instant.now() : old.observedAt());
    return changed;
  }

  /** Runs the listener on the scheduler, never on the etcd client's event loop. */
  private void notifyIf(boolean changed) {
    if (!changed) {
      return;
    }
    try {
      scheduler.execute(
          () -> {
            if (closed()) {
              return;
            }
            try {
              listener.run();
            } catch (RuntimeException e) {
              LOG.warnf(e, "discovery listener of %s failed", prefixText());
            }
          });
    } catch (RuntimeException e) {
      LOG.debugf("not notifying the listener of %s: %s", prefixText(), e);
    }
  }

  private synchronized boolean closed() {
    return closed;
  }

  private static Registration toRegistration(KeyValue kv) {
    return Registrations.parse(
        kv.getKey().toString(StandardCharsets.UTF_8),
        kv.getValue().getBytes(),
        kv.getLease(),
        kv.getModRevision());
  }

  private String prefixText() {
    return Registrations.workersPrefix(clusterName);
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private String describe(Throwable t) {
    if (t instanceof TimeoutException) {
      return "no answer from etcd within " + options.requestTimeout().toMillis() + " ms";
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }

  private static void closeQuietly(Watch.Watcher w) {
    if (w == null) {
      return;
    }
    try {
      w.close();
    } catch (RuntimeException e) {
      LOG.debugf(e, "closing an etcd watcher");
    }
  }

  @Override
  public String toString() {
    return "RegistrationWatch[" + prefixText() + "]";
  }
}
