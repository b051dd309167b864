package io.disagg.operator.render;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

/**
 * A Kubernetes quantity as the CEL quantity library sees it ({@code isQuantity}, {@code quantity},
 * {@code isGreaterThan} of k8s.io/apiserver {@code pkg/cel/library/quantity.go}): parsed as
 * k8s.io/apimachinery {@code pkg/api/resource/quantity.go} {@code ParseQuantity} parses ({@code
 * parseQuantityString}, then the suffix by {@code quantitySuffixer.interpret}), compared by value.
 *
 * @param value the amount (bytes, cores or units), exact
 */
record KubeQuantity(BigDecimal value) implements Comparable<KubeQuantity> {

  private static final Map<String, BigDecimal> SUFFIXES =
      Map.ofEntries(
          Map.entry("Ki", BigDecimal.valueOf(1L << 10)),
          Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
          Map.entry("Gi", BigDecimal.valueOf(1L << 30)),
          Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
          Map.entry("Pi", BigDecimal.valueOf(1L << 50)),
          Map.entry("Ei", BigDecimal.valueOf(1L << 60)),
          Map.entry("n", BigDecimal.ONE.scaleByPowerOfTen(-9)),
          Map.entry("u", BigDecimal.ONE.scaleByPowerOfTen(-6)),
          Map.entry("m", BigDecimal.ONE.scaleByPowerOfTen(-3)),
          Map.entry("", BigDecimal.ONE),
          Map.entry("k", BigDecimal.ONE.scaleByPowerOfTen(3)),
          Map.entry("M", BigDecimal.ONE.scaleByPowerOfTen(6)),
          Map.entry("G", BigDecimal.ONE.scaleByPowerOfTen(9)),
          Map.entry("T", BigDecimal.ONE.scaleByPowerOfTen(12)),
          Map.entry("P", BigDecimal.ONE.scaleByPowerOfTen(15)),
          Map.entry("E", BigDecimal.ONE.scaleByPowerOfTen(18)));

  /** The quantity {@code s} denotes, or empty when {@code ParseQuantity} refuses it. */
  static Optional<KubeQuantity> parse(String s) {
    if (s.isEmpty()) {
      return Optional.empty();
    }
    int pos = 0;
    int end = s.length();
    boolean positive = true;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      positive = s.charAt(0) == '+';
      pos++;
    }
    int numStart = pos;
    while (pos < end && isDigit(s.charAt(pos))) {
      pos++;
    }
    String num = s.substring(numStart, pos);
    String denom = "";
    if (pos < end && s.charAt(pos) == '.') {
      pos++;
      int denomStart = pos;
      while (pos < end && isDigit(s.charAt(pos))) {
        pos++;
      }
      denom = s.substring(denomStart, pos);
    }
    // The suffix: letters of "eEinumkKMGTP", then an optional sign and digits (an exponent).
    int suffixStart = pos;
    while (pos < end && "eEinumkKMGTP".indexOf(s.charAt(pos)) >= 0) {
      pos++;
    }
    if (pos < end && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) {
      pos++;
    }
    while (pos < end && isDigit(s.charAt(pos))) {
      pos++;
    }
    if (pos < end) {
      return Optional.empty(); // "quantities must match the regular expression"
    }
    String suffix = s.substring(suffixStart);
    BigDecimal multiplier = SUFFIXES.get(suffix);
    if (multiplier == null) {
      if (suffix.length() > 1 && (suffix.charAt(0) == 'e' || suffix.charAt(0) == 'E')) {
        try {
          multiplier = BigDecimal.ONE.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
        } catch (NumberFormatException | ArithmeticException e) {
          return Optional.empty();
        }
      } else {
        return Optional.empty(); // ErrSuffix
      }
    }
    BigDecimal amount =
        new BigDecimal(new BigInteger((num.isEmpty() ? "0" : num) + denom), denom.length());
    amount = amount.multiply(multiplier);
    return Optional.of(new KubeQuantity(positive ? amount : amount.negate()));
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  @Override
  public int compareTo(KubeQuantity o) {
    return value.compareTo(o.value);
  }
}
