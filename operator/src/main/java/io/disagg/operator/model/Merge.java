package io.disagg.operator.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Merges user-given additions with what the operator owns. The rule everywhere: the operator's
 * entries come first and keep their values; a user entry whose key collides with one of them is
 * dropped; other user entries are kept in their order. User objects are deep-copied so the primary
 * resource (shared with the informer cache) is never mutated.
 */
final class Merge {
  private Merge() {}

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Deep copy of a Kubernetes model object through JSON; null stays null. */
  static <T> T copy(T value, Class<T> type) {
    return value == null ? null : MAPPER.convertValue(value, type);
  }

  /** Deep copies of a list's elements; null gives an empty list. */
  static <T> List<T> copyAll(List<T> values, Class<T> type) {
    List<T> out = new ArrayList<>();
    if (values != null) {
      for (T v : values) {
        if (v != null) {
          out.add(copy(v, type));
        }
      }
    }
    return out;
  }

  /** {@code user} then {@code operator} entries: the operator's win on equal keys. */
  static Map<String, String> maps(Map<String, String> user, Map<String, String> operator) {
    Map<String, String> out = new LinkedHashMap<>();
    if (user != null) {
      out.putAll(user);
    }
    out.putAll(operator);
    return out;
  }

  /**
   * The operator's elements, then deep copies of the user's elements whose key is not among the
   * operator's keys (nor repeated among the user's).
   */
  static <T> List<T> lists(List<T> operator, List<T> user, Class<T> type, Function<T, String> key) {
    List<T> out = new ArrayList<>(operator);
    Set<String> seen = new HashSet<>();
    for (T o : operator) {
      seen.add(key.apply(o));
    }
    for (T u : copyAll(user, type)) {
      if (seen.add(key.apply(u))) {
        out.add(u);
      }
    }
    return out;
  }

  /** Null-safe list: null gives an empty list. */
  static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
