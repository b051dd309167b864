package io.disagg.operator.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * YAML writer for the files TensorRT-LLM reads with PyYAML's {@code yaml.safe_load} (a YAML 1.1
 * loader). Deterministic: maps are written in their iteration order, no document start marker,
 * {@code \n} line breaks, no line folding.
 *
 * <p>Strings are written plain where that is unambiguous and double-quoted whenever a YAML 1.1 or
 * 1.2 loader could resolve the plain form to something else (booleans such as {@code on}, {@code
 * yes}, numbers such as {@code 8000}, {@code 1_000}, {@code 0x1F}, {@code 12:30}, timestamps,
 * null). Floating-point numbers are written in plain decimal notation with a decimal point ({@code
 * 1.0E10} would be a string to PyYAML, {@code 10000000000.0} is a float).
 */
final class TrtllmYaml {
  private TrtllmYaml() {}

  private static final ObjectMapper MAPPER = build();

  /** The YAML text of a tree of maps, lists and scalars. */
  static String write(Object tree) {
    try {
      return MAPPER.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render YAML: " + e.getMessage(), e);
    }
  }

  private static ObjectMapper build() {
    YAMLFactory factory =
        YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .disable(YAMLGenerator.Feature.USE_PLATFORM_LINE_BREAKS)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .stringQuotingChecker(new Yaml11QuotingChecker())
            .build();
    SimpleModule floats = new SimpleModule("trtllm-yaml-floats");
    floats.addSerializer(Double.class, new FloatSerializer<>(Double.class));
    floats.addSerializer(Double.TYPE, new FloatSerializer<>(Double.TYPE));
    floats.addSerializer(Float.class, new FloatSerializer<>(Float.class));
    floats.addSerializer(Float.TYPE, new FloatSerializer<>(Float.TYPE));
    return YAMLMapper.builder(factory).addModule(floats).build();
  }

  /** PyYAML-compatible spelling of a float: plain decimal with a point, or .inf/.nan. */
  static String pythonFloat(double d) {
    if (Double.isNaN(d)) {
      return ".nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? ".inf" : "-.inf";
    }
    String s = new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    return s.indexOf('.') < 0 ? s + ".0" : s;
  }

  private static final class FloatSerializer<T> extends StdSerializer<T> {
    FloatSerializer(Class<T> type) {
      super(type);
    }

    @Override
    public void serialize(T value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      double d =
          value instanceof Float f
              ? Double.parseDouble(Float.toString(f))
              : ((Number) value).doubleValue();
      gen.writeNumber(pythonFloat(d));
    }
  }

  /**
   * Jackson's default checks plus everything a YAML 1.1 resolver (PyYAML) would not read as a
   * string. Quoting more than needed is harmless: a double-quoted scalar is always a string.
   */
  static final class Yaml11QuotingChecker extends StringQuotingChecker.Default {
    private static final long serialVersionUID = 1L;

    /** bool and null of YAML 1.1 (y/n included: some loaders resolve them). */
    private static final Pattern KEYWORD =
        Pattern.compile(
            "(?:y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
                + "|~|null|Null|NULL|<<|=)");

    /**
     * Anything shaped like an int or float of YAML 1.1/1.2: decimal, 0b/0o/0x, base 60, exponents,
     * underscores.
     */
    private static final Pattern NUMBERISH =
        Pattern.compile("[-+]?\\.?[0-9][0-9a-fA-FxXoO_.:eE+-]*");

    /** .inf / .nan spellings. */
    private static final Pattern SPECIAL_FLOAT =
        Pattern.compile("[-+]?\\.(?:inf|Inf|INF|nan|NaN|NAN)");

    /** YAML 1.1 timestamps start with yyyy-m-d. */
    private static final Pattern TIMESTAMP =
        Pattern.compile("[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt\\s].*)?");

    static boolean resolvesToNonString(String s) {
      return s.isEmpty()
          || KEYWORD.matcher(s).matches()
          || NUMBERISH.matcher(s).matches()
          || SPECIAL_FLOAT.matcher(s).matches()
          || TIMESTAMP.matcher(s).matches();
    }

    @Override
    public boolean needToQuoteValue(String value) {
      return super.needToQuoteValue(value) || resolvesToNonString(value);
    }

    @Override
    public boolean needToQuoteName(String name) {
      return super.needToQuoteName(name) || resolvesToNonString(name);
    }
  }
}
