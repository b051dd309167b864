package io.disagg.operator.rollout;

import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.DrainedPod;
import io.disagg.operator.core.Pool;
import io.disagg.operator.model.RevisionNames;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The drain in progress of one revision's pool, as the status recorded it. Pure.
 *
 * <p>Where: a revision that was not the desired one when the status was written has its drains in
 * {@code status.revisions[].<pool>.drain}; the desired one in {@code status.<pool>.drain}. When the
 * spec moves on to another revision mid-drain, the drain of the revision that was desired is still
 * in {@code status.<pool>.drain} on the next reconcile: it is found there by its pods' names (each
 * {@code <statefulset>-<ordinal>} of that revision), so the drain goes on (its workers stay
 * deregistered, their in-flight requests are still waited for) instead of a fresh one that would
 * see them unregistered and remove them at once. A drain of another revision's pods is never taken.
 */
public final class RecordedDrains {

  private RecordedDrains() {}

  /**
   * The recorded drain of {@code pool} of the revision {@code names}, or null.
   *
   * @param status the DisaggCluster's status (may be null)
   */
  public static DrainStatus of(DisaggClusterStatus status, RevisionNames names, Pool pool) {
    if (status == null) {
      return null;
    }
    if (status.getRevisions() != null) {
      DrainStatus listed =
          status.getRevisions().stream()
              .filter(r -> names.revision().equals(r.getRevision()) && r.pool(pool) != null)
              .map(r -> r.pool(pool).getDrain())
              .filter(Objects::nonNull)
              .findFirst()
              .orElse(null);
      if (listed != null) {
        return listed;
      }
    }
    DrainStatus top = status.pool(pool).getDrain();
    return top != null && podsOf(top, names.pool(pool)) ? top : null;
  }

  /** Whether every pod of {@code drain} (at least one) is a pod of the StatefulSet {@code sts}. */
  static boolean podsOf(DrainStatus drain, String sts) {
    if (drain.getPods() == null || drain.getPods().isEmpty()) {
      return false;
    }
    Pattern pod = Pattern.compile(Pattern.quote(sts) + "-[0-9]+");
    for (DrainedPod p : drain.getPods()) {
      if (p.getName() == null || !pod.matcher(p.getName()).matches()) {
        return false;
      }
    }
    return true;
  }
}
