package io.disagg.operator.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What the Kubernetes API server does with a custom resource on create, done offline from the CRD
 * file: strict decoding (unknown fields are refused, as {@code kubectl apply} asks by default),
 * dropping nulls, applying the schema's defaults, validating the metadata name, validating the
 * structural schema and, when nothing blocks them, evaluating the CRD's CEL rules ({@code
 * x-kubernetes-validations}, through {@link CelRules}). Errors are printed as the API server prints
 * them ({@link FieldError}).
 *
 * <p>Followed upstream (Kubernetes 1.33, the version of the project's local control plane):
 * k8s.io/apiextensions-apiserver {@code pkg/apiserver/schema/defaulting/prunenulls.go} and {@code
 * algorithm.go} (nulls and defaults), {@code pkg/apiserver/validation/validation.go} ({@code
 * kubeOpenAPIResultToFieldErrors}: how schema errors become field errors), {@code
 * pkg/registry/customresource/strategy.go} and {@code validator.go} (order: metadata, schema, then
 * CEL unless a blocking error); k8s.io/kube-openapi {@code pkg/validation/validate/} ({@code
 * schema.go}, {@code type.go}, {@code object_validator.go}, {@code slice_validator.go}, {@code
 * schema_props.go}) and {@code pkg/validation/errors/schema.go} (the messages).
 *
 * <p>The schema keywords evaluated are those {@link #SUPPORTED_KEYWORDS} lists; a CRD using any
 * other is still evaluated, and {@link #unsupportedKeywords()} names what is not checked offline.
 * An instance caches its compiled rules and is not safe for concurrent use.
 */
public final class CrdAdmission {

  /** Classpath location of the CRD the operator is built with (a copy of {@code crds/}). */
  public static final String CRD_RESOURCE =
      "/META-INF/disagg/crds/disaggclusters.serving.disagg.io-v1.yml";

  /** Schema keywords this class evaluates as the API server does. */
  public static final Set<String> SUPPORTED_KEYWORDS =
      Set.of(
          "type",
          "description",
          "properties",
          "items",
          "additionalProperties",
          "required",
          "default",
          "enum",
          "minimum",
          "maximum",
          "exclusiveMinimum",
          "exclusiveMaximum",
          "minLength",
          "maxLength",
          "pattern",
          "minItems",
          "maxItems",
          "anyOf",
          "nullable",
          "x-kubernetes-int-or-string",
          "x-kubernetes-preserve-unknown-fields",
          "x-kubernetes-validations");

  /** Fields of {@code metadata} (ObjectMeta) a strict decoder knows. */
  private static final Set<String> OBJECT_META_FIELDS =
      Set.of(
          "name",
          "generateName",
          "namespace",
          "selfLink",
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "labels",
          "annotations",
          "ownerReferences",
          "finalizers",
          "managedFields");

  /** {@code validation.IsDNS1123Subdomain} of k8s.io/apimachinery (names of custom resources). */
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  static final String DNS1123_SUBDOMAIN_MESSAGE =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or"
          + " '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex"
          + " used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

  static final String CEL_NOT_CHECKED =
      "some validation rules were not checked because the object was invalid; correct the existing"
          + " errors to complete validation";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final String group;
  private final String kind;
  private final Map<String, JsonNode> schemas = new LinkedHashMap<>();
  private final CelRules cel = new CelRules();
  private final Set<String> unsupported;

  private CrdAdmission(JsonNode crd) {
    JsonNode spec = crd.path("spec");
    this.group = spec.path("group").asText();
    this.kind = spec.path("names").path("kind").asText();
    for (JsonNode v : spec.path("versions")) {
      if (v.path("served").asBoolean(false)) {
        schemas.put(v.path("name").asText(), v.path("schema").path("openAPIV3Schema"));
      }
    }
    if (group.isEmpty() || kind.isEmpty() || schemas.isEmpty()) {
      throw new IllegalArgumentException(
          "not a CustomResourceDefinition with a served version (spec.group, spec.names.kind,"
              + " spec.versions[].served)");
    }
    Set<String> u = new TreeSet<>();
    schemas.values().forEach(s -> collectUnsupported(s, u));
    this.unsupported = Set.copyOf(u);
  }

  /**
   * Reads a CRD ({@code apiextensions.k8s.io/v1} YAML or JSON).
   *
   * @throws IOException when it cannot be read or parsed
   * @throws IllegalArgumentException when it is no CRD with a served version
   */
  public static CrdAdmission read(InputStream crdYaml) throws IOException {
    return new CrdAdmission(YAML.readTree(crdYaml));
  }

  /**
   * The CRD the operator was built with ({@link #CRD_RESOURCE}, the committed {@code crds/} file).
   *
   * @throws IllegalStateException when the resource is missing from the classpath (a broken build)
   */
  public static CrdAdmission builtIn() {
    try (InputStream in = CrdAdmission.class.getResourceAsStream(CRD_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(CRD_RESOURCE + " is missing from the classpath");
      }
      return read(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + CRD_RESOURCE, e);
    }
  }

  /** The CRD's API group, e.g. {@code serving.disagg.io}. */
  public String group() {
    return group;
  }

  /** The CRD's kind, e.g. {@code DisaggCluster}. */
  public String kind() {
    return kind;
  }

  /** The served {@code apiVersion}s, e.g. {@code serving.disagg.io/v1alpha1}. */
  public List<String> apiVersions() {
    return schemas.keySet().stream().map(v -> group + "/" + v).toList();
  }

  /**
   * Schema keywords of the CRD this class does not evaluate (sorted); the API server checks them,
   * the offline render does not. Empty for the operator's own CRD (a test keeps it so).
   */
  public Set<String> unsupportedKeywords() {
    return new TreeSet<>(unsupported);
  }

  /**
   * The CRD's CEL rules that this evaluator cannot compile (e.g. a Kubernetes extension function it
   * has no binding for), as {@code rule: reason}; the API server evaluates them, the offline render
   * does not. Empty for the operator's own CRD (a test keeps it so).
   */
  public List<String> uncompilableRules() {
    List<String> out = new ArrayList<>();
    schemas.values().forEach(s -> collectRules(s, out));
    return out;
  }

  /**
   * The outcome of {@link #admit}.
   *
   * @param object the object as the API server would store it (defaults applied, nulls dropped,
   *     status removed); meaningful only when {@link #accepted()}
   * @param unknownFields fields the schema does not declare, e.g. {@code spec.foo}, sorted: a
   *     strict decoder refuses the object with them before any validation
   * @param errors the validation errors, in a deterministic order (the API server's order varies)
   * @param notChecked schema keywords and rules this offline evaluation could not check (see {@link
   *     #unsupportedKeywords()}, {@link #uncompilableRules()}), empty for the operator's CRD
   * @param messages the API server's messages: for unknown fields the one of strict decoding
   *     ({@code DisaggCluster in version "v1alpha1" cannot be handled as a DisaggCluster: strict
   *     decoding error: unknown field "spec.foo"}), else one {@link FieldError#toString()} per
   *     error
   */
  public record Result(
      Map<String, Object> object,
      List<String> unknownFields,
      List<FieldError> errors,
      List<String> notChecked,
      List<String> messages) {
    public Result {
      unknownFields = List.copyOf(unknownFields);
      errors = List.copyOf(errors);
      notChecked = List.copyOf(notChecked);
      messages = List.copyOf(messages);
    }

    /** Whether the API server would accept the object. */
    public boolean accepted() {
      return unknownFields.isEmpty() && errors.isEmpty();
    }
  }

  /**
   * Admits {@code object} (a JSON-like tree: maps, lists, strings, numbers, booleans, nulls) as the
   * API server would on create. The caller checks {@code apiVersion} and {@code kind} first ({@link
   * #apiVersions()}, {@link #kind()}); the input is not changed.
   *
   * @throws IllegalArgumentException when {@code apiVersion} names no served version of this CRD
   */
  public Result admit(Map<String, Object> object) {
    String apiVersion = String.valueOf(object.get("apiVersion"));
    String version =
        apiVersion.startsWith(group + "/") ? apiVersion.substring(group.length() + 1) : "";
    JsonNode schema = schemas.get(version);
    if (schema == null || !kind.equals(object.get("kind"))) {
      throw new IllegalArgumentException(
          "not a " + kind + " of " + String.join(", ", apiVersions()) + ": " + apiVersion);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> obj = (Map<String, Object>) normalize(object);
    // The status subresource: on create the API server drops what the client sent.
    obj.remove("status");

    Set<String> unknown = new TreeSet<>();
    unknownFields(obj, schema, null, true, unknown);
    if (!unknown.isEmpty()) {
      // k8s.io/apimachinery runtime/serializer: the sorted strict-decoding errors, wrapped by the
      // API server's "cannot be handled as" (staging/src/k8s.io/apiserver/pkg/endpoints/handlers).
      String message =
          kind
              + " in version "
              + FieldError.goQuote(version)
              + " cannot be handled as a "
              + kind
              + ": strict decoding error: "
              + String.join(
                  ", ",
                  unknown.stream().map(f -> "unknown field " + FieldError.goQuote(f)).toList());
      return new Result(obj, List.copyOf(unknown), List.of(), List.of(), List.of(message));
    }
    pruneNulls(obj, schema);
    applyDefaults(obj, schema);

    List<FieldError> errors = new ArrayList<>(metadataErrors(obj));
    validate(obj, schema, "", errors);
    List<String> notChecked = new ArrayList<>();
    new TreeSet<>(unsupported).forEach(k -> notChecked.add("schema keyword " + k));
    if (errors.stream().anyMatch(FieldError::blocksCelRules)) {
      errors.add(FieldError.invalid(null, null, CEL_NOT_CHECKED));
    } else {
      cel.validate(rootSelf(obj), schema, null, true, errors, notChecked);
    }
    return new Result(
        obj, List.of(), errors, notChecked, errors.stream().map(FieldError::toString).toList());
  }

  // --- strict decoding --------------------------------------------------------------------------

  private static void unknownFields(
      Object data, JsonNode schema, String path, boolean root, Set<String> out) {
    if (data instanceof Map<?, ?> map) {
      if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
          && !schema.has("properties")) {
        return;
      }
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.get("additionalProperties");
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        String child = path == null ? key : path + "." + key;
        if (root && (key.equals("apiVersion") || key.equals("kind"))) {
          continue;
        }
        if (root && key.equals("metadata") && !props.has("metadata")) {
          if (e.getValue() instanceof Map<?, ?> meta) {
            for (Object k : meta.keySet()) {
              if (!OBJECT_META_FIELDS.contains(String.valueOf(k))) {
                out.add("metadata." + k);
              }
            }
          }
          continue;
        }
        if (props.has(key)) {
          unknownFields(e.getValue(), props.get(key), child, false, out);
        } else if (additional != null && additional.isObject()) {
          unknownFields(e.getValue(), additional, child, false, out);
        } else if (additional == null || !additional.asBoolean(false)) {
          if (!schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            out.add(child);
          }
        }
      }
    } else if (data instanceof List<?> list && schema.has("items")) {
      for (int i = 0; i < list.size(); i++) {
        unknownFields(list.get(i), schema.get("items"), path + "[" + i + "]", false, out);
      }
    }
  }

  // --- nulls and defaults (apiextensions-apiserver pkg/apiserver/schema/defaulting) -------------

  private static JsonNode fieldSchema(String key, JsonNode schema) {
    if (schema == null) {
      return null;
    }
    if (schema.path("properties").has(key)) {
      return schema.path("properties").get(key);
    }
    JsonNode additional = schema.get("additionalProperties");
    return additional != null && additional.isObject() ? additional : null;
  }

  /** {@code PruneNonNullableNullsWithoutDefaults}: nulls the schema neither allows nor defaults. */
  private static void pruneNulls(Object data, JsonNode schema) {
    if (data instanceof Map<?, ?> map) {
      Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<?, ?> e = it.next();
        JsonNode s = fieldSchema(String.valueOf(e.getKey()), schema);
        if (e.getValue() == null
            && s != null
            && !s.path("nullable").asBoolean(false)
            && !s.has("default")) {
          it.remove();
        } else {
          pruneNulls(e.getValue(), s);
        }
      }
    } else if (data instanceof List<?> list) {
      JsonNode items = schema == null ? null : schema.get("items");
      list.forEach(v -> pruneNulls(v, items));
    }
  }

  /**
   * {@code Default}: absent (or non-nullable null) properties get their default, then every present
   * value, the new ones included, is defaulted in turn.
   */
  @SuppressWarnings("unchecked")
  private static void applyDefaults(Object data, JsonNode schema) {
    if (schema == null) {
      return;
    }
    if (data instanceof Map<?, ?> raw) {
      Map<String, Object> map = (Map<String, Object>) raw;
      JsonNode props = schema.path("properties");
      props
          .fields()
          .forEachRemaining(
              p -> {
                JsonNode def = p.getValue().get("default");
                if (def == null) {
                  return;
                }
                Object current = map.get(p.getKey());
                boolean nonNullableNull =
                    map.containsKey(p.getKey())
                        && current == null
                        && !p.getValue().path("nullable").asBoolean(false);
                if (!map.containsKey(p.getKey()) || nonNullableNull) {
                  map.put(p.getKey(), normalize(YAML.convertValue(def, Object.class)));
                }
              });
      for (Map.Entry<String, Object> e : map.entrySet()) {
        applyDefaults(e.getValue(), fieldSchema(e.getKey(), schema));
      }
    } else if (data instanceof List<?> list) {
      list.forEach(v -> applyDefaults(v, schema.get("items")));
    }
  }

  // --- metadata -------------------------------------------------------------------------------

  /** {@code ValidateObjectMetaAccessor(..., NameIsDNSSubdomain, ...)} for the name. */
  private static List<FieldError> metadataErrors(Map<String, Object> obj) {
    Object meta = obj.get("metadata");
    Object name = meta instanceof Map<?, ?> m ? m.get("name") : null;
    Object generateName = meta instanceof Map<?, ?> m ? m.get("generateName") : null;
    if (name == null || "".equals(name)) {
      return generateName == null || "".equals(generateName)
          ? List.of(
              new FieldError(
                  FieldError.Type.REQUIRED,
                  "metadata.name",
                  FieldError.OMIT,
                  "name or generateName is required"))
          : List.of();
    }
    String n = String.valueOf(name);
    List<FieldError> out = new ArrayList<>();
    if (n.length() > 253) {
      out.add(FieldError.invalid("metadata.name", n, "must be no more than 253 characters"));
    }
    if (!DNS1123_SUBDOMAIN.matcher(n).matches()) {
      out.add(FieldError.invalid("metadata.name", n, DNS1123_SUBDOMAIN_MESSAGE));
    }
    return out;
  }

  // --- the structural schema (kube-openapi pkg/validation/validate) ----------------------------

  /** {@code SchemaValidator.Validate} for one value; {@code path} as kube-openapi builds it. */
  private static void validate(Object data, JsonNode schema, String path, List<FieldError> out) {
    List<String> types = types(schema);
    if (data == null) {
      if (!types.isEmpty() && !schema.path("nullable").asBoolean(false)) {
        out.add(typeError(path, types, "null"));
      }
      enumCheck(null, schema, path, out);
      return;
    }
    String actual = jsonType(data);
    boolean floatInt = actual.equals("number") && isIntegral(data) && types.contains("integer");
    boolean intFloat = actual.equals("integer") && types.contains("number");
    if (!types.isEmpty() && !(types.contains(actual) || floatInt || intFloat)) {
      out.add(typeError(path, types, actual));
    }
    anyOf(data, schema, path, out);
    if (data instanceof String s) {
      stringChecks(s, schema, path, out);
    }
    if (data instanceof Number n) {
      numberChecks(n, schema, path, out);
    }
    if (data instanceof List<?> list) {
      JsonNode items = schema.get("items");
      if (items != null && items.isObject()) {
        for (int i = 0; i < list.size(); i++) {
          validate(list.get(i), items, path + "[" + i + "]", out);
        }
      }
      if (schema.has("minItems") && list.size() < schema.get("minItems").asLong()) {
        out.add(
            FieldError.invalid(
                name(path),
                (long) list.size(),
                msg(path, "should have at least " + schema.get("minItems").asLong() + " items")));
      }
      if (schema.has("maxItems") && list.size() > schema.get("maxItems").asLong()) {
        long max = schema.get("maxItems").asLong();
        out.add(
            new FieldError(
                FieldError.Type.TOO_MANY,
                name(path),
                (long) list.size(),
                "must have at most " + max + (max == 1 ? " item" : " items")));
      }
    }
    enumCheck(data, schema, path, out);
    if (data instanceof Map<?, ?> map) {
      JsonNode props = schema.path("properties");
      props
          .fields()
          .forEachRemaining(
              p -> {
                if (map.containsKey(p.getKey())) {
                  String child = path.isEmpty() ? p.getKey() : path + "." + p.getKey();
                  validate(map.get(p.getKey()), p.getValue(), child, out);
                }
              });
      JsonNode additional = schema.get("additionalProperties");
      if (additional != null && additional.isObject()) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
          if (!props.has(String.valueOf(e.getKey()))) {
            validate(e.getValue(), additional, path + "." + e.getKey(), out);
          }
        }
      }
      for (JsonNode r : schema.path("required")) {
        if (!map.containsKey(r.asText())) {
          out.add(
              new FieldError(
                  FieldError.Type.REQUIRED, name(path + "." + r.asText()), FieldError.OMIT, ""));
        }
      }
    }
  }

  private static void anyOf(Object data, JsonNode schema, String path, List<FieldError> out) {
    JsonNode anyOf = schema.get("anyOf");
    if (anyOf == null || !anyOf.isArray() || anyOf.isEmpty()) {
      return;
    }
    List<FieldError> best = null;
    for (JsonNode sub : anyOf) {
      List<FieldError> errs = new ArrayList<>();
      validate(data, sub, path, errs);
      if (errs.isEmpty()) {
        return;
      }
      if (best == null) {
        best = errs;
      }
    }
    out.add(
        FieldError.invalid(
            null, "", FieldError.goQuote(path) + " must validate at least one schema (anyOf)"));
    out.addAll(best);
  }

  /**
   * maxLength, then minLength, then pattern: kube-openapi's {@code stringValidator} stops at the
   * first that fails.
   */
  private static void stringChecks(String s, JsonNode schema, String path, List<FieldError> out) {
    long length = s.codePointCount(0, s.length());
    if (schema.has("maxLength") && length > schema.get("maxLength").asLong()) {
      long max = schema.get("maxLength").asLong();
      out.add(
          new FieldError(
              FieldError.Type.TOO_LONG,
              name(path),
              s,
              "may not be more than " + max + (max == 1 ? " byte" : " bytes")));
      return;
    }
    if (schema.has("minLength") && length < schema.get("minLength").asLong()) {
      out.add(
          FieldError.invalid(
              name(path),
              s,
              msg(path, "should be at least " + schema.get("minLength").asLong() + " chars long")));
      return;
    }
    if (schema.has("pattern")) {
      String pattern = schema.get("pattern").asText();
      // Go's regexp (RE2) with MatchString: a match anywhere, as re2j finds it.
      if (!com.google.re2j.Pattern.compile(pattern).matcher(s).find()) {
        out.add(FieldError.invalid(name(path), s, msg(path, "should match '" + pattern + "'")));
      }
    }
  }

  private static void numberChecks(Number n, JsonNode schema, String path, List<FieldError> out) {
    double v = n.doubleValue();
    Object value = n instanceof Double ? n : (Object) n.longValue();
    if (schema.has("maximum")) {
      double max = schema.get("maximum").asDouble();
      boolean exclusive = schema.path("exclusiveMaximum").asBoolean(false);
      if (exclusive ? v >= max : v > max) {
        out.add(
            FieldError.invalid(
                name(path),
                value,
                msg(
                    path,
                    "should be less than "
                        + (exclusive ? "" : "or equal to ")
                        + bound(max, n instanceof Double))));
      }
    }
    if (schema.has("minimum")) {
      double min = schema.get("minimum").asDouble();
      boolean exclusive = schema.path("exclusiveMinimum").asBoolean(false);
      if (exclusive ? v <= min : v < min) {
        out.add(
            FieldError.invalid(
                name(path),
                value,
                msg(
                    path,
                    "should be greater than "
                        + (exclusive ? "" : "or equal to ")
                        + bound(min, n instanceof Double))));
      }
    }
  }

  /** A bound as kube-openapi prints it: {@code %d} against an integer, {@code %v} otherwise. */
  private static String bound(double b, boolean floatValue) {
    return floatValue ? FieldError.goFloat(b) : String.valueOf((long) b);
  }

  private static void enumCheck(Object data, JsonNode schema, String path, List<FieldError> out) {
    JsonNode e = schema.get("enum");
    if (e == null || !e.isArray() || e.isEmpty()) {
      return;
    }
    List<String> allowed = new ArrayList<>();
    for (JsonNode v : e) {
      Object candidate = normalize(YAML.convertValue(v, Object.class));
      if (Objects.equals(candidate, data)) {
        return;
      }
      allowed.add(FieldError.goQuote(v.isTextual() ? v.asText() : v.toString()));
    }
    out.add(
        new FieldError(
            FieldError.Type.NOT_SUPPORTED,
            name(path),
            data,
            "supported values: " + String.join(", ", allowed)));
  }

  private static FieldError typeError(String path, List<String> types, String actual) {
    return new FieldError(
        FieldError.Type.TYPE_INVALID,
        name(path),
        actual,
        msg(
            path,
            "must be of type " + String.join(",", types) + ": " + FieldError.goQuote(actual)));
  }

  /** {@code <path> in body <what>}, the kube-openapi message of a field. */
  private static String msg(String path, String what) {
    return path + " in body " + what;
  }

  /** The field of an error: kube-openapi's name without its leading dot. */
  private static String name(String path) {
    return path.startsWith(".") ? path.substring(1) : path;
  }

  private static List<String> types(JsonNode schema) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return List.of("integer", "string");
    }
    return schema.has("type") ? List.of(schema.get("type").asText()) : List.of();
  }

  static String jsonType(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String) {
      return "string";
    }
    if (v instanceof Boolean) {
      return "boolean";
    }
    if (v instanceof Long || v instanceof Integer || v instanceof BigInteger) {
      return "integer";
    }
    if (v instanceof Number) {
      return "number";
    }
    if (v instanceof List<?>) {
      return "array";
    }
    return "object";
  }

  private static boolean isIntegral(Object v) {
    double d = ((Number) v).doubleValue();
    return !Double.isInfinite(d) && d == Math.rint(d);
  }

  /**
   * A deep, mutable copy with numbers as the API server's JSON decoder has them: integral numbers
   * as {@link Long}, others as {@link Double}.
   */
  static Object normalize(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), normalize(x)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(x -> out.add(normalize(x)));
      return out;
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b) {
      return b.bitLength() < 64 ? (Object) b.longValue() : b.doubleValue();
    }
    if (v instanceof Float || v instanceof BigDecimal) {
      return ((Number) v).doubleValue();
    }
    return v;
  }

  // --- CEL --------------------------------------------------------------------------------------

  /**
   * {@code self} of the root rules: the object with {@code apiVersion}, {@code kind} and of {@code
   * metadata} only {@code name} and {@code generateName}, as {@code model.WithTypeAndObjectMeta}
   * exposes them.
   */
  private static Map<String, Object> rootSelf(Map<String, Object> obj) {
    Map<String, Object> self = new LinkedHashMap<>(obj);
    Map<String, Object> meta = new LinkedHashMap<>();
    if (obj.get("metadata") instanceof Map<?, ?> m) {
      for (String k : List.of("name", "generateName")) {
        if (m.get(k) != null) {
          meta.put(k, m.get(k));
        }
      }
    }
    self.put("metadata", meta);
    return self;
  }

  private void collectRules(JsonNode schema, List<String> out) {
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      for (String key : List.of("rule", "messageExpression")) {
        String expression = rule.path(key).asText("");
        String problem = expression.isEmpty() ? null : cel.compileProblem(expression);
        if (problem != null) {
          out.add(expression + ": " + problem);
        }
      }
    }
    children(schema).forEach(c -> collectRules(c, out));
  }

  private static void collectUnsupported(JsonNode schema, Set<String> out) {
    schema
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (!SUPPORTED_KEYWORDS.contains(k)) {
                out.add(k);
              }
            });
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      rule.fieldNames()
          .forEachRemaining(
              k -> {
                if (!k.equals("rule") && !k.equals("message") && !k.equals("messageExpression")) {
                  out.add("x-kubernetes-validations[]." + k);
                }
              });
    }
    children(schema).forEach(c -> collectUnsupported(c, out));
  }

  private static List<JsonNode> children(JsonNode schema) {
    List<JsonNode> out = new ArrayList<>();
    schema.path("properties").elements().forEachRemaining(out::add);
    if (schema.path("items").isObject()) {
      out.add(schema.get("items"));
    }
    if (schema.path("additionalProperties").isObject()) {
      out.add(schema.get("additionalProperties"));
    }
    schema.path("anyOf").elements().forEachRemaining(out::add);
    return out;
  }
}
