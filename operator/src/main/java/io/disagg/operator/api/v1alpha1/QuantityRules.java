package io.disagg.operator.api.v1alpha1;

/**
 * The CEL rule every size field of the API that holds a Kubernetes quantity carries, so that a
 * malformed or non-positive size is refused at {@code kubectl apply} time with a message naming the
 * field (the API server puts the field's path before the message).
 *
 * <p>{@code isQuantity} and {@code quantity} are the Kubernetes CEL quantity library ({@code
 * k8s.io/apiserver/pkg/cel/library/quantity.go}); they parse with {@code resource.ParseQuantity},
 * the parser the API server uses for every quantity of its own types. The library entered the CEL
 * base environment at 1.28 ({@code k8s.io/apiserver/pkg/cel/environment/base.go}); an API server
 * accepts it in a new CRD from 1.29 on (its compatibility version is the release before its own),
 * the minimum Kubernetes version of the chart ({@code kubeVersion: ">=1.29.0-0"}).
 *
 * <p>A field holding a quantity is int-or-string, so {@code self} is an {@code int} (a plain number
 * of bytes) or a {@code string}.
 */
public final class QuantityRules {
  private QuantityRules() {}

  /** True for a positive integer or a string Kubernetes parses as a quantity greater than 0. */
  public static final String POSITIVE =
      "type(self) == int ? self > 0 : isQuantity(self) && quantity(self).isGreaterThan(quantity('0'))";

  /** The message of {@link #POSITIVE}, with the refused value. */
  public static final String POSITIVE_MESSAGE =
      "'must be a positive Kubernetes quantity of bytes, such as 16Gi or 512Mi"
          + " (suffixes Ki, Mi, Gi, Ti, k, M, G, T; no space), not \\'' + string(self) + '\\''";
}
