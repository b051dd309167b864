package io.disagg.operator.status;

import io.disagg.operator.core.Pool;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The part of the {@code KVTransferHealthy} condition that poisoned transfer buffers decide
 * (docs/self-healing.md); the bandwidth check ({@code controller/KvTransferStep}) decides the rest.
 * A pure function, applied after the bandwidth check: while a worker that logged a poisoned
 * transfer buffer is present, the condition is False with reason {@link
 * Reason#TRANSFER_BUFFER_POISONED}, listing pool, pod and log line, whatever the bandwidth says.
 * When none is left and the condition still carries that reason (the bandwidth check kept the
 * previous condition, or is off), it is set True ({@link Reason#AS_EXPECTED}) when the bandwidth
 * check is on, which judges again at its next read, and removed when it is off.
 */
public final class TransferPoisoning {
  private TransferPoisoning() {}

  /** A worker found with a poisoned transfer buffer: its pod and the line it logged. */
  public record Poisoned(String pod, String evidence) {}

  /**
   * {@code conditions} with {@code KVTransferHealthy} adjusted for {@code poisoned} (per pool, the
   * workers found and not restarted yet).
   *
   * @param bandwidthChecked whether {@code spec.fabric.kvTransferCheck} is on
   */
  public static List<Condition> apply(
      List<Condition> conditions,
      Map<Pool, List<Poisoned>> poisoned,
      boolean bandwidthChecked,
      Long generation,
      Instant now) {
    List<String> found = new ArrayList<>();
    for (Pool pool : Pool.values()) {
      for (Poisoned p : poisoned.getOrDefault(pool, List.of())) {
        found.add(pool.id() + " pod " + p.pod() + " (" + p.evidence() + ")");
      }
    }
    if (!found.isEmpty()) {
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
    boolean stale =
        Conditions.find(conditions, ConditionType.KV_TRANSFER_HEALTHY)
            .map(c -> Conditions.hasReason(c, Reason.TRANSFER_BUFFER_POISONED))
            .orElse(false);
    if (!stale) {
      return conditions;
    }
    return bandwidthChecked
        ? Conditions.set(
            conditions,
            ConditionType.KV_TRANSFER_HEALTHY,
            true,
            Reason.AS_EXPECTED,
            "no worker reports a poisoned KV-cache transfer buffer",
            generation,
            now)
        : Conditions.without(conditions, ConditionType.KV_TRANSFER_HEALTHY);
  }
}
