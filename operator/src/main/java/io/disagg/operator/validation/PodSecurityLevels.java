package io.disagg.operator.validation;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.SecurityContexts;
import io.disagg.operator.model.SecurityContexts.Level;
import io.disagg.operator.model.SecurityContexts.Violation;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.spec.EffectiveSpec;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Warnings for settings that put the operator's pods below the Pod Security Standard level
 * docs/pod-security.md promises for their configuration: {@code spec.podSecurity.runAsUser: 0}
 * (baseline instead of restricted), and a pool whose rendered worker pod ({@code
 * podTemplate.securityContext}, {@code containerSecurityContext}, its sidecars, init containers and
 * volumes included) meets a lower level than {@link SecurityContexts#workerLevel}. Warnings only:
 * the user may mean it, and a namespace that enforces the level refuses the pods with the API
 * server's own message.
 */
public final class PodSecurityLevels {
  private PodSecurityLevels() {}

  /** The warnings of {@code effective}, in pool order; none for a spec that cannot be rendered. */
  public static List<SpecProblem> problems(EffectiveSpec effective) {
    DisaggCluster cr = effective.cluster();
    List<SpecProblem> out = new ArrayList<>();
    if (SecurityContexts.runAsUser(cr) == 0) {
      out.add(
          SpecProblem.warning(
              "spec.podSecurity.runAsUser",
              "is 0: the router and download pods"
                  + (SecurityContexts.efa(cr) ? "" : " and the worker pods")
                  + " run as root and meet the Pod Security Standard baseline, not restricted"
                  + " (docs/pod-security.md)"));
    }
    if (SecurityContexts.runAsUser(cr) != 0) {
      if (cr.getSpec().getRouter() != null && cr.getSpec().getRouter().getPort() < 1024) {
        out.add(lowPort("spec.router.port", cr.getSpec().getRouter().getPort()));
      }
      for (Pool pool : Pool.values()) {
        if (!SecurityContexts.efa(cr)
            && cr.getSpec().pool(pool) != null
            && cr.getSpec().pool(pool).getPort() < 1024) {
          out.add(lowPort("spec." + pool.id() + ".port", cr.getSpec().pool(pool).getPort()));
        }
      }
    }
    Level promised = SecurityContexts.workerLevel(cr);
    for (Pool pool : Pool.values()) {
      if (cr.getSpec().pool(pool) == null) {
        continue;
      }
      PodSpec pod;
      try {
        pod =
            WorkerStatefulSets.podTemplate(cr, RevisionNames.legacy(effective, "-"), pool, "")
                .getSpec();
      } catch (RuntimeException e) {
        continue; // the spec's own errors are reported elsewhere
      }
      Level actual = SecurityContexts.level(pod);
      if (actual.ordinal() >= promised.ordinal()) {
        continue;
      }
      List<String> why =
          SecurityContexts.violations(pod).stream()
              .filter(v -> v.breaks().ordinal() <= promised.ordinal())
              .map(Violation::message)
              .toList();
      out.add(
          SpecProblem.warning(
              "spec." + pool.id() + ".podTemplate",
              "puts the "
                  + pool.id()
                  + " worker pods at the Pod Security Standard "
                  + actual.label()
                  + ", below the "
                  + promised.label()
                  + " the operator's defaults meet (docs/pod-security.md): "
                  + String.join("; ", why)));
    }
    return out;
  }

  private static SpecProblem lowPort(String field, int port) {
    return SpecProblem.warning(
        field,
        "("
            + port
            + ") is below 1024 while the container runs as a non-root UID (spec.podSecurity.runAsUser):"
            + " binding it needs a runtime that lets unprivileged processes bind low ports"
            + " (net.ipv4.ip_unprivileged_port_start), else the server cannot start; use a port"
            + " of 1024 or more and map the Service port instead");
  }
}
