package io.disagg.operator.render;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CRD's CEL rules ({@code x-kubernetes-validations}) evaluated as the API server evaluates
 * them, with Google's CEL implementation for Java (dev.cel). Follows k8s.io/apiextensions-apiserver
 * {@code pkg/apiserver/schema/cel/validation.go} ({@code validate}, {@code validateExpressions},
 * {@code validateMap}, {@code validateArray}): the rules of a schema node are evaluated with {@code
 * self} bound to the node's value when it is present and not null, then the node's properties, map
 * values and list items in turn; a rule that is false gives {@code Invalid value: "<schema type>":
 * <message>} at the node's field path, a rule that fails to evaluate gives {@code <error>
 * evaluating rule: <message>}.
 *
 * <p>The environment is CEL's standard library and macros ({@code has}, {@code all}, {@code
 * exists_one}, {@code size}, {@code in}, {@code matches}) with comparisons across numeric types, as
 * Kubernetes enables them. Kubernetes' extension libraries (quantity, lists, URLs, IP/CIDR, ...)
 * are not bound: none of the operator's rules uses one, and a rule that would need one does not
 * compile here and is reported as not checked offline ({@link CrdAdmission#uncompilableRules()}).
 * Values are converted by their schema type as the API server does ({@code integer} as int, {@code
 * number} as double, int-or-string as either). Each rule is compiled once per instance.
 */
final class CelRules {

  private static final Pattern NO_SUCH_KEY = Pattern.compile("key '(.*)' is not present in map");

  /** The CEL type of the quantity library's values. */
  private static final CelType QUANTITY = OpaqueType.create("kubernetes.Quantity");

  private final Cel cel =
      CelFactory.standardCelBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("self", SimpleType.DYN)
          .setOptions(CelOptions.current().enableHeterogeneousNumericComparisons(true).build())
          .addFunctionDeclarations(
              CelFunctionDecl.newFunctionDeclaration(
                  "isQuantity",
                  CelOverloadDecl.newGlobalOverload(
                      "is_quantity_string", SimpleType.BOOL, SimpleType.STRING)),
              CelFunctionDecl.newFunctionDeclaration(
                  "quantity",
                  CelOverloadDecl.newGlobalOverload(
                      "string_to_quantity", QUANTITY, SimpleType.STRING)),
              CelFunctionDecl.newFunctionDeclaration(
                  "isGreaterThan",
                  CelOverloadDecl.newMemberOverload(
                      "quantity_is_greater_than", SimpleType.BOOL, QUANTITY, QUANTITY)))
          .addFunctionBindings(
              CelFunctionBinding.from(
                  "is_quantity_string", String.class, s -> KubeQuantity.parse(s).isPresent()),
              CelFunctionBinding.from(
                  "string_to_quantity",
                  String.class,
                  s ->
                      KubeQuantity.parse(s)
                          .orElseThrow(
                              () ->
                                  new IllegalArgumentException(
                                      "quantities must match the regular expression"))),
              CelFunctionBinding.from(
                  "quantity_is_greater_than",
                  KubeQuantity.class,
                  KubeQuantity.class,
                  (a, b) -> a.compareTo(b) > 0))
          .build();

  /** A compiled rule, or why it does not compile. */
  private record Compiled(CelRuntime.Program program, String problem) {}

  private final Map<String, Compiled> compiled = new HashMap<>();

  /** Why {@code rule} does not compile here, or null when it does. */
  String compileProblem(String rule) {
    return compile(rule).problem();
  }

  private Compiled compile(String rule) {
    return compiled.computeIfAbsent(
        rule,
        r -> {
          try {
            CelAbstractSyntaxTree ast = cel.compile(r).getAst();
            return new Compiled(cel.createProgram(ast), null);
          } catch (CelValidationException | CelEvaluationException | RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            return new Compiled(null, m.lines().findFirst().orElse(m));
          }
        });
  }

  /**
   * Evaluates the rules of {@code schema} and of everything below it against {@code data}.
   *
   * @param path the field path in the API server's notation ({@code spec.context}, {@code
   *     spec.x[key]}, {@code spec.list[0]}); null at the root
   * @param errors where failed rules go
   * @param notChecked where rules that do not compile here go ({@code <path>: <rule>})
   */
  void validate(
      Object data,
      JsonNode schema,
      String path,
      boolean root,
      List<FieldError> errors,
      List<String> notChecked) {
    if (data == null || schema == null) {
      return;
    }
    String type = schemaType(schema);
    for (JsonNode r : schema.path("x-kubernetes-validations")) {
      String rule = r.path("rule").asText();
      String message = r.path("message").asText("").strip();
      String shown = message.isEmpty() ? rule.strip() : message;
      Compiled c = compile(rule);
      if (c.program() == null) {
        notChecked.add((path == null ? "<root>" : path) + ": " + rule + " (" + c.problem() + ")");
        continue;
      }
      Object result;
      try {
        result = c.program().eval(Map.of("self", toCel(data, schema)));
      } catch (CelEvaluationException e) {
        errors.add(
            FieldError.invalid(path, type, evaluationError(e) + " evaluating rule: " + shown));
        continue;
      }
      if (!Boolean.TRUE.equals(result)) {
        String detail = message.isEmpty() ? "failed rule: " + shown : message;
        String fromExpression =
            messageExpression(r.path("messageExpression").asText(""), data, schema);
        errors.add(
            FieldError.invalid(path, type, fromExpression != null ? fromExpression : detail));
      }
    }
    if (data instanceof Map<?, ?> map) {
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.get("additionalProperties");
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        if (root && key.equals("metadata")) {
          continue;
        }
        if (props.has(key)) {
          validate(
              e.getValue(),
              props.get(key),
              path == null ? key : path + "." + key,
              false,
              errors,
              notChecked);
        } else if (additional != null && additional.isObject()) {
          validate(
              e.getValue(),
              additional,
              (path == null ? "" : path) + "[" + key + "]",
              false,
              errors,
              notChecked);
        }
      }
    } else if (data instanceof List<?> list && schema.path("items").isObject()) {
      for (int i = 0; i < list.size(); i++) {
        validate(
            list.get(i),
            schema.get("items"),
            (path == null ? "" : path) + "[" + i + "]",
            false,
            errors,
            notChecked);
      }
    }
  }

  /**
   * The message a rule's {@code messageExpression} gives, or null when there is none or it does not
   * evaluate to a non-blank single-line string ({@code evalMessageExpression} upstream, which then
   * falls back to the message).
   */
  private String messageExpression(String expression, Object data, JsonNode schema) {
    if (expression.isBlank()) {
      return null;
    }
    Compiled c = compile(expression);
    if (c.program() == null) {
      return null;
    }
    try {
      Object v = c.program().eval(Map.of("self", toCel(data, schema)));
      if (v instanceof String m && !m.isBlank() && m.strip().indexOf('\n') < 0) {
        return m.strip();
      }
    } catch (CelEvaluationException e) {
      // falls back to the message
    }
    return null;
  }

  /** cel-go's wording for the errors the rules can meet ({@code no such key: x}). */
  private static String evaluationError(CelEvaluationException e) {
    String m = String.valueOf(e.getMessage());
    Matcher k = NO_SUCH_KEY.matcher(m);
    if (k.find()) {
      return "no such key: " + k.group(1);
    }
    int colon = m.indexOf(": ");
    return colon > 0 && m.startsWith("evaluation error") ? m.substring(colon + 2) : m;
  }

  /** The node's schema type as the API server names it in rule errors. */
  private static String schemaType(JsonNode schema) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return "";
    }
    return schema.path("type").asText("");
  }

  /**
   * A JSON value as a CEL value of the schema's type ({@code UnstructuredToVal} upstream): objects
   * and maps as maps, lists as lists, {@code integer} as long, {@code number} as double.
   */
  static Object toCel(Object data, JsonNode schema) {
    if (data instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      JsonNode props = schema == null ? null : schema.path("properties");
      JsonNode additional = schema == null ? null : schema.get("additionalProperties");
      map.forEach(
          (k, v) -> {
            String key = String.valueOf(k);
            JsonNode s =
                props != null && props.has(key)
                    ? props.get(key)
                    : additional != null && additional.isObject() ? additional : null;
            out.put(key, toCel(v, s));
          });
      return out;
    }
    if (data instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      JsonNode items = schema == null ? null : schema.get("items");
      list.forEach(v -> out.add(toCel(v, items)));
      return out;
    }
    if (data instanceof Number n && schema != null) {
      String type = schema.path("type").asText("");
      if (type.equals("number")) {
        return n.doubleValue();
      }
      if (type.equals("integer")) {
        return n.longValue();
      }
    }
    return data;
  }
}
