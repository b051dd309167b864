package io.disagg.operator.api.v1alpha1;

/** Kubernetes image pull policy. */
public enum ImagePullPolicy {
  Always,
  IfNotPresent,
  Never
}
