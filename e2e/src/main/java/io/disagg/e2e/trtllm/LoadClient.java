package io.disagg.e2e.trtllm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A bounded load generator: {@link Builder#concurrency} client threads, each sending {@code POST
 * /v1/completions} to a router (or worker) on 127.0.0.1 one after the other (closed loop, optional
 * think time), until {@link Builder#maxRequests} have been sent in total or {@link
 * Builder#maxDuration} has passed, whichever comes first, or {@link #stop()} is called. Both bounds
 * are required. Records successes (HTTP 200), failures with their reason ({@code "HTTP <status>"}
 * or the exception class) and latencies in milliseconds.
 */
public final class LoadClient implements AutoCloseable {

  /** Hard caps: at most this many threads, requests and this long, whatever the builder says. */
  public static final int MAX_CONCURRENCY = 256;

  public static final long MAX_REQUESTS = 1_000_000;
  public static final Duration MAX_DURATION = Duration.ofMinutes(30);
  private static final int MAX_SAMPLE_FAILURES = 20;

  private final Supplier<URI> targets;
  private final int concurrency;
  private final long maxRequests;
  private final Duration maxDuration;
  private final Duration requestTimeout;
  private final Duration thinkTime;
  private final byte[] body;
  private final ExecutorService clientExecutor;
  private final HttpClient http;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong tickets = new AtomicLong();
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Map<String, Long> failuresByReason = new TreeMap<>();
  private final Map<String, Long> byContextServer = new TreeMap<>();
  private final Map<String, Long> byGenerationServer = new TreeMap<>();
  private final List<String> sampleFailures = new ArrayList<>();
  private final List<Long> latenciesMicros = new ArrayList<>();
  private volatile boolean stopped;
  private long startNanos;
  private long deadlineNanos;
  private volatile long endNanos;

  private LoadClient(Builder b) {
    this.targets = b.targets;
    this.concurrency = b.concurrency;
    this.maxRequests = b.maxRequests;
    this.maxDuration = b.maxDuration;
    this.requestTimeout = b.requestTimeout;
    this.thinkTime = b.thinkTime;
    String json =
        "{\"model\": "
            + quote(b.model)
            + ", \"prompt\": "
            + quote(b.prompt)
            + ", \"max_tokens\": "
            + b.maxTokens
            + ", \"stream\": false}";
    this.body = json.getBytes(StandardCharsets.UTF_8);
    this.clientExecutor =
        Executors.newFixedThreadPool(
            Math.min(4, concurrency), SimHttp.daemonThreads("load-client-http"));
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .executor(clientExecutor)
            .build();
  }

  /**
   * A builder of load against {@code target}, the base URI of a router, e.g. {@link
   * SimulatedRouter#baseUri()}; its host must be a 127.x.y.z literal.
   */
  public static Builder builder(URI target) {
    URI checked = Loopback.requireLoopback(target.resolve("/v1/completions"));
    return new Builder(() -> checked);
  }

  /**
   * A builder of load against the router the supplier names for each request (base URIs, hosts
   * 127.x.y.z literals; checked per request): what a Service does, which picks one of its ready
   * endpoints per connection. A null from the supplier (no endpoint) fails that request as {@code
   * "no endpoint"}, as a Service without endpoints refuses the connection.
   */
  public static Builder builder(Supplier<URI> targets) {
    return new Builder(
        () -> {
          URI u = targets.get();
          return u == null ? null : Loopback.requireLoopback(u.resolve("/v1/completions"));
        });
  }

  /** Settings of a {@link LoadClient}. */
  public static final class Builder {
    private final Supplier<URI> targets;
    private int concurrency = 4;
    private long maxRequests = -1;
    private Duration maxDuration;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration thinkTime = Duration.ZERO;
    private String prompt = "The quick brown fox jumps over the lazy dog";
    private String model = "simulated-model";
    private int maxTokens = 16;

    private Builder(Supplier<URI> targets) {
      this.targets = targets;
    }

    /** Number of client threads, each with one request in flight at a time (1..256, default 4). */
    public Builder concurrency(int n) {
      this.concurrency = n;
      return this;
    }

    /** Total number of requests to send, over all threads (required, 1..1,000,000). */
    public Builder maxRequests(long n) {
      this.maxRequests = n;
      return this;
    }

    /** Time after which no new request is sent (required, up to 30 min). */
    public Builder maxDuration(Duration d) {
      this.maxDuration = d;
      return this;
    }

    /** Timeout of each request (default 30 s). */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = d;
      return this;
    }

    /** Pause of a thread between its requests (default none). */
    public Builder thinkTime(Duration d) {
      this.thinkTime = d;
      return this;
    }

    public Builder prompt(String prompt) {
      this.prompt = prompt;
      return this;
    }

    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /** {@code max_tokens} of each request (default 16). */
    public Builder maxTokens(int n) {
      this.maxTokens = n;
      return this;
    }

    /** Starts the client threads. */
    public LoadClient start() {
      if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
        throw new IllegalArgumentException("concurrency must be in 1.." + MAX_CONCURRENCY);
      }
      if (maxRequests < 1 || maxRequests > MAX_REQUESTS) {
        throw new IllegalArgumentException("maxRequests is required, 1.." + MAX_REQUESTS);
      }
      if (maxDuration == null
          || maxDuration.isNegative()
          || maxDuration.isZero()
          || maxDuration.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException("maxDuration is required, > 0 and <= " + MAX_DURATION);
      }
      LoadClient c = new LoadClient(this);
      c.begin();
      return c;
    }
  }

  private void begin() {
    startNanos = System.nanoTime();
    deadlineNanos = startNanos + maxDuration.toNanos();
    for (int i = 0; i < concurrency; i++) {
      Thread t = new Thread(this::run, "load-client-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  private void run() {
    try {
      while (!stopped
          && System.nanoTime() < deadlineNanos
          && tickets.incrementAndGet() <= maxRequests) {
        long t0 = System.nanoTime();
        URI target = targets.get();
        if (target == null) {
          failure("no endpoint", "no endpoint to send the request to");
          if (!stopped) {
            Thread.sleep(Math.max(10, thinkTime.toMillis()));
          }
          continue;
        }
        HttpRequest request =
            HttpRequest.newBuilder(target)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
          HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
          long micros = (System.nanoTime() - t0) / 1000;
          if (r.statusCode() == 200) {
            success(
                micros,
                r.headers().firstValue("x-disagg-ctx-server").orElse(null),
                r.headers().firstValue("x-disagg-gen-server").orElse(null));
          } else {
            failure(
                "HTTP " + r.statusCode(),
                "HTTP " + r.statusCode() + ": " + SimHttp.abbreviate(r.body(), 300));
          }
        } catch (IOException e) {
          failure(e.getClass().getSimpleName(), SimHttp.describe(e));
        }
        if (!thinkTime.isZero() && !stopped) {
          Thread.sleep(thinkTime.toMillis());
        }
      }
    } catch (InterruptedException e) {
      // stopped
    } finally {
      endNanos = System.nanoTime();
    }
  }

  private synchronized void success(long micros, String ctx, String gen) {
    succeeded.incrementAndGet();
    latenciesMicros.add(micros);
    if (ctx != null) {
      byContextServer.merge(ctx, 1L, Long::sum);
    }
    if (gen != null) {
      byGenerationServer.merge(gen, 1L, Long::sum);
    }
  }

  private synchronized void failure(String reason, String detail) {
    failed.incrementAndGet();
    failuresByReason.merge(reason, 1L, Long::sum);
    if (sampleFailures.size() < MAX_SAMPLE_FAILURES) {
      sampleFailures.add(detail);
    }
  }

  /** Whether every client thread has ended. */
  public boolean isDone() {
    return threads.stream().noneMatch(Thread::isAlive);
  }

  /**
   * Waits until all threads ended (bounds reached) or the timeout passed.
   *
   * @return whether all ended
   */
  public boolean awaitCompletion(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        break;
      }
      t.join(left);
    }
    return isDone();
  }

  /**
   * Stops sending, waits for the requests in flight (each bounded by its request timeout; the
   * threads are interrupted after that) and returns the summary.
   */
  public Summary stop() {
    stopped = true;
    long deadline = System.nanoTime() + requestTimeout.toNanos() + TimeUnit.SECONDS.toNanos(2);
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        t.interrupt();
      }
    }
    clientExecutor.shutdown();
    return summary();
  }

  @Override
  public void close() {
    stop();
  }

  /** A snapshot of the results so far. */
  public synchronized Summary summary() {
    long[] lat = latenciesMicros.stream().mapToLong(Long::longValue).sorted().toArray();
    long end = isDone() && endNanos != 0 ? endNanos : System.nanoTime();
    return new Summary(
        succeeded.get() + failed.get(),
        succeeded.get(),
        failed.get(),
        Collections.unmodifiableMap(new TreeMap<>(failuresByReason)),
        List.copyOf(sampleFailures),
        percentile(lat, 0),
        percentile(lat, 50),
        percentile(lat, 90),
        percentile(lat, 99),
        percentile(lat, 100),
        lat.length == 0 ? 0 : Arrays.stream(lat).average().orElse(0) / 1000.0,
        Duration.ofNanos(end - startNanos),
        Collections.unmodifiableMap(new TreeMap<>(byContextServer)),
        Collections.unmodifiableMap(new TreeMap<>(byGenerationServer)));
  }

  private static double percentile(long[] sortedMicros, int p) {
    if (sortedMicros.length == 0) {
      return 0;
    }
    int idx = (int) Math.ceil(p / 100.0 * sortedMicros.length) - 1;
    return sortedMicros[Math.max(0, Math.min(sortedMicros.length - 1, idx))] / 1000.0;
  }

  /**
   * Results of a load run. Latencies are of successful requests, in milliseconds.
   *
   * @param completed requests that got an answer or an error
   * @param succeeded requests answered HTTP 200
   * @param failed requests answered otherwise or failed with an exception
   * @param failuresByReason failure count per reason: {@code "HTTP 500"}, {@code
   *     "ConnectException"}, ...
   * @param sampleFailures the first failures in detail (at most 20)
   * @param minMillis fastest success
   * @param p50Millis median success latency
   * @param p90Millis 90th percentile
   * @param p99Millis 99th percentile
   * @param maxMillis slowest success
   * @param meanMillis mean success latency
   * @param elapsed time from start to the end of the last thread (or now)
   * @param byContextServer successes per context server, from the router's {@code
   *     x-disagg-ctx-server} header
   * @param byGenerationServer successes per generation server ({@code x-disagg-gen-server})
   */
  public record Summary(
      long completed,
      long succeeded,
      long failed,
      Map<String, Long> failuresByReason,
      List<String> sampleFailures,
      double minMillis,
      double p50Millis,
      double p90Millis,
      double p99Millis,
      double maxMillis,
      double meanMillis,
      Duration elapsed,
      Map<String, Long> byContextServer,
      Map<String, Long> byGenerationServer) {

    /** Successful requests per second over {@link #elapsed}. */
    public double throughputPerSecond() {
      double s = elapsed.toNanos() / 1e9;
      return s <= 0 ? 0 : succeeded / s;
    }

    @Override
    public String toString() {
      return String.format(
          "%d requests, %d ok, %d failed %s in %.1f s (%.1f/s); latency ms min %.1f p50 %.1f "
              + "p90 %.1f p99 %.1f max %.1f; ctx %s gen %s%s",
          completed,
          succeeded,
          failed,
          failuresByReason,
          elapsed.toMillis() / 1000.0,
          throughputPerSecond(),
          minMillis,
          p50Millis,
          p90Millis,
          p99Millis,
          maxMillis,
          byContextServer,
          byGenerationServer,
          sampleFailures.isEmpty() ? "" : "; first failures " + sampleFailures);
    }
  }

  private static String quote(String s) {
    try {
      return SimHttp.JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
