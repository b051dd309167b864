package io.disagg.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The kube-apiserver's audit log (JSON lines, one {@code audit.k8s.io/v1} Event per request that
 * changes an object, see {@code e2e/cluster/audit-policy.yaml}), read from a mark on: the writes of
 * one user by resource and verb.
 */
final class AuditLog {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;

  AuditLog(Path file) {
    this.file = file;
  }

  /** Whether the log exists (the cluster was created with the audit policy). */
  boolean exists() {
    return Files.isRegularFile(file);
  }

  /**
   * A position in the log: the file (its {@code fileKey}, the inode on Linux) and an offset in it.
   * The kube-apiserver rotates the log (renames it to {@code audit-<time>.log} and starts a new
   * one, {@code --audit-log-maxsize}), so an offset alone could point into the wrong file.
   */
  record Mark(Object fileKey, long offset) {}

  /** The current end of the log, to read from later. */
  Mark mark() {
    try {
      return new Mark(fileKey(file), Files.size(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Requests of {@code username} received in {@code [from, to)}, read from {@code mark} on (from
   * the start when the log was rotated since), counted by {@code resource[/subresource] verb}, e.g.
   * {@code "statefulsets patch"}, {@code "disaggclusters/status patch"}.
   */
  Map<String, Integer> writes(Mark mark, String username, Instant from, Instant to) {
    Map<String, Integer> counts = new TreeMap<>();
    for (JsonNode e : entriesFrom(mark)) {
      if (!username.equals(e.path("user").path("username").asText())) {
        continue;
      }
      Instant received = Instant.parse(e.path("requestReceivedTimestamp").asText());
      if (received.isBefore(from) || !received.isBefore(to)) {
        continue;
      }
      JsonNode ref = e.path("objectRef");
      String resource = ref.path("resource").asText("?");
      if (ref.hasNonNull("subresource")) {
        resource += "/" + ref.path("subresource").asText();
      }
      counts.merge(resource + " " + e.path("verb").asText(), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * Latency of the requests on objects in {@code namespace} read from {@code mark} on (from
   * requestReceived to the response), by {@code resource verb code} and user kind ("operator" for
   * {@code operatorUser}, "other" else): {@code "services patch 201 operator" -> "n 101, p50 8.29
   * s, max 10.00 s"}.
   */
  Map<String, String> latencies(Mark mark, String namespace, String operatorUser) {
    Map<String, java.util.List<Double>> all = new TreeMap<>();
    for (JsonNode e : entriesFrom(mark)) {
      JsonNode ref = e.path("objectRef");
      if (!namespace.equals(ref.path("namespace").asText())) {
        continue;
      }
      double seconds =
          java.time.Duration.between(
                      Instant.parse(e.path("requestReceivedTimestamp").asText()),
                      Instant.parse(e.path("stageTimestamp").asText()))
                  .toNanos()
              / 1e9;
      String who =
          operatorUser.equals(e.path("user").path("username").asText()) ? "operator" : "other";
      String key =
          ref.path("resource").asText("?")
              + (ref.hasNonNull("subresource") ? "/" + ref.path("subresource").asText() : "")
              + " "
              + e.path("verb").asText()
              + " "
              + e.path("responseStatus").path("code").asText()
              + " "
              + who;
      all.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(seconds);
    }
    Map<String, String> out = new TreeMap<>();
    all.forEach(
        (k, v) -> {
          v.sort(null);
          out.put(
              k,
              String.format(
                  java.util.Locale.ROOT,
                  "n %d, p50 %.2f s, max %.2f s",
                  v.size(),
                  v.get(v.size() / 2),
                  v.get(v.size() - 1)));
        });
    return out;
  }

  /**
   * The log's entries from {@code mark} on: the rest of the marked file, wherever rotation moved it
   * (a file in the log's directory with the same {@code fileKey}), then the current file when it is
   * another one. A line still being written (no newline yet) is left out.
   */
  private List<JsonNode> entriesFrom(Mark mark) {
    List<JsonNode> entries = new ArrayList<>();
    try {
      Path current = file;
      if (fileKey(current).equals(mark.fileKey())) {
        read(current, mark.offset(), entries);
      } else {
        try (var siblings = Files.list(file.getParent())) {
          for (Path rotated : siblings.toList()) {
            if (!rotated.equals(current) && mark.fileKey().equals(fileKey(rotated))) {
              read(rotated, mark.offset(), entries);
            }
          }
        }
        read(current, 0, entries);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return entries;
  }

  private static void read(Path f, long from, List<JsonNode> into) throws IOException {
    try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "r")) {
      long start = Math.min(from, r.length());
      r.seek(start);
      byte[] rest = new byte[(int) (r.length() - start)];
      r.readFully(rest);
      String text = new String(rest, StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      for (String line : text.substring(0, end + 1).split("\n")) {
        if (!line.isBlank()) {
          into.add(JSON.readTree(line));
        }
      }
    }
  }

  private static Object fileKey(Path f) throws IOException {
    Object key = Files.readAttributes(f, BasicFileAttributes.class).fileKey();
    return key != null ? key : f.toRealPath().toString();
  }
}
