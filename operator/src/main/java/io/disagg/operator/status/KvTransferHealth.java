package io.disagg.operator.status;

import io.disagg.operator.core.Pool;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code KVTransferHealthy} condition: False with reason {@link
 * Reason#TRANSFER_BUFFER_POISONED} while a worker that logged a poisoned transfer buffer is present
 * (listing pool, pod and the log line), else True ({@link Reason#AS_EXPECTED}). A pure function.
 */
public final class KvTransferHealth {
  private KvTransferHealth() {}

  /** A worker found with a poisoned transfer buffer: its pod and the line it logged. */
  public record Poisoned(String pod, String evidence) {}

  /**
   * {@code conditions} with {@code KVTransferHealthy} set from {@code poisoned} (per pool, the
   * workers found and not restarted yet).
   */
  public static List<Condition> apply(
      List<Condition> conditions,
      Map<Pool, List<Poisoned>> poisoned,
      Long generation,
      Instant now) {
    List<String> found = new ArrayList<>();
    for (Pool pool : Pool.values()) {
      for (Poisoned p : poisoned.getOrDefault(pool, List.of())) {
        found.add(pool.id() + " pod " + p.pod() + " (" + p.evidence() + ")");
      }
    }
    if (found.isEmpty()) {
      return Conditions.set(
          conditions,
          ConditionType.KV_TRANSFER_HEALTHY,
          true,
          Reason.AS_EXPECTED,
          "no worker reported a poisoned KV-cache transfer buffer",
          generation,
          now);
    }
    return Conditions.set(
        conditions,
        ConditionType.KV_TRANSFER_HEALTHY,
        false,
        Reason.TRANSFER_BUFFER_POISONED,
        "KV-cache transfer buffer poisoned, the worker is deregistered and restarted: "
            + String.join("; ", found),
        generation,
        now);
  }
}
