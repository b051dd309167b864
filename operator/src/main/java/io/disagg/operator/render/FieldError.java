package io.disagg.operator.render;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;

/**
 * One reason the API server refuses an object, printed exactly as the API server prints it: {@code
 * <field>: <type>[: <value>][: <detail>]}, e.g. {@code spec.context.port: Invalid value: 0:
 * spec.context.port in body should be greater than or equal to 1}. Follows {@code field.Error} of
 * k8s.io/apimachinery ({@code pkg/util/validation/field/errors.go}, {@code Error()} and {@code
 * ErrorBody()}): the bad value is printed as Go's {@code %v} for numbers and booleans and {@code
 * %q} for strings, and omitted for the types that omit it.
 *
 * @param type the kind of error (decides the words after the field)
 * @param field the field path, e.g. {@code spec.discovery}; null for an error without a field,
 *     printed {@code <nil>} as the API server does
 * @param badValue the offending value (a {@link String}, {@link Long}, {@link Double}, {@link
 *     Boolean}, null for JSON null), or {@link #OMIT} when the error shows none
 * @param detail the explanation after the value; may be empty
 */
public record FieldError(Type type, String field, Object badValue, String detail) {

  /** The bad value of an error that prints none ({@code field.OmitValueType} upstream). */
  public static final Object OMIT =
      new Object() {
        @Override
        public String toString() {
          return "<omitted>";
        }
      };

  /** The error types the offline checks produce, with the words the API server prints. */
  public enum Type {
    /** {@code field.Invalid} (and {@code field.TypeInvalid}, which prints the same words). */
    INVALID("Invalid value", true),
    /** {@code field.TypeInvalid}: the value has the wrong JSON type; blocks the CEL rules. */
    TYPE_INVALID("Invalid value", true),
    /** {@code field.NotSupported}: a value outside an enum; blocks the CEL rules. */
    NOT_SUPPORTED("Unsupported value", true),
    /** {@code field.Required}: the value is missing; blocks the CEL rules. */
    REQUIRED("Required value", false),
    /** {@code field.TooLong}: a string over maxLength; blocks the CEL rules. */
    TOO_LONG("Too long", false),
    /** {@code field.TooMany}: a list over maxItems; blocks the CEL rules. */
    TOO_MANY("Too many", true);

    private final String words;
    private final boolean showsValue;

    Type(String words, boolean showsValue) {
      this.words = words;
      this.showsValue = showsValue;
    }
  }

  public FieldError {
    Objects.requireNonNull(type, "type");
    detail = detail == null ? "" : detail;
  }

  /** {@code field.Invalid(field, value, detail)}. */
  public static FieldError invalid(String field, Object value, String detail) {
    return new FieldError(Type.INVALID, field, value, detail);
  }

  /**
   * Whether this error keeps the API server from evaluating the CEL rules: type, enum, required,
   * maxLength and maxItems violations ({@code hasBlockingErr} in k8s.io/apiextensions-apiserver
   * {@code pkg/registry/customresource/strategy.go}).
   */
  public boolean blocksCelRules() {
    return type == Type.TYPE_INVALID
        || type == Type.NOT_SUPPORTED
        || type == Type.REQUIRED
        || type == Type.TOO_LONG
        || type == Type.TOO_MANY;
  }

  /** {@code <field>: <body>}, as the API server's error message and status causes print it. */
  @Override
  public String toString() {
    return (field == null ? "<nil>" : field) + ": " + body();
  }

  /** The message without the field ({@code ErrorBody()} upstream). */
  public String body() {
    StringBuilder s = new StringBuilder(type.words);
    if (type.showsValue && badValue != OMIT) {
      s.append(": ").append(goValue(badValue));
    }
    if (!detail.isEmpty()) {
      s.append(": ").append(detail);
    }
    return s.toString();
  }

  /**
   * A JSON value as Go's {@code fmt} prints it in these messages: strings quoted ({@code %q}),
   * numbers and booleans as {@code %v}, JSON null as {@code "null"}.
   */
  static String goValue(Object v) {
    if (v == null) {
      return goQuote("null");
    }
    if (v instanceof String s) {
      return goQuote(s);
    }
    if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      return goFloat(((Number) v).doubleValue());
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    // Objects and lists: the API server's own errors never show them (they print the type name or
    // omit the value).
    return String.valueOf(v);
  }

  /** Go's {@code strconv.Quote}: double quotes, backslash escapes for quotes and control bytes. */
  static String goQuote(String s) {
    StringBuilder b = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case 0x07 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case 0x0b -> b.append("\\v");
                default -> {
                  if (c < 0x20 || c == 0x7f) {
                    b.append(String.format("\\x%02x", c));
                  } else {
                    b.appendCodePoint(c);
                  }
                }
              }
            });
    return b.append('"').toString();
  }

  /**
   * Go's {@code %v} of a float64 ({@code strconv.FormatFloat(f, 'g', -1, 64)}): the shortest
   * digits, in exponent form when the decimal exponent is below -4 or at least 6, as Go does for
   * the shortest precision (1e+06, 1.5e-05, 1000, 0.25).
   */
  static String goFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "+Inf" : "-Inf";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0" : "0";
    }
    BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    BigInteger unscaled = b.unscaledValue().abs();
    String digits = unscaled.toString();
    int exp = digits.length() - 1 - b.scale(); // decimal exponent of the first digit
    String sign = d < 0 ? "-" : "";
    if (exp < -4 || exp >= 6) {
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      String e = String.valueOf(Math.abs(exp));
      return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }
    return sign + b.abs().toPlainString();
  }
}
