package io.disagg.operator.core;

import java.util.Objects;

/**
 * One semantic problem of a {@code DisaggCluster} spec.
 *
 * @param field path of the offending field, e.g. {@code
 *     spec.context.resources.limits[nvidia.com/gpu]}
 * @param message what is wrong and how to fix it
 * @param severity {@link Severity#ERROR} blocks reconciliation; {@link Severity#WARNING} is only
 *     reported
 */
public record SpecProblem(String field, String message, Severity severity) {

  /** How bad a problem is. */
  public enum Severity {
    /** The spec cannot work as written: the operator does not reconcile it. */
    ERROR,
    /** The spec works, but probably not as intended: reported, not blocking. */
    WARNING
  }

  public SpecProblem {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(severity, "severity");
  }

  public static SpecProblem error(String field, String message) {
    return new SpecProblem(field, message, Severity.ERROR);
  }

  public static SpecProblem warning(String field, String message) {
    return new SpecProblem(field, message, Severity.WARNING);
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** {@code field: message}, e.g. for a condition message or an Event. */
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
