package io.disagg.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;

/**
 * Schema stand-in for free-form maps (LLM-API options, extra router keys): an object whose keys and
 * values of any type are kept as given ({@code x-kubernetes-preserve-unknown-fields}).
 */
@PreserveUnknownFields
final class FreeFormObject {
  private FreeFormObject() {}
}
