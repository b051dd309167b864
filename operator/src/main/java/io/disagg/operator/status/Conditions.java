package io.disagg.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The status conditions of a DisaggCluster and how they change. {@code lastTransitionTime} moves
 * only when a condition's status changes, so an unchanged cluster yields an identical status and
 * the reconciler writes nothing.
 */
public final class Conditions {
  private Conditions() {}

  /**
   * Returns {@code existing} with the condition {@code type} set; other conditions are kept.
   *
   * @param generation the {@code metadata.generation} this condition was computed for
   * @param now time recorded as {@code lastTransitionTime} when the status changes
   */
  public static List<Condition> set(
      List<Condition> existing,
      ConditionType type,
      boolean status,
      Reason reason,
      String message,
      Long generation,
      Instant now) {
    return put(existing, type, status, reason.reason(), message, generation, now);
  }

  /** As {@link #set}, with status {@code Unknown}. */
  public static List<Condition> setUnknown(
      List<Condition> existing,
      ConditionType type,
      Reason reason,
      String message,
      Long generation,
      Instant now) {
    return put(existing, type, "Unknown", reason.reason(), message, generation, now);
  }

  /**
   * Returns {@code existing} with the condition {@code type}, if present, unchanged but for its
   * {@code observedGeneration}.
   */
  public static List<Condition> reobserved(
      List<Condition> existing, ConditionType type, Long generation) {
    List<Condition> out = new ArrayList<>();
    for (Condition c : existing == null ? List.<Condition>of() : existing) {
      out.add(
          type.type().equals(c.getType())
              ? new ConditionBuilder(c).withObservedGeneration(generation).build()
              : c);
    }
    return out;
  }

  /** Returns {@code existing} without the condition {@code type}. */
  public static List<Condition> without(List<Condition> existing, ConditionType type) {
    return existing == null
        ? List.of()
        : existing.stream().filter(c -> !type.type().equals(c.getType())).toList();
  }

  /** As {@link #set}, with a reason copied from another condition. */
  private static List<Condition> put(
      List<Condition> existing,
      ConditionType conditionType,
      boolean status,
      String reason,
      String message,
      Long generation,
      Instant now) {
    return put(
        existing, conditionType, status ? "True" : "False", reason, message, generation, now);
  }

  private static List<Condition> put(
      List<Condition> existing,
      ConditionType conditionType,
      String s,
      String reason,
      String message,
      Long generation,
      Instant now) {
    String type = conditionType.type();
    List<Condition> out = new ArrayList<>();
    Condition previous = null;
    for (Condition c : existing == null ? List.<Condition>of() : existing) {
      if (type.equals(c.getType())) {
        previous = c;
      } else {
        out.add(c);
      }
    }
    String transition =
        previous != null
                && s.equals(previous.getStatus())
                && previous.getLastTransitionTime() != null
            ? previous.getLastTransitionTime()
            : now.truncatedTo(ChronoUnit.SECONDS).toString();
    out.add(
        new ConditionBuilder()
            .withType(type)
            .withStatus(s)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(transition)
            .build());
    out.sort((a, b) -> Integer.compare(order(a.getType()), order(b.getType())));
    return out;
  }

  /**
   * Returns {@code conditions} with {@link ConditionType#RECONCILING} and {@link
   * ConditionType#STALLED} set from {@code Ready}, {@code Progressing} and {@code Degraded},
   * following the kstatus conventions of sigs.k8s.io/cli-utils (Flux's fork
   * github.com/fluxcd/cli-utils): "abnormal-true" conditions, so that a GitOps tool reads {@code
   * Stalled} True as failed, {@code Reconciling} True as in progress, and neither as current
   * (healthy) once {@code observedGeneration} matches. Each carries the reason and message of the
   * condition it was derived from.
   *
   * @param generation the {@code metadata.generation} these conditions describe
   * @param now time recorded as {@code lastTransitionTime} when a status changes
   */
  public static List<Condition> withGitOpsSummary(
      List<Condition> conditions, Long generation, Instant now) {
    Optional<Condition> ready = find(conditions, ConditionType.READY);
    Optional<Condition> progressing = find(conditions, ConditionType.PROGRESSING);
    Optional<Condition> degraded = find(conditions, ConditionType.DEGRADED);
    boolean isReady = isTrue(conditions, ConditionType.READY);
    boolean stalled =
        !isReady
            && isTrue(conditions, ConditionType.DEGRADED)
            && !degraded.map(c -> hasReason(c, Reason.RECONCILE_ERROR)).orElse(false);
    boolean isProgressing = isTrue(conditions, ConditionType.PROGRESSING);
    List<Condition> out = conditions;
    if (stalled) {
      out =
          put(
              out,
              ConditionType.STALLED,
              true,
              degraded.get().getReason(),
              degraded.get().getMessage(),
              generation,
              now);
    } else {
      out =
          set(
              out,
              ConditionType.STALLED,
              false,
              Reason.NOT_STALLED,
              "nothing needs a person to go on",
              generation,
              now);
    }
    if (!stalled && (isProgressing || !isReady)) {
      Condition from = isProgressing ? progressing.get() : ready.orElse(null);
      out =
          put(
              out,
              ConditionType.RECONCILING,
              true,
              from == null ? Reason.RECONCILING.reason() : from.getReason(),
              from == null ? "waiting for the first status" : from.getMessage(),
              generation,
              now);
    } else if (stalled) {
      out =
          set(
              out,
              ConditionType.RECONCILING,
              false,
              Reason.STALLED,
              "stalled: see the Stalled condition",
              generation,
              now);
    } else {
      out =
          set(
              out,
              ConditionType.RECONCILING,
              false,
              Reason.RECONCILED,
              "the cluster matches its spec and serves",
              generation,
              now);
    }
    return out;
  }

  /** The condition of that type, if present. */
  public static Optional<Condition> find(List<Condition> conditions, ConditionType type) {
    return conditions == null
        ? Optional.empty()
        : conditions.stream().filter(c -> type.type().equals(c.getType())).findFirst();
  }

  /** Whether the condition of that type is present and True. */
  public static boolean isTrue(List<Condition> conditions, ConditionType type) {
    return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** Whether the condition carries that reason. */
  public static boolean hasReason(Condition c, Reason reason) {
    return reason.reason().equals(c.getReason());
  }

  /** Whether status or reason of the condition differ between two lists (what an Event reports). */
  public static boolean changed(List<Condition> before, List<Condition> after, ConditionType type) {
    Optional<Condition> a = find(before, type);
    Optional<Condition> b = find(after, type);
    if (a.isEmpty() || b.isEmpty()) {
      return a.isPresent() != b.isPresent();
    }
    return !Objects.equals(a.get().getStatus(), b.get().getStatus())
        || !Objects.equals(a.get().getReason(), b.get().getReason());
  }

  /** Position in the list: the order of {@link ConditionType}; unknown types after ours. */
  private static int order(String type) {
    for (ConditionType t : ConditionType.values()) {
      if (t.type().equals(type)) {
        return t.ordinal();
      }
    }
    return ConditionType.values().length;
  }
}
