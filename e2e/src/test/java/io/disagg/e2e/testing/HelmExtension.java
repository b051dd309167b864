package io.disagg.e2e.testing;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test only when the pinned helm binary is there ({@link Helm}). Like {@link
 * ClusterExtension}: without it the test is skipped with the reason, except when the environment
 * variable {@code CI} is set: then it fails, because CI must run the chart tests.
 */
public class HelmExtension implements ExecutionCondition {

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Helm.Availability a = Helm.availability();
    if (a.available()) {
      return ConditionEvaluationResult.enabled("helm from " + a.reason() + ": " + a.binary());
    }
    if (System.getenv("CI") != null) {
      throw new IllegalStateException("CI is set but helm is missing: " + a.reason());
    }
    return ConditionEvaluationResult.disabled("helm is missing: " + a.reason());
  }
}
