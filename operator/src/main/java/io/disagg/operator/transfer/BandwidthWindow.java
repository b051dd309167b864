package io.disagg.operator.transfer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

/**
 * A sliding window of KV-cache transfers of one pool: one bucket per read of the workers (the
 * transfers' count, bytes and seconds summed), kept while younger than the window. Memory is
 * bounded by the number of reads in a window, not by the traffic. Not thread-safe.
 */
public final class BandwidthWindow {

  private record Bucket(Instant at, int transfers, long bytes, double seconds) {}

  /**
   * The transfers in the window.
   *
   * @param transfers how many
   * @param bytes their {@code kv_cache_size} summed, bytes
   * @param seconds their transfer times summed, seconds
   * @param lastSample when the newest bucket with transfers was added, null when none
   */
  public record Summary(int transfers, long bytes, double seconds, Instant lastSample) {

    /** The summary of an empty window. */
    public static final Summary EMPTY = new Summary(0, 0, 0, null);

    /**
     * Bytes per second over the window ({@code bytes / seconds}, a byte-weighted rate, not an
     * average of per-request rates); null without transfers.
     */
    public Double bytesPerSecond() {
      return transfers == 0 || seconds <= 0 ? null : bytes / seconds;
    }
  }

  private final Deque<Bucket> buckets = new ArrayDeque<>();

  /**
   * Adds what one read found.
   *
   * @param at when it was read
   * @param transfers transfers read, at least 0; 0 adds nothing
   * @param bytes their sizes summed, bytes
   * @param seconds their transfer times summed, seconds
   * @throws IllegalArgumentException for a negative count, bytes or seconds
   */
  public void add(Instant at, int transfers, long bytes, double seconds) {
    Objects.requireNonNull(at, "at");
    if (transfers < 0 || bytes < 0 || !(seconds >= 0)) {
      throw new IllegalArgumentException("negative transfers, bytes or seconds");
    }
    if (transfers > 0) {
      buckets.addLast(new Bucket(at, transfers, bytes, seconds));
    }
  }

  /**
   * Drops buckets older than {@code window} before {@code now}, then sums the rest.
   *
   * @param window positive length of the window
   */
  public Summary summary(Instant now, Duration window) {
    Instant from = now.minus(window);
    while (!buckets.isEmpty() && buckets.peekFirst().at().isBefore(from)) {
      buckets.removeFirst();
    }
    int n = 0;
    long bytes = 0;
    double seconds = 0;
    Instant last = null;
    for (Bucket b : buckets) {
      n += b.transfers();
      bytes += b.bytes();
      seconds += b.seconds();
      last = last == null || b.at().isAfter(last) ? b.at() : last;
    }
    return n == 0 ? Summary.EMPTY : new Summary(n, bytes, seconds, last);
  }
}
