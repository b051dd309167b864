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
 * The status conditions of a DisaggCluster and how they change. {@code lastTransitionTime}
 * moves only when a condition's status changes, so an unchanged cluster yields an identical
 * status and the reconciler writes nothing.
 */
public final class Conditions {
  private Conditions() {}

  /** True when the cluster serves: both pools and the router are ready. */
  public static final String READY = "Ready";
  /** True while the operator is moving the cluster towards its spec (rollout, scaling, drain). */
  public static final String PROGRESSING = "Progressing";
  /** True when something is wrong that needs a person: invalid spec, unschedulable pods, errors. */
  public static final String DEGRADED = "Degraded";
  /**
   * kstatus convention (read by Flux): True while the cluster does not yet match its spec or does
   * not serve yet, and is not {@link #STALLED}. Derived by {@link #withGitOpsSummary}.
   */
  public static final String RECONCILING = "Reconciling";
  /**
   * kstatus convention (read by Flux as Failed): True when the cluster does not serve and cannot
   * get there without a person: {@code Degraded} True and {@code Ready} False, for any reason but
   * a {@code ReconcileError} the operator is still retrying. Derived by {@link #withGitOpsSummary}.
   */
  public static final String STALLED = "Stalled";
  /** Reason of {@code Degraded} for a failed reconcile that JOSDK retries (not stalled). */
  public static final String RECONCILE_ERROR = "ReconcileError";

  /**
   * Returns {@code existing} with the condition {@code type} set; other conditions are kept.
   *
   * @param generation the {@code metadata.generation} this condition was computed for
   * @param now time recorded as {@code lastTransitionTime} when the status changes
   */
  public static List<Condition> set(List<Condition> existing, String type, boolean status, String reason,
      String message, Long generation, Instant now) {
    List<Condition> out = new ArrayList<>();
    Condition previous = null;
    for (Condition c : existing == null ? List.<Condition>of() : existing) {
      if (type.equals(c.getType())) {
        previous = c;
      } else {
        out.add(c);
      }
    }
    String s = status ? "True" : "False";
    String transition = previous != null && s.equals(previous.getStatus()) && previous.getLastTransitionTime() != null
        ? previous.getLastTransitionTime()
        : now.truncatedTo(ChronoUnit.SECONDS).toString();
    out.add(new ConditionBuilder().withType(type).withStatus(s).withReason(reason).withMessage(message)
        .withObservedGeneration(generation).withLastTransitionTime(transition).build());
    out.sort((a, b) -> Integer.compare(order(a.getType()), order(b.getType())));
    return out;
  }

  /**
   * Returns {@code conditions} with {@link #RECONCILING} and {@link #STALLED} set from
   * {@code Ready}, {@code Progressing} and {@code Degraded}, following the kstatus conventions of
   * sigs.k8s.io/cli-utils (Flux's fork github.com/fluxcd/cli-utils): "abnormal-true" conditions,
   * so that a GitOps tool reads {@code Stalled} True as failed, {@code Reconciling} True as in
   * progress, and neither as current (healthy) once {@code observedGeneration} matches. Each
   * carries the reason and message of the condition it was derived from.
   *
   * @param generation the {@code metadata.generation} these conditions describe
   * @param now time recorded as {@code lastTransitionTime} when a status changes
   */
  public static List<Condition> withGitOpsSummary(List<Condition> conditions, Long generation, Instant now) {
    Optional<Condition> ready = find(conditions, READY);
    Optional<Condition> progressing = find(conditions, PROGRESSING);
    Optional<Condition> degraded = find(conditions, DEGRADED);
    boolean isReady = isTrue(conditions, READY);
    boolean stalled = !isReady && isTrue(conditions, DEGRADED)
        && !RECONCILE_ERROR.equals(degraded.map(Condition::getReason).orElse(null));
    boolean isProgressing = isTrue(conditions, PROGRESSING);
    List<Condition> out = conditions;
    if (stalled) {
      out = set(out, STALLED, true, degraded.get().getReason(), degraded.get().getMessage(), generation, now);
    } else {
      out = set(out, STALLED, false, "NotStalled", "nothing needs a person to go on", generation, now);
    }
    if (!stalled && (isProgressing || !isReady)) {
      Condition from = isProgressing ? progressing.get() : ready.orElse(null);
      out = set(out, RECONCILING, true, from == null ? "Reconciling" : from.getReason(),
          from == null ? "waiting for the first status" : from.getMessage(), generation, now);
    } else {
      out = set(out, RECONCILING, false, stalled ? "Stalled" : "Reconciled",
          stalled ? "stalled: see the Stalled condition" : "the cluster matches its spec and serves", generation, now);
    }
    return out;
  }

  /** The condition of that type, if present. */
  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Whether the condition of that type is present and True. */
  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** Whether status or reason of the condition differ between two lists (what an Event reports). */
  public static boolean changed(List<Condition> before, List<Condition> after, String type) {
    Optional<Condition> a = find(before, type);
    Optional<Condition> b = find(after, type);
    if (a.isEmpty() || b.isEmpty()) {
      return a.isPresent() != b.isPresent();
    }
    return !Objects.equals(a.get().getStatus(), b.get().getStatus()) || !Objects.equals(a.get().getReason(), b.get().getReason());
  }

  private static int order(String type) {
    return switch (type) {
      case READY -> 0;
      case PROGRESSING -> 1;
      case DEGRADED -> 2;
      case RECONCILING -> 4;
      case STALLED -> 5;
      default -> 3;
    };
  }
}
