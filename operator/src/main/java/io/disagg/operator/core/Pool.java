package io.disagg.operator.core;

/**
 * The two worker pools of a disaggregated deployment. The role numbers and names follow
 * TensorRT-LLM's {@code ServerRole} ({@code tensorrt_llm/serve/openai_disagg_server.py}, {@code
 * disagg_auto_scaling.py}): 0 = CONTEXT, 1 = GENERATION.
 */
public enum Pool {
  CONTEXT(Pool.CONTEXT_ID, "CONTEXT", 0, "context_servers"),
  GENERATION(Pool.GENERATION_ID, "GENERATION", 1, "generation_servers");

  /** {@link #id()} of {@link #CONTEXT}, a constant for annotations (informer label selectors). */
  public static final String CONTEXT_ID = "context";

  /** {@link #id()} of {@link #GENERATION}, a constant for annotations. */
  public static final String GENERATION_ID = "generation";

  private final String id;
  private final String serverRole;
  private final int roleNumber;
  private final String routerSection;

  Pool(String id, String serverRole, int roleNumber, String routerSection) {
    this.id = id;
    this.serverRole = serverRole;
    this.roleNumber = roleNumber;
    this.routerSection = routerSection;
  }

  /**
   * Lower-case id used in resource names, labels and ConfigMap keys: {@code context}, {@code
   * generation}.
   */
  public String id() {
    return id;
  }

  /** Value of {@code trtllm-serve --server_role}. */
  public String serverRole() {
    return serverRole;
  }

  /** Key of this pool in the router config and in {@code minimal_instances}. */
  public String routerSection() {
    return routerSection;
  }

  /** The pool with the given registration role number, or null. */
  public static Pool fromRoleNumber(int role) {
    for (Pool p : values()) {
      if (p.roleNumber == role) {
        return p;
      }
    }
    return null;
  }
}
