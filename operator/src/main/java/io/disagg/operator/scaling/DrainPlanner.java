package io.disagg.operator.scaling;

import io.disagg.operator.api.v1alpha1.DeregisteredWorker;
import io.disagg.operator.api.v1alpha1.DrainStatus;
import io.disagg.operator.api.v1alpha1.DrainedPod;
import io.disagg.operator.discovery.Registration;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides a pool's StatefulSet {@code replicas} so that no instance is removed while the router may
 * still send it work. A pure function of what the reconciler observed.
 *
 * <p>A decrease from {@code current} to {@code target} instances removes the pods with the highest
 * ordinals (the ones a StatefulSet removes). For them, in order:
 *
 * <ol>
 *   <li>their registration keys are deleted from etcd, so the router, which watches the prefix,
 *       stops picking them at once (TensorRT-LLM's worker would delete its key on SIGTERM only
 *       after its HTTP server drained, {@code tensorrt_llm/serve/disagg_auto_scaling.py});
 *   <li>once none of them is registered, the planner waits {@code deregistrationGrace} (a request
 *       the router picked just before the deletion may still be connecting), then until each
 *       reports zero running and waiting requests, or {@code drainTimeout} after the start;
 *   <li>only then is {@code replicas} lowered.
 * </ol>
 *
 * The drain is recorded in the status and continued after an operator restart. While etcd is
 * unreachable nothing is removed. A drain whose target goes back up is cancelled: the deleted
 * registrations are put back as the workers wrote them, on the leases the workers kept refreshing
 * (deleting a key leaves its lease alive, and TensorRT-LLM's heartbeat only refreshes the lease, so
 * a worker never re-registers by itself). Increases are applied at once.
 */
public final class DrainPlanner {
  private DrainPlanner() {}

  /**
   * What the reconciler observed for one pool.
   *
   * @param statefulSetName name of the pool's StatefulSet (pods are {@code <name>-<ordinal>})
   * @param target instances wanted now (already within minimalInstances..maxInstances)
   * @param current the StatefulSet's {@code spec.replicas}, or null when it does not exist yet
   * @param drain the drain recorded in the status, or null
   * @param registrationsByPod current etcd registrations of this pool's pods, by pod name
   * @param inFlightByPod running + waiting requests per pod name; absent or null = unknown
   * @param discoveryReachable whether the etcd watch is up to date
   * @param drainTimeout longest wait for in-flight requests after the drain started
   * @param deregistrationGrace wait after deregistration before in-flight counts are trusted
   * @param now the current time
   */
  public record Input(
      String statefulSetName,
      int target,
      Integer current,
      DrainStatus drain,
      Map<String, List<Registration>> registrationsByPod,
      Map<String, Integer> inFlightByPod,
      boolean discoveryReachable,
      Duration drainTimeout,
      Duration deregistrationGrace,
      Instant now) {}

  /**
   * What to do.
   *
   * @param replicas the StatefulSet {@code replicas} to apply now
   * @param drain the drain to record (null when none is in progress)
   * @param keysToDeregister etcd keys to delete now
   * @param toRestore deregistered registrations to put back now (cancelled drain)
   * @param event what happened, for an Event and the log; null when nothing new happened
   * @param waiting why replicas are held, for the Progressing condition; null when not waiting
   */
  public record Decision(
      int replicas,
      DrainStatus drain,
      List<String> keysToDeregister,
      List<Registration> toRestore,
      String event,
      String waiting) {}

  /** Decides; see the class description. */
  public static Decision plan(Input in) {
    DrainStatus drain = in.drain();
    if (in.current() == null) {
      return new Decision(in.target(), null, List.of(), List.of(), null, null);
    }
    int current = in.current();
    if (in.target() >= current) {
      // A recorded drain whose StatefulSet is already at (or below) its toReplicas has finished;
      // a lagging cache can still show it after the patch that cleared it. Its pods are gone or
      // terminating: putting their registrations back would route requests to them.
      boolean finished =
          drain != null && drain.getToReplicas() != null && current <= drain.getToReplicas();
      List<Registration> revoke =
          drain == null || finished ? List.of() : deregistered(drain.getPods());
      String event =
          drain == null || finished
              ? null
              : "cancelled the drain to "
                  + drain.getToReplicas()
                  + " instances; restoring the registrations of "
                  + podNames(drain);
      return new Decision(in.target(), null, List.of(), revoke, event, null);
    }

    // A decrease: the victims are the highest ordinals above the target.
    List<String> victims = new ArrayList<>();
    for (int i = in.target(); i < current; i++) {
      victims.add(in.statefulSetName() + "-" + i);
    }
    String event = null;
    List<Registration> revoke = new ArrayList<>();
    if (drain == null || !Objects.equals(drain.getToReplicas(), in.target())) {
      DrainStatus next = new DrainStatus();
      next.setFromReplicas(current);
      next.setToReplicas(in.target());
      next.setStartedAt(drain == null ? ts(in.now()) : drain.getStartedAt());
      for (String v : victims) {
        DrainedPod p = previous(drain, v);
        next.getPods().add(p != null ? p : pod(v));
      }
      if (drain != null) {
        for (DrainedPod p : drain.getPods()) {
          if (!victims.contains(p.getName())) {
            revoke.addAll(deregistered(List.of(p)));
          }
        }
        event = "drain retargeted to " + in.target() + " instances: removing " + victims;
      } else {
        event =
            "draining "
                + victims
                + " before scaling from "
                + current
                + " to "
                + in.target()
                + " instances";
      }
      drain = next;
    } else {
      drain = copy(drain);
    }

    if (!in.discoveryReachable()) {
      return new Decision(
          current,
          drain,
          List.of(),
          revoke,
          event,
          "etcd is unreachable: not removing " + victims + " until they can be deregistered");
    }

    List<String> keys = new ArrayList<>();
    boolean anyRegistered = false;
    for (DrainedPod p : drain.getPods()) {
      List<Registration> regs = in.registrationsByPod().getOrDefault(p.getName(), List.of());
      for (Registration r : regs) {
        anyRegistered = true;
        keys.add(r.key());
        if (p.getDeregistered().stream().noneMatch(d -> r.key().equals(d.getKey()))) {
          DeregisteredWorker w = new DeregisteredWorker();
          w.setKey(r.key());
          w.setValue(r.raw());
          w.setLease(r.lease());
          p.getDeregistered().add(w);
        }
      }
      Integer inFlight = in.inFlightByPod().get(p.getName());
      p.setInFlightRequests(inFlight);
    }
    if (anyRegistered) {
      drain.setDeregisteredAt(null);
      return new Decision(
          current, drain, keys, revoke, event, "deregistering " + victims + " from etcd");
    }
    if (drain.getDeregisteredAt() == null) {
      drain.setDeregisteredAt(ts(in.now()));
    }
    Instant deregisteredAt = Instant.parse(drain.getDeregisteredAt());
    Instant started = Instant.parse(drain.getStartedAt());
    boolean timedOut = !in.now().isBefore(started.plus(in.drainTimeout()));
    if (in.now().isBefore(deregisteredAt.plus(in.deregistrationGrace())) && !timedOut) {
      return new Decision(
          current,
          drain,
          List.of(),
          revoke,
          event,
          "deregistered " + victims + "; letting the router's view settle");
    }
    List<String> busy = new ArrayList<>();
    for (DrainedPod p : drain.getPods()) {
      Integer n = p.getInFlightRequests();
      if (n == null || n > 0) {
        busy.add(p.getName() + "=" + (n == null ? "unknown" : n));
      }
    }
    if (!busy.isEmpty() && !timedOut) {
      return new Decision(
          current,
          drain,
          List.of(),
          revoke,
          event,
          "waiting for in-flight requests to finish: " + String.join(", ", busy));
    }
    String done =
        busy.isEmpty()
            ? "drained "
                + victims
                + ": scaled from "
                + current
                + " to "
                + in.target()
                + " instances"
            : "drain timeout after "
                + in.drainTimeout().toSeconds()
                + "s with requests still in flight ("
                + String.join(", ", busy)
                + "): scaled from "
                + current
                + " to "
                + in.target()
                + " instances";
    return new Decision(in.target(), null, List.of(), revoke, done, null);
  }

  private static DrainedPod pod(String name) {
    DrainedPod p = new DrainedPod();
    p.setName(name);
    return p;
  }

  private static DrainedPod previous(DrainStatus drain, String name) {
    if (drain == null) {
      return null;
    }
    return drain.getPods().stream()
        .filter(p -> name.equals(p.getName()))
        .findFirst()
        .map(DrainPlanner::copy)
        .orElse(null);
  }

  private static DrainStatus copy(DrainStatus d) {
    DrainStatus c = new DrainStatus();
    c.setFromReplicas(d.getFromReplicas());
    c.setToReplicas(d.getToReplicas());
    c.setStartedAt(d.getStartedAt());
    c.setDeregisteredAt(d.getDeregisteredAt());
    for (DrainedPod p : d.getPods()) {
      c.getPods().add(copy(p));
    }
    return c;
  }

  private static DrainedPod copy(DrainedPod p) {
    DrainedPod c = new DrainedPod();
    c.setName(p.getName());
    for (DeregisteredWorker w : p.getDeregistered()) {
      DeregisteredWorker x = new DeregisteredWorker();
      x.setKey(w.getKey());
      x.setValue(w.getValue());
      x.setLease(w.getLease());
      c.getDeregistered().add(x);
    }
    c.setInFlightRequests(p.getInFlightRequests());
    return c;
  }

  /** The deregistered registrations of these pods, as records to put back. */
  private static List<Registration> deregistered(List<DrainedPod> pods) {
    List<Registration> out = new ArrayList<>();
    for (DrainedPod p : pods) {
      for (DeregisteredWorker w : p.getDeregistered()) {
        out.add(
            new Registration(
                w.getKey(),
                null,
                null,
                0,
                null,
                w.getLease() == null ? 0 : w.getLease(),
                0,
                false,
                w.getValue()));
      }
    }
    return out;
  }

  private static List<String> podNames(DrainStatus d) {
    return d.getPods().stream().map(DrainedPod::getName).toList();
  }

  private static String ts(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
