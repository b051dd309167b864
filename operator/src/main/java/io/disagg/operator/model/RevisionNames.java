package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.spec.EffectiveSpec;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of one pairing revision's objects and its {@code cluster_name} (docs/rollouts.md,
 * "Objects per revision").
 *
 * <ul>
 *   <li>The first revision of a DisaggCluster (one adopted from before revisions existed, or the
 *       first one of a new DisaggCluster) has the legacy names: {@code <name>-context}, {@code
 *       <name>-generation} (StatefulSet, headless Service, PodDisruptionBudget), {@code
 *       <name>-config}, {@code <name>-fabric}, {@code <name>-router}, and {@code cluster_name} the
 *       effective {@code spec.discovery.clusterName} ({@code <namespace>.<name>} by default).
 *   <li>Later revisions: {@code <name>-<s>-ctx}, {@code <name>-<s>-gen}, {@code <name>-<s>-cfg},
 *       {@code <name>-<s>-fab}, {@code <name>-<s>-rtr}, where {@code <s>} is a {@value
 *       #SUFFIX_LENGTH}-character suffix of the revision ({@link #forNew}), and {@code
 *       cluster_name} {@code <clusterName>.<revision>} (the full hash, which needs no collision
 *       handling: etcd keys have no length limit).
 * </ul>
 *
 * Why short tokens ({@code ctx}, {@code rtr}, ...) and not {@code -router}, {@code -config}: a
 * later revision's name must not be a legacy name of another DisaggCluster in the namespace. With
 * {@code <name>-<s>-router}, revision {@code abcde} of {@code foo} and the DisaggCluster {@code
 * foo-abcde} would both own {@code foo-abcde-router}. A revision name is always {@code <name>-<5
 * hex>-<token>} with a token no legacy name ends with, so it parses back to exactly one
 * DisaggCluster name and suffix, and no two DisaggClusters' names meet.
 *
 * <p>Lengths (a DisaggCluster name has at most 40 characters, {@code
 * DisaggCluster.MAX_NAME_LENGTH}): the longest StatefulSet name is the legacy {@code
 * <name>-generation}, 51 characters, a later one 50; the pods' {@code controller-revision-hash}
 * label ({@code <statefulset>-<up to 10 chars>}) is then at most 62, within Kubernetes' 63, and so
 * is every Service name (a DNS label).
 *
 * @param name the DisaggCluster's name
 * @param revision the full pairing revision ({@code io.disagg.operator.rollout.PairingRevision}),
 *     value of {@link #LABEL}
 * @param suffix the {@value #SUFFIX_LENGTH} lowercase hex characters in the names, or null for the
 *     legacy names
 * @param clusterName the revision's {@code disagg_cluster.cluster_name}
 */
public record RevisionNames(String name, String revision, String suffix, String clusterName) {

  /** Label with the full revision on every object of a revision (and its pods, but legacy ones). */
  public static final String LABEL = "serving.disagg.io/revision";

  /**
   * Annotation on a revision's StatefulSets with its pairing fields as canonical JSON, as the
   * operator version that created or last applied it hashed them ({@code
   * io.disagg.operator.rollout.PairingRevision#json}): how a later operator version recognizes the
   * revision when it hashes other fields.
   */
  public static final String PAIRING = "serving.disagg.io/pairing";

  /** Length of {@link #suffix}, in hex characters. */
  public static final int SUFFIX_LENGTH = 5;

  private static final Pattern SUFFIX = Pattern.compile("[0-9a-f]{" + SUFFIX_LENGTH + "}");

  public RevisionNames {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(clusterName, "clusterName");
    if (suffix != null && !SUFFIX.matcher(suffix).matches()) {
      throw new IllegalArgumentException(
          "suffix must be " + SUFFIX_LENGTH + " lowercase hex characters, not '" + suffix + "'");
    }
  }

  /** The legacy names (the first revision) of {@code spec}'s DisaggCluster for {@code revision}. */
  public static RevisionNames legacy(EffectiveSpec spec, String revision) {
    return new RevisionNames(name(spec), revision, null, spec.clusterName());
  }

  /** The names of a later revision with a known suffix (read back from its objects). */
  public static RevisionNames of(EffectiveSpec spec, String revision, String suffix) {
    Objects.requireNonNull(suffix, "suffix");
    return new RevisionNames(name(spec), revision, suffix, spec.clusterName() + "." + revision);
  }

  /**
   * The names of a revision about to be created, next to the revisions still present (their objects
   * exist, whatever their role). Nothing present: the legacy names. Otherwise the first {@value
   * #SUFFIX_LENGTH} characters of the revision, or when a present revision uses them the next
   * {@value #SUFFIX_LENGTH}, else the first free of {@code sha256(revision + "/" + i)}, i = 1, 2,
   * ... A revision already present keeps its names.
   *
   * @param revision a pairing revision, at least 2 x {@value #SUFFIX_LENGTH} hex characters
   */
  public static RevisionNames forNew(
      EffectiveSpec spec, String revision, Collection<RevisionNames> present) {
    Optional<RevisionNames> same =
        present.stream().filter(p -> p.revision().equals(revision)).findFirst();
    if (same.isPresent()) {
      return same.get();
    }
    if (present.isEmpty()) {
      return legacy(spec, revision);
    }
    Set<String> taken = new HashSet<>();
    present.forEach(p -> Optional.ofNullable(p.suffix()).ifPresent(taken::add));
    for (int i = 0; ; i++) {
      String candidate =
          i < 2
              ? revision.substring(i * SUFFIX_LENGTH, (i + 1) * SUFFIX_LENGTH)
              : Hashes.sha256(revision + "/" + (i - 1)).substring(0, SUFFIX_LENGTH);
      if (!taken.contains(candidate)) {
        return of(spec, revision, candidate);
      }
    }
  }

  /**
   * The suffix in the name of an object of {@code spec}'s DisaggCluster: empty for a legacy name
   * ({@code <name>-context}, ...), the suffix for a later revision's ({@code <name>-<s>-ctx}, ...),
   * and empty too for a name of neither form.
   */
  public static Optional<String> suffixOf(EffectiveSpec spec, String objectName) {
    Matcher m =
        Pattern.compile(
                Pattern.quote(name(spec))
                    + "-([0-9a-f]{"
                    + SUFFIX_LENGTH
                    + "})-(ctx|gen|cfg|fab|rtr)")
            .matcher(objectName);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** Whether these are the legacy names of the first revision. */
  public boolean legacy() {
    return suffix == null;
  }

  /** StatefulSet, headless Service and PodDisruptionBudget of a pool. */
  public String pool(Pool pool) {
    return legacy() ? name + "-" + pool.id() : prefix() + (pool == Pool.CONTEXT ? "ctx" : "gen");
  }

  /** ConfigMap with the worker and router YAML. */
  public String configMap() {
    return legacy() ? name + "-config" : prefix() + "cfg";
  }

  /** ConfigMap with the fabric environment (part of the pairing revision, so one per revision). */
  public String fabricConfigMap() {
    return legacy() ? name + "-fabric" : prefix() + "fab";
  }

  /** Router Deployment. */
  public String router() {
    return legacy() ? name + "-router" : prefix() + "rtr";
  }

  /** The user-facing router Service: one for all revisions, {@code <name>-router}. */
  public String routerService() {
    return name + "-router";
  }

  /**
   * Labels of one of this revision's objects (not its pods): {@link Labels#component} and {@link
   * #LABEL}. A legacy object gets {@link #LABEL} on its metadata too (that is how an adopted first
   * revision is recognised), never on its pod template.
   */
  public Map<String, String> objectLabels(DisaggCluster cr, String component) {
    Map<String, String> l = Labels.component(cr, component);
    l.put(LABEL, revision);
    return l;
  }

  /**
   * Operator labels of this revision's pods of {@code component}: {@link Labels#component}, plus
   * {@link #LABEL} for a later revision. The first revision's pods have no {@link #LABEL}: adding
   * it to an adopted StatefulSet's pod template would restart every pod.
   */
  public Map<String, String> podLabels(DisaggCluster cr, String component) {
    Map<String, String> l = Labels.component(cr, component);
    if (!legacy()) {
      l.put(LABEL, revision);
    }
    return l;
  }

  /**
   * Pod selector of this revision's StatefulSet or Deployment of {@code component}: {@link
   * Labels#selector} (immutable, so the first revision keeps it), plus {@link #LABEL} for a later
   * revision. The first revision's selector also matches a later revision's pods, harmless for a
   * StatefulSet or ReplicaSet (each acts only on the pods it owns).
   */
  public Map<String, String> selector(DisaggCluster cr, String component) {
    Map<String, String> l = Labels.selector(cr, component);
    if (!legacy()) {
      l.put(LABEL, revision);
    }
    return l;
  }

  private String prefix() {
    return name + "-" + suffix + "-";
  }

  private static String name(EffectiveSpec spec) {
    return spec.cluster().getMetadata().getName();
  }
}
