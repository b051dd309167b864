package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code router.type} of a server section in the router config (tensorrt_llm/serve/router.py). */
public enum RouterType {
  @JsonProperty("round_robin")
  ROUND_ROBIN("round_robin"),
  @JsonProperty("load_balancing")
  LOAD_BALANCING("load_balancing"),
  @JsonProperty("kv_cache_aware")
  KV_CACHE_AWARE("kv_cache_aware");

  private final String value;

  RouterType(String value) {
    this.value = value;
  }

  /** The value written to the router YAML. */
  public String value() {
    return value;
  }
}
