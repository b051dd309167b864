package io.disagg.operator.rollout;

import io.disagg.operator.core.Pool;
import io.disagg.operator.discovery.PodRegistrations;
import io.disagg.operator.discovery.Registration;
import io.disagg.operator.model.Labels;
import io.disagg.operator.model.PodStates;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.scaling.UnschedulablePods;
import io.disagg.operator.spec.EffectiveSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The pairing revisions present in a DisaggCluster, read from its children as the informers hold
 * them: the input of {@link RolloutPlanner}. Pure.
 *
 * <p>Which revision an object belongs to: its label {@link RevisionNames#LABEL} and its name. An
 * object with a legacy name ({@code <name>-context}, {@code <name>-router}, ...) belongs to the
 * first revision; when none of them carries the label yet (a DisaggCluster created before revisions
 * existed, on the first reconcile after the upgrade), the first revision is adopted as the desired
 * one (its objects get the label on their metadata when the dependents apply them; their pod
 * templates stay as they are, so no pod restarts). An object with a later revision's name ({@code
 * <name>-<s>-ctx}, ...) belongs to the revision of its label, its names read back from it ({@link
 * RevisionNames#suffixOf}); one without the label is not the operator's and is ignored.
 *
 * <p>Pods: a pod with the label belongs to that revision, one without to the first revision (whose
 * pod templates have no label); a worker pod counts only when its name is {@code
 * <statefulset>-<ordinal>} of its revision's StatefulSet.
 *
 * @param revisions the revisions present, oldest first (by their StatefulSets' and router
 *     Deployment's earliest creation; the first revision first on a tie)
 * @param names each present revision's names, by revision
 * @param statefulSets each present revision's worker StatefulSets, by revision and pool
 * @param routers each present revision's router Deployment, by revision
 * @param pods each present revision's pods (workers and routers), by revision
 * @param first the first (legacy-named) revision, or null when none is present
 */
public record RolloutObservation(
    List<RolloutPlanner.ObservedRevision> revisions,
    Map<String, RevisionNames> names,
    Map<String, Map<Pool, StatefulSet>> statefulSets,
    Map<String, Deployment> routers,
    Map<String, List<Pod>> pods,
    String first) {

  public RolloutObservation {
    revisions = List.copyOf(revisions);
    names = Map.copyOf(names);
    statefulSets = Map.copyOf(statefulSets);
    routers = Map.copyOf(routers);
    pods = Map.copyOf(pods);
  }

  /**
   * Reads the revisions.
   *
   * @param spec the effective spec (its name and {@code cluster_name})
   * @param desired the desired revision ({@link PairingRevision#of})
   * @param sets the DisaggCluster's worker StatefulSets, every revision's
   * @param deployments its router Deployments
   * @param pods its pods (workers and routers), terminating ones included
   * @param registrations the well-formed and malformed registrations under each watched {@code
   *     cluster_name}, by {@code cluster_name}; a revision whose {@code cluster_name} is missing
   *     has none
   */
  public static RolloutObservation of(
      EffectiveSpec spec,
      String desired,
      List<StatefulSet> sets,
      List<Deployment> deployments,
      List<Pod> pods,
      Map<String, List<Registration>> registrations) {
    Objects.requireNonNull(desired, "desired");
    String name = spec.cluster().getMetadata().getName();
    RevisionNames legacyProbe = RevisionNames.legacy(spec, desired);
    // The first revision: the label of any legacy-named object, else adopted as the desired one.
    List<HasMetadata> legacyObjects = new ArrayList<>();
    for (StatefulSet s : sets) {
      if (isLegacyPool(legacyProbe, s.getMetadata().getName())) {
        legacyObjects.add(s);
      }
    }
    for (Deployment d : deployments) {
      if (legacyProbe.router().equals(d.getMetadata().getName())) {
        legacyObjects.add(d);
      }
    }
    String first =
        legacyObjects.isEmpty()
            ? null
            : legacyObjects.stream()
                .map(RolloutObservation::label)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(desired);

    Map<String, RevisionNames> names = new LinkedHashMap<>();
    Map<String, String> created = new LinkedHashMap<>();
    Map<String, Map<Pool, StatefulSet>> setsByRevision = new LinkedHashMap<>();
    Map<String, Deployment> routers = new LinkedHashMap<>();
    for (StatefulSet s : sets) {
      Optional<RevisionNames> n = namesOf(spec, s, first);
      if (n.isEmpty()) {
        continue;
      }
      for (Pool p : Pool.values()) {
        if (n.get().pool(p).equals(s.getMetadata().getName())) {
          names.putIfAbsent(n.get().revision(), n.get());
          setsByRevision
              .computeIfAbsent(n.get().revision(), r -> new EnumMap<>(Pool.class))
              .put(p, s);
          created.merge(n.get().revision(), creation(s), RolloutObservation::min);
        }
      }
    }
    for (Deployment d : deployments) {
      Optional<RevisionNames> n = namesOf(spec, d, first);
      if (n.isPresent() && n.get().router().equals(d.getMetadata().getName())) {
        names.putIfAbsent(n.get().revision(), n.get());
        routers.put(n.get().revision(), d);
        created.merge(n.get().revision(), creation(d), RolloutObservation::min);
      }
    }

    Map<String, List<Pod>> podsByRevision = new LinkedHashMap<>();
    for (Pod pod : pods) {
      Map<String, String> labels = pod.getMetadata().getLabels();
      if (labels == null || !name.equals(labels.get(Labels.INSTANCE))) {
        continue;
      }
      String revision = Optional.ofNullable(labels.get(RevisionNames.LABEL)).orElse(first);
      if (revision != null && names.containsKey(revision)) {
        podsByRevision.computeIfAbsent(revision, r -> new ArrayList<>()).add(pod);
      }
    }

    List<String> order = new ArrayList<>(names.keySet());
    order.sort(
        Comparator.comparing((String r) -> created.getOrDefault(r, ""))
            .thenComparing(r -> !r.equals(first))
            .thenComparing(r -> r));
    List<RolloutPlanner.ObservedRevision> revisions = new ArrayList<>();
    for (String r : order) {
      RevisionNames n = names.get(r);
      List<Pod> mine = podsByRevision.getOrDefault(r, List.of());
      List<Registration> regs = registrations.getOrDefault(n.clusterName(), List.of());
      Map<Pool, RolloutPlanner.ObservedPool> pools = new EnumMap<>(Pool.class);
      for (Pool p : Pool.values()) {
        StatefulSet s = setsByRevision.getOrDefault(r, Map.of()).get(p);
        pools.put(p, pool(n, p, s, mine, regs));
      }
      revisions.add(new RolloutPlanner.ObservedRevision(r, pools, router(routers.get(r), mine)));
    }
    return new RolloutObservation(revisions, names, setsByRevision, routers, podsByRevision, first);
  }

  /**
   * The pairing fields recorded on the revisions' StatefulSets ({@link RevisionNames#PAIRING}), by
   * revision ({@link RevisionNames#LABEL}), oldest first: the input of {@link
   * PairingRevision#revisionAmong}. A StatefulSet without the label or the annotation records
   * nothing (the first revision before its adoption).
   *
   * @param sets the DisaggCluster's worker StatefulSets
   */
  public static Map<String, String> recordedPairings(List<StatefulSet> sets) {
    Map<String, String> out = new LinkedHashMap<>();
    sets.stream()
        .sorted(Comparator.comparing(RolloutObservation::creation))
        .forEach(
            s -> {
              String revision = label(s);
              Map<String, String> a = s.getMetadata().getAnnotations();
              String json = a == null ? null : a.get(RevisionNames.PAIRING);
              if (revision != null && json != null) {
                out.putIfAbsent(revision, json);
              }
            });
    return out;
  }

  /** The worker pods of {@code pool} of {@code revision}, by ordinal. */
  public Map<Integer, Pod> workers(String revision, Pool pool) {
    RevisionNames n = names.get(revision);
    Map<Integer, Pod> out = new java.util.TreeMap<>();
    if (n == null) {
      return out;
    }
    for (Pod pod : pods.getOrDefault(revision, List.of())) {
      Integer ordinal = ordinal(pod.getMetadata().getName(), n.pool(pool));
      if (ordinal != null && pool.id().equals(component(pod))) {
        out.put(ordinal, pod);
      }
    }
    return out;
  }

  private static RolloutPlanner.ObservedPool pool(
      RevisionNames n, Pool p, StatefulSet s, List<Pod> pods, List<Registration> regs) {
    List<Pod> mine = new ArrayList<>();
    Map<String, Integer> ordinals = new LinkedHashMap<>();
    for (Pod pod : pods) {
      Integer ordinal = ordinal(pod.getMetadata().getName(), n.pool(p));
      if (ordinal != null && p.id().equals(component(pod))) {
        mine.add(pod);
        ordinals.put(pod.getMetadata().getName(), ordinal);
      }
    }
    List<Registration> poolRegs =
        regs.stream().filter(r -> !r.malformed() && r.pool() == p).toList();
    PodRegistrations.Match match = PodRegistrations.match(poolRegs, mine);
    List<Integer> serving = new ArrayList<>();
    int ready = 0;
    for (Pod pod : mine) {
      if (ready(pod)) {
        ready++;
        if (!match.of(pod.getMetadata().getName()).isEmpty()) {
          serving.add(ordinals.get(pod.getMetadata().getName()));
        }
      }
    }
    UnschedulablePods unschedulable = UnschedulablePods.of(mine);
    Integer replicas = s == null || s.getSpec() == null ? null : s.getSpec().getReplicas();
    return new RolloutPlanner.ObservedPool(
        replicas == null ? 0 : replicas,
        ready,
        poolRegs.size(),
        serving,
        unschedulable.count(),
        unschedulable.message());
  }

  private static RolloutPlanner.ObservedRouter router(Deployment d, List<Pod> pods) {
    Integer replicas = d == null || d.getSpec() == null ? null : d.getSpec().getReplicas();
    int count = 0;
    int ready = 0;
    for (Pod pod : pods) {
      if (Labels.ROUTER_COMPONENT.equals(component(pod))) {
        count++;
        if (ready(pod)) {
          ready++;
        }
      }
    }
    return new RolloutPlanner.ObservedRouter(replicas == null ? 0 : replicas, count, ready);
  }

  private static Optional<RevisionNames> namesOf(EffectiveSpec spec, HasMetadata o, String first) {
    String objectName = o.getMetadata().getName();
    RevisionNames legacy = RevisionNames.legacy(spec, first == null ? "-" : first);
    if (first != null && (isLegacyPool(legacy, objectName) || legacy.router().equals(objectName))) {
      return Optional.of(legacy);
    }
    String revision = label(o);
    if (revision == null) {
      return Optional.empty();
    }
    return RevisionNames.suffixOf(spec, objectName).map(s -> RevisionNames.of(spec, revision, s));
  }

  private static boolean isLegacyPool(RevisionNames legacy, String objectName) {
    for (Pool p : Pool.values()) {
      if (legacy.pool(p).equals(objectName)) {
        return true;
      }
    }
    return false;
  }

  /** The revision an object's label {@link RevisionNames#LABEL} names, or null. */
  public static String label(HasMetadata o) {
    Map<String, String> l = o.getMetadata().getLabels();
    return l == null ? null : l.get(RevisionNames.LABEL);
  }

  private static String component(Pod pod) {
    Map<String, String> l = pod.getMetadata().getLabels();
    return l == null ? null : l.get(Labels.COMPONENT);
  }

  private static String creation(HasMetadata o) {
    return Optional.ofNullable(o.getMetadata().getCreationTimestamp()).orElse("");
  }

  private static String min(String a, String b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** The ordinal of {@code <statefulset>-<ordinal>}, or null for another name. */
  static Integer ordinal(String podName, String statefulSet) {
    String prefix = statefulSet + "-";
    if (podName == null || !podName.startsWith(prefix)) {
      return null;
    }
    String rest = podName.substring(prefix.length());
    if (rest.isEmpty() || rest.length() > 5 || !rest.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Integer.parseInt(rest);
  }

  private static boolean ready(Pod pod) {
    return !PodStates.terminating(pod) && PodStates.ready(pod);
  }
}
