package io.disagg.e2e.trtllm;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Loopback addresses for tests that run simulated workers without a cluster: random ones in
 * 127.1.200.0 - 127.1.249.255, away from the start of the kwok pod IP pool (127.1.0.1 upwards), so
 * tests running at the same time on this machine rarely meet.
 */
final class SimAddresses {
  private SimAddresses() {}

  static String randomHost() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "127.1." + (200 + r.nextInt(50)) + "." + (1 + r.nextInt(254));
  }

  /** Starts a worker on a random host (another one if the address is taken, at most 5 tries). */
  static SimulatedWorker start(Function<String, SimulatedWorker.Builder> builderForHost) {
    IllegalStateException last = null;
    for (int i = 0; i < 5; i++) {
      try {
        return builderForHost.apply(randomHost()).start();
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  static String uniqueClusterName(String base) {
    return base + "-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }
}
