package io.disagg.operator.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one place where the operator hashes things: SHA-256, hex, truncated to {@value #LENGTH}
 * characters. Hashes are stable across JVMs and operator restarts (map keys are sorted before
 * hashing), so an unchanged spec always yields the same hash and causes no write.
 */
public final class Hashes {
  private Hashes() {}

  /** Length of every hash, in hex characters (64 bits). */
  public static final int LENGTH = 16;

  /** Canonical JSON: map keys sorted, so the order of user-given maps does not matter. */
  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  /** SHA-256 of the UTF-8 bytes of {@code text}, hex, truncated to {@value #LENGTH} characters. */
  public static String sha256(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      StringBuilder sb = new StringBuilder(LENGTH);
      for (int i = 0; i < LENGTH / 2; i++) {
        sb.append(String.format("%02x", digest[i]));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Hash of what a worker process reads at start: its LLM-API YAML file and the fabric environment
   * (NIXL/UCX/libfabric variables). Both are read only when {@code trtllm-serve} starts, so this
   * hash goes on the pod template ({@link Labels#CONFIG_HASH}) and a change rolls the pods. Each
   * part is length-prefixed, so no two different inputs collide by concatenation.
   *
   * @param file content of the file (e.g. {@code context.yaml}); null is treated as empty
   * @param env environment variables; order does not matter; null is treated as empty
   */
  public static String configHash(String file, Map<String, String> env) {
    StringBuilder sb = new StringBuilder();
    String f = file == null ? "" : file;
    sb.append("file:").append(f.length()).append(':').append(f).append('\n');
    if (env != null) {
      for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
        String v = e.getValue() == null ? "" : e.getValue();
        sb.append("env:")
            .append(e.getKey().length())
            .append(':')
            .append(e.getKey())
            .append('=')
            .append(v.length())
            .append(':')
            .append(v)
            .append('\n');
      }
    }
    return sha256(sb.toString());
  }

  /** Hash of a single configuration file (e.g. the router's {@code router.yaml}). */
  public static String configHash(String file) {
    return configHash(file, Map.of());
  }

  /**
   * Hash of a desired child resource: its kind, name, namespace, labels, annotations (without
   * {@link Labels#DESIRED_HASH} itself) and everything outside {@code metadata} and {@code status}
   * (spec, data, ...), serialized as canonical JSON.
   */
  @SuppressWarnings("unchecked")
  public static String desiredHash(HasMetadata resource) {
    Map<String, Object> tree = MAPPER.convertValue(resource, LinkedHashMap.class);
    tree.remove("metadata");
    tree.remove("status");
    var meta = resource.getMetadata();
    Map<String, String> annotations = new HashMap<>();
    if (meta.getAnnotations() != null) {
      annotations.putAll(meta.getAnnotations());
    }
    annotations.remove(Labels.DESIRED_HASH);
    tree.put("name", meta.getName());
    tree.put("namespace", meta.getNamespace());
    tree.put("labels", meta.getLabels() == null ? Map.of() : meta.getLabels());
    tree.put("annotations", annotations);
    try {
      return sha256(MAPPER.writeValueAsString(tree));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot serialize " + resource.getKind() + " " + meta.getName(), e);
    }
  }

  /**
   * Puts {@link Labels#DESIRED_HASH} = {@link #desiredHash} on the resource and returns it. Call it
   * last, once the desired resource is complete.
   */
  public static <T extends HasMetadata> T withDesiredHash(T resource) {
    String hash = desiredHash(resource);
    var meta = resource.getMetadata();
    Map<String, String> annotations = new LinkedHashMap<>();
    if (meta.getAnnotations() != null) {
      annotations.putAll(meta.getAnnotations());
    }
    annotations.put(Labels.DESIRED_HASH, hash);
    meta.setAnnotations(annotations);
    return resource;
  }

  /** The {@link Labels#DESIRED_HASH} annotation of a resource, or null. */
  public static String desiredHashOf(HasMetadata resource) {
    if (resource == null
        || resource.getMetadata() == null
        || resource.getMetadata().getAnnotations() == null) {
      return null;
    }
    return resource.getMetadata().getAnnotations().get(Labels.DESIRED_HASH);
  }

  /**
   * True iff the actual resource carries the desired one's {@link Labels#DESIRED_HASH}: the
   * operator wrote exactly this desired state before, so nothing needs to be written.
   */
  public static boolean sameDesiredHash(HasMetadata actual, HasMetadata desired) {
    String want = desiredHashOf(desired);
    return want != null && want.equals(desiredHashOf(actual));
  }
}
