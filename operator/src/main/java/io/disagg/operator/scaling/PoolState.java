package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.PoolAutoscalingStatus;
import io.disagg.operator.api.v1alpha1.ReplicaRecommendation;
import io.disagg.operator.api.v1alpha1.ScaleEvent;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * What the autoscaler remembers about one pool between evaluations. Immutable; each decision
 * returns the next state. Persist it with {@link #writeTo} and read it back with {@link #from} so
 * that an operator restart keeps the stabilization windows and step limits.
 *
 * @param since start of the recommendation history: no scale-down happens before a full scale-down
 *     window of history exists (a lost history therefore delays scale-downs, never causes one);
 *     null = no history yet
 * @param recommendations past recommendations, oldest first, only those still relevant
 * @param changes recent target changes, oldest first, for the step limits
 * @param lastScaleTime when the target last changed, or null
 * @param lastScaleReason why, or null
 */
public record PoolState(
    Instant since,
    List<Recommendation> recommendations,
    List<Change> changes,
    Instant lastScaleTime,
    String lastScaleReason) {

  /** A recommendation: instances wanted at a time. */
  public record Recommendation(Instant time, int replicas) {}

  /** A change of the pool's target. */
  public record Change(Instant time, int from, int to) {}

  /** No history. */
  public static final PoolState EMPTY = new PoolState(null, List.of(), List.of(), null, null);

  public PoolState {
    recommendations = List.copyOf(recommendations == null ? List.of() : recommendations);
    changes = List.copyOf(changes == null ? List.of() : changes);
  }

  /**
   * The state recorded in a status; {@link #EMPTY} for null. Unparseable entries are dropped (a
   * lost entry only delays a scale-down, see {@code since}).
   */
  public static PoolState from(PoolAutoscalingStatus s) {
    if (s == null) {
      return EMPTY;
    }
    List<Recommendation> recs = new ArrayList<>();
    for (ReplicaRecommendation r :
        s.getRecommendations() == null
            ? List.<ReplicaRecommendation>of()
            : s.getRecommendations()) {
      Instant t = parseTime(r.getTime());
      if (t != null && r.getReplicas() != null) {
        recs.add(new Recommendation(t, r.getReplicas()));
      }
    }
    List<Change> changes = new ArrayList<>();
    for (ScaleEvent e : s.getScaleEvents() == null ? List.<ScaleEvent>of() : s.getScaleEvents()) {
      Instant t = parseTime(e.getTime());
      if (t != null && e.getFromReplicas() != null && e.getToReplicas() != null) {
        changes.add(new Change(t, e.getFromReplicas(), e.getToReplicas()));
      }
    }
    // A missing start counts as "now" at the next evaluation, so scale-downs wait a full window.
    return new PoolState(
        parseTime(s.getRecommendationsSince()),
        recs,
        changes,
        parseTime(s.getLastScaleTime()),
        s.getLastScaleReason());
  }

  /** Writes this state into the status (times as RFC 3339, whole seconds). */
  public void writeTo(PoolAutoscalingStatus s) {
    s.setRecommendationsSince(ts(since));
    List<ReplicaRecommendation> recs = new ArrayList<>();
    for (Recommendation r : recommendations) {
      recs.add(new ReplicaRecommendation(ts(r.time()), r.replicas()));
    }
    s.setRecommendations(recs);
    List<ScaleEvent> ev = new ArrayList<>();
    for (Change c : changes) {
      ev.add(new ScaleEvent(ts(c.time()), c.from(), c.to()));
    }
    s.setScaleEvents(ev);
    s.setLastScaleTime(ts(lastScaleTime));
    s.setLastScaleReason(lastScaleReason);
  }

  static String ts(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** An RFC 3339 time as written in the status, or null when absent or malformed. */
  public static Instant parseTime(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(s.strip());
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
