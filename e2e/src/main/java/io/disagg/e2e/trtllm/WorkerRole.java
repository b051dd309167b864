package io.disagg.e2e.trtllm;

import java.util.Locale;

/**
 * Role of a simulated TensorRT-LLM worker: the {@code --server_role} of {@code trtllm-serve} and
 * the {@code role} number in its etcd registration ({@code ServerRole} in {@code
 * tensorrt_llm/llmapi/disagg_utils.py}: 0 = CONTEXT, 1 = GENERATION).
 *
 * <p>Deliberately independent of the operator's own {@code Pool} enum, so the simulators are an
 * oracle for the operator rather than a copy of its assumptions.
 */
public enum WorkerRole {
  CONTEXT(0, "context", "context_servers"),
  GENERATION(1, "generation", "generation_servers");

  private final int number;
  private final String component;
  private final String section;

  WorkerRole(int number, String component, String section) {
    this.number = number;
    this.component = component;
    this.section = section;
  }

  /** The {@code role} value in the registration JSON. */
  public int number() {
    return number;
  }

  /** The {@code app.kubernetes.io/component} label value of pods of this role. */
  public String component() {
    return component;
  }

  /** Key of this role in {@code minimal_instances} and {@code /cluster_info}. */
  public String section() {
    return section;
  }

  /** The role with the given registration number. */
  public static WorkerRole fromNumber(int number) {
    for (WorkerRole r : values()) {
      if (r.number == number) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown worker role number " + number);
  }

  /** The role of a pod with the given component label value, or null for other components. */
  public static WorkerRole fromComponent(String component) {
    if (component == null) {
      return null;
    }
    for (WorkerRole r : values()) {
      if (r.component.equals(component.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    return null;
  }
}
