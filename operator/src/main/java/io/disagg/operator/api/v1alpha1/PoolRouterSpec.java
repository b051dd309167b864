package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** How the router picks a worker of one pool ({@code <pool>_servers.router}). */
public class PoolRouterSpec {

  @Default("round_robin")
  @JsonPropertyDescription("round_robin, load_balancing or kv_cache_aware.")
  private RouterType type = RouterType.ROUND_ROBIN;

  @JsonPropertyDescription(
      "router.use_tokens: balance by tokens instead of requests (load_balancing). Unset: TensorRT-LLM's default (false).")
  private Boolean useTokens;

  public RouterType getType() {
    return type;
  }

  public void setType(RouterType type) {
    this.type = type;
  }

  public Boolean getUseTokens() {
    return useTokens;
  }

  public void setUseTokens(Boolean useTokens) {
    this.useTokens = useTokens;
  }
}
