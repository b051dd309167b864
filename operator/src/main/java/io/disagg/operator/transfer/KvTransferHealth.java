package io.disagg.operator.transfer;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Judges a pool's observed KV-cache transfer bandwidth against its floor (pure). The bandwidth is a
 * lower bound of the wire speed: TensorRT-LLM's generation worker starts the transfer's clock
 * before it waits for a receive buffer and for the context worker ({@code
 * CacheTransceiver::requestAndReceiveAsync}, {@code cpp/tensorrt_llm/batch_manager/
 * cacheTransceiver.cpp}), so queueing under load counts as transfer time; and with tensor or
 * pipeline parallelism the numbers are rank 0's share ({@code kv_cache_size} of rank 0 only unless
 * {@code TRTLLM_KVCACHE_TIME_OUTPUT_PATH} is set).
 */
public final class KvTransferHealth {
  private KvTransferHealth() {}

  /** The judgement. */
  public enum State {
    /**
     * At least {@code minSamples} transfers in the window and their bandwidth at the floor or
     * above.
     */
    HEALTHY,
    /** At least {@code minSamples} transfers in the window and their bandwidth below the floor. */
    SLOW,
    /** Fewer than {@code minSamples} transfers in a window the operator watched in full. */
    NO_SAMPLES,
    /**
     * Fewer than {@code minSamples} transfers, and the operator has not watched a full window yet
     * (it started or restarted): the previous judgement stands.
     */
    KEEP
  }

  /**
   * What is judged.
   *
   * @param pool the pool's name in messages, e.g. {@code generation}
   * @param window what the window holds
   * @param windowLength the window's length
   * @param watchedFor how long the operator has been reading this pool's workers without a break
   * @param minBytesPerSecond the floor, positive
   * @param minSamples transfers needed before judging, positive
   */
  public record Input(
      String pool,
      BandwidthWindow.Summary window,
      Duration windowLength,
      Duration watchedFor,
      long minBytesPerSecond,
      int minSamples) {
    public Input {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(window, "window");
      if (minBytesPerSecond <= 0 || minSamples <= 0) {
        throw new IllegalArgumentException("floor and minSamples must be positive");
      }
    }
  }

  /**
   * The judgement with the numbers as written.
   *
   * @param state the judgement
   * @param bytesPerSecond observed bandwidth rounded to two significant digits, null without
   *     transfers
   * @param message what a person reads in the condition, with the numbers
   */
  public record Verdict(State state, Long bytesPerSecond, String message) {}

  /** Judges {@code in}. */
  public static Verdict judge(Input in) {
    BandwidthWindow.Summary w = in.window();
    Double raw = w.bytesPerSecond();
    Long bw = raw == null ? null : round2(raw);
    long window = in.windowLength().toSeconds();
    if (w.transfers() < in.minSamples()) {
      boolean fullWindow = in.watchedFor().compareTo(in.windowLength()) >= 0;
      return new Verdict(
          fullWindow ? State.NO_SAMPLES : State.KEEP,
          bw,
          in.pool()
              + ": "
              + w.transfers()
              + " KV-cache transfers in the last "
              + window
              + " s, fewer than the "
              + in.minSamples()
              + " needed to judge the bandwidth (spec.fabric.kvTransferCheck.minSamples)");
    }
    String observed =
        in.pool()
            + ": "
            + rate(bw)
            + " observed over "
            + w.transfers()
            + " KV-cache transfers in the last "
            + window
            + " s";
    if (bw < in.minBytesPerSecond()) {
      return new Verdict(
          State.SLOW,
          bw,
          observed
              + ", below the floor of "
              + rate(in.minBytesPerSecond())
              + " (spec.fabric.kvTransferCheck.minBandwidth): the transfer may have fallen back"
              + " to TCP; check the EFA devices, FI_PROVIDER and NIXL's LIBFABRIC plugin");
    }
    return new Verdict(State.HEALTHY, bw, observed + ", floor " + rate(in.minBytesPerSecond()));
  }

  /**
   * {@code v} rounded half-up to two significant digits (e.g. 1234567 to 1200000), so that a steady
   * bandwidth reads the same from one window to the next.
   */
  public static long round2(double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      return 0;
    }
    return new BigDecimal(v).round(new MathContext(2, RoundingMode.HALF_UP)).longValue();
  }

  /**
   * Bytes per second for people, binary units and two significant digits: {@code 120 MiB/s}, {@code
   * 1.5 GiB/s}, {@code 800 B/s}.
   */
  public static String rate(long bytesPerSecond) {
    String[] units = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
    double v = bytesPerSecond;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    BigDecimal d = new BigDecimal(v).round(new MathContext(2, RoundingMode.HALF_UP));
    return d.stripTrailingZeros().toPlainString().toLowerCase(Locale.ROOT) + " " + units[u];
  }
}
