package io.disagg.operator.render;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.model.ConfigMaps;
import io.disagg.operator.model.ModelCaches;
import io.disagg.operator.model.NetworkPolicies;
import io.disagg.operator.model.PodMonitors;
import io.disagg.operator.model.PoolDisruptionBudgets;
import io.disagg.operator.model.PoolServices;
import io.disagg.operator.model.RevisionNames;
import io.disagg.operator.model.RouterDeployments;
import io.disagg.operator.model.RouterServices;
import io.disagg.operator.model.WorkerStatefulSets;
import io.disagg.operator.plan.Plan;
import io.disagg.operator.rollout.PairingRevision;
import io.disagg.operator.scaling.Replicas;
import io.disagg.operator.spec.EffectiveSpec;
import io.disagg.operator.spec.MonitoringDefaults;
import io.disagg.operator.spec.NetworkPolicyDefaults;
import io.disagg.operator.validation.SpecValidator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Renders a {@code DisaggCluster} without a cluster: what the API server would store and what the
 * operator would create from it, through the operator's own code. The steps are those of a
 * creation:
 *
 * <ol>
 *   <li>the API server's admission of the resource, from the CRD file ({@link CrdAdmission}: strict
 *       decoding, defaults, schema, CEL rules);
 *   <li>the reconciler's observe step: {@link EffectiveSpec#of} with the operator's default etcd
 *       endpoints, then {@link SpecValidator#validate}; an error there is what the operator reports
 *       as {@code Degraded}/{@code SpecInvalid} and it creates nothing;
 *   <li>each pool's replicas as the operator sets them when it creates the StatefulSet ({@link
 *       Replicas#target} before any autoscaling decision; no StatefulSet exists yet, so no drain
 *       holds them);
 *   <li>{@link Plan#of} and the {@code io.disagg.operator.model} builders that the dependent
 *       resources call, in the order of the reconciler's workflow.
 * </ol>
 *
 * <p>Pure apart from reading nothing: no cluster, no network. In the cluster each child also gets
 * an owner reference to the DisaggCluster (its uid exists only there) and the namespace defaults
 * the API server applies to the children themselves; everything else is the desired state the
 * operator applies.
 */
public final class OfflineRender {

  /** Kubernetes namespace names ({@code validation.IsDNS1123Label}). */
  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /**
   * The operator settings that change what it renders, and the namespace of the request.
   *
   * @param defaultEtcdEndpoints the operator's {@code disagg.discovery.default-etcd-endpoints}
   *     (each {@code host:port}; may be empty), used when the spec names no endpoint
   * @param namespace the namespace of the request ({@code kubectl -n}), or null when none is given:
   *     then the resource's own {@code metadata.namespace}, else {@value #DEFAULT_NAMESPACE}; a
   *     resource naming another namespace than the one given is an {@link InputException}, as
   *     kubectl refuses it
   * @param networkPolicy the operator's NetworkPolicy settings ({@code disagg.network-policy.*});
   *     {@link NetworkPolicyDefaults#DEFAULT} without configuration
   */
  public record Settings(
      List<String> defaultEtcdEndpoints, String namespace, NetworkPolicyDefaults networkPolicy) {
    public Settings {
      defaultEtcdEndpoints = List.copyOf(defaultEtcdEndpoints);
      Objects.requireNonNull(networkPolicy, "networkPolicy");
    }

    /** With the operator's NetworkPolicy settings as without configuration. */
    public Settings(List<String> defaultEtcdEndpoints, String namespace) {
      this(defaultEtcdEndpoints, namespace, NetworkPolicyDefaults.DEFAULT);
    }
  }

  /** The namespace of a resource that names none when the request names none either. */
  public static final String DEFAULT_NAMESPACE = "default";

  /** The input is not one {@code DisaggCluster} document, or does not fit the settings. */
  public static final class InputException extends Exception {
    private static final long serialVersionUID = 1L;

    InputException(String message) {
      super(message);
    }
  }

  /** Where a refusal comes from. */
  public enum Stage {
    /** The API server refuses the resource (strict decoding, CRD schema, CEL rules). */
    API_SERVER,
    /** The operator refuses to reconcile it ({@code Degraded=True}, reason {@code SpecInvalid}). */
    OPERATOR
  }

  /** What {@link #render} found: either {@link Rendered} or {@link Refused}. */
  public sealed interface Outcome permits Rendered, Refused {
    /** The resource's name ({@code metadata.name}), as far as it has one. */
    String name();

    /**
     * Problems the operator reports as Warning Events ({@code SpecWarning}) without refusing the
     * spec; empty when the API server refused it.
     */
    List<SpecProblem> warnings();

    /** What of the CRD could not be evaluated offline (normally empty). */
    List<String> notChecked();
  }

  /**
   * The resource is refused.
   *
   * @param messages the API server's messages ({@link CrdAdmission.Result#messages()}) or the
   *     operator's problems as {@code field: message} ({@link SpecProblem#toString()}), as its
   *     {@code Degraded} condition lists them
   */
  public record Refused(
      Stage stage,
      String name,
      List<String> messages,
      List<SpecProblem> warnings,
      List<String> notChecked)
      implements Outcome {
    public Refused {
      messages = List.copyOf(messages);
      warnings = List.copyOf(warnings);
      notChecked = List.copyOf(notChecked);
    }
  }

  /**
   * The resource is valid and this is what the operator creates.
   *
   * @param plan the reconciler's plan at creation (effective spec, replicas, rendered files)
   * @param objects the children, in the order of the reconciler's workflow
   */
  public record Rendered(
      String name,
      Plan plan,
      List<HasMetadata> objects,
      List<SpecProblem> warnings,
      List<String> notChecked)
      implements Outcome {
    public Rendered {
      objects = List.copyOf(objects);
      warnings = List.copyOf(warnings);
      notChecked = List.copyOf(notChecked);
    }
  }

  private final CrdAdmission crd;
  private final Settings settings;

  /**
   * A render against one CRD with one set of operator settings; {@link #render} may be called many
   * times.
   *
   * @param crd the CRD the API server would have installed ({@link CrdAdmission#builtIn()} is the
   *     one the operator was built with)
   * @param settings the operator's settings and the request's namespace
   */
  public OfflineRender(CrdAdmission crd, Settings settings) {
    this.crd = Objects.requireNonNull(crd, "crd");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * Renders the one {@code DisaggCluster} of {@code yaml} (YAML or JSON; empty documents are
   * skipped).
   *
   * @throws InputException when the text is not YAML, holds no or several documents, is not a
   *     {@code DisaggCluster} of a served version, or names a namespace other than {@link
   *     Settings#namespace()}
   */
  public Outcome render(String yaml) throws InputException {
    Map<String, Object> object = parse(yaml);
    String name = nameOf(object);
    applyNamespace(object);

    CrdAdmission.Result admitted;
    try {
      admitted = crd.admit(object);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
    if (!admitted.accepted()) {
      return new Refused(
          Stage.API_SERVER, name, admitted.messages(), List.of(), admitted.notChecked());
    }

    // What the operator's informer hands to the reconciler: the stored object.
    DisaggCluster cr = SERIALIZATION.convertValue(admitted.object(), DisaggCluster.class);
    EffectiveSpec.Result effective =
        EffectiveSpec.of(
            cr, settings.defaultEtcdEndpoints(), MonitoringDefaults.OFF, settings.networkPolicy());
    List<SpecProblem> problems = new ArrayList<>(effective.problems());
    problems.addAll(SpecValidator.validate(effective.spec()));
    List<SpecProblem> warnings = problems.stream().filter(p -> !p.isError()).toList();
    List<String> errors =
        problems.stream().filter(SpecProblem::isError).map(String::valueOf).toList();
    if (!errors.isEmpty()) {
      return new Refused(Stage.OPERATOR, name, errors, warnings, admitted.notChecked());
    }

    DisaggCluster spec = effective.spec().cluster();
    Map<Pool, Integer> replicas = new EnumMap<>(Pool.class);
    for (Pool pool : Pool.values()) {
      // No autoscaling decision exists yet at creation.
      replicas.put(pool, Replicas.target(spec, pool, null));
    }
    // A new DisaggCluster's first revision has the legacy names, its router starts with it.
    PairingRevision pairing = PairingRevision.of(effective.spec());
    Plan plan =
        Plan.of(
            effective.spec(),
            RevisionNames.legacy(effective.spec(), pairing.hash()),
            pairing.json(),
            replicas,
            spec.getSpec().getRouter().getReplicas());
    return new Rendered(name, plan, children(plan), warnings, admitted.notChecked());
  }

  /**
   * The children of {@code plan}, each built by the function its dependent resource calls ({@code
   * io.disagg.operator.dependent}), in the order of the reconciler's workflow.
   */
  public static List<HasMetadata> children(Plan plan) {
    DisaggCluster cr = plan.cluster();
    List<HasMetadata> out = new ArrayList<>();
    out.add(ConfigMaps.config(cr, plan.names(), plan.configFiles()));
    out.add(ConfigMaps.fabric(cr, plan.names(), plan.fabricEnv()));
    for (Pool pool : Pool.values()) {
      out.add(PoolServices.desired(cr, pool));
    }
    for (Pool pool : Pool.values()) {
      out.add(
          WorkerStatefulSets.desired(
              cr,
              plan.names(),
              pool,
              plan.replicas(pool),
              plan.workerConfigHash().get(pool),
              plan.pairing()));
    }
    for (Pool pool : Pool.values()) {
      out.add(PoolDisruptionBudgets.desired(cr, pool));
    }
    out.add(
        RouterDeployments.desired(
            cr, plan.names(), plan.routerReplicas(), plan.routerConfigHash()));
    out.add(RouterServices.desired(cr));
    if (plan.spec().podMonitors()) {
      // Where the Prometheus Operator's CRD exists (the operator checks; the render cannot).
      String legacy = plan.names().legacy() ? plan.names().revision() : null;
      out.add(PodMonitors.workers(cr, legacy));
      out.add(PodMonitors.router(cr, legacy));
    }
    if (plan.spec().networkPolicies()) {
      out.add(NetworkPolicies.workers(cr, plan.spec().operatorPeers()));
      out.add(NetworkPolicies.router(cr, plan.spec().operatorPeers()));
    }
    if (ModelCaches.createsClaim(cr)) {
      out.add(ModelCaches.claim(cr));
    }
    if (ModelCaches.downloads(cr)) {
      out.add(ModelCaches.job(cr));
    }
    return out;
  }

  private Map<String, Object> parse(String yaml) throws InputException {
    List<Object> docs = new ArrayList<>();
    try (MappingIterator<Object> it = YAML.readerFor(Object.class).readValues(yaml)) {
      while (it.hasNextValue()) {
        Object doc = it.nextValue();
        if (doc != null) {
          docs.add(doc);
        }
      }
    } catch (JsonProcessingException e) {
      throw new InputException("not valid YAML: " + e.getOriginalMessage());
    } catch (java.io.IOException | RuntimeException e) {
      throw new InputException("not valid YAML: " + e.getMessage());
    }
    if (docs.size() != 1) {
      throw new InputException(
          "expected exactly one " + crd.kind() + " document, found " + docs.size());
    }
    if (!(docs.get(0) instanceof Map<?, ?> map)) {
      throw new InputException("the document is not a YAML mapping (an object)");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) CrdAdmission.normalize(map);
    Object apiVersion = object.get("apiVersion");
    Object kind = object.get("kind");
    if (!crd.kind().equals(kind) || !crd.apiVersions().contains(String.valueOf(apiVersion))) {
      throw new InputException(
          "expected kind "
              + crd.kind()
              + " with apiVersion "
              + String.join(" or ", crd.apiVersions())
              + ", found kind "
              + kind
              + " with apiVersion "
              + apiVersion);
    }
    return object;
  }

  private static String nameOf(Map<String, Object> object) {
    Object meta = object.get("metadata");
    Object name = meta instanceof Map<?, ?> m ? m.get("name") : null;
    return name == null ? "" : String.valueOf(name);
  }

  /**
   * The namespace as kubectl sends it: the object's own, else the one given ({@code -n}); both
   * given and different is refused by kubectl.
   */
  @SuppressWarnings("unchecked")
  private void applyNamespace(Map<String, Object> object) throws InputException {
    Object metaRaw = object.get("metadata");
    if (metaRaw != null && !(metaRaw instanceof Map<?, ?>)) {
      return; // the schema check reports it
    }
    Map<String, Object> meta =
        metaRaw == null ? new LinkedHashMap<>() : (Map<String, Object>) metaRaw;
    object.put("metadata", meta);
    Object own = meta.get("namespace");
    String ns = own == null || String.valueOf(own).isEmpty() ? null : String.valueOf(own);
    String given = settings.namespace();
    if (ns != null && given != null && !ns.equals(given)) {
      throw new InputException(
          "the namespace from the provided object \""
              + ns
              + "\" does not match the namespace \""
              + given
              + "\"; leave one of them out");
    }
    String effective = ns != null ? ns : given != null ? given : DEFAULT_NAMESPACE;
    if (!DNS1123_LABEL.matcher(effective).matches() || effective.length() > 63) {
      throw new InputException(
          "namespace \"" + effective + "\" is not a valid namespace name (RFC 1123 label)");
    }
    meta.put("namespace", effective);
  }
}
