package io.disagg.e2e.bench;

import io.disagg.e2e.bench.ControlPlaneBench.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The control-plane benchmark's tables (Markdown), and writing them into a document. */
final class Report {

  static final String START = "<!-- control-plane:start -->";
  static final String END = "<!-- control-plane:end -->";

  private Report() {}

  /** The machine: OS, architecture, CPUs and their model, memory, Java. */
  static String machine() {
    String model = "";
    long memKiB = 0;
    try {
      model =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .findFirst()
              .orElse("");
      memKiB =
          Files.readAllLines(Path.of("/proc/meminfo")).stream()
              .filter(l -> l.startsWith("MemTotal:"))
              .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
              .findFirst()
              .orElse(0L);
    } catch (IOException ignored) {
      // not Linux: OS and CPU count only
    }
    return String.format(
        Locale.ROOT,
        "%s %s, %d CPUs%s, %.0f GiB, Java %s",
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors(),
        model.isEmpty() ? "" : " (" + model + ")",
        memKiB / 1024.0 / 1024.0,
        System.getProperty("java.version"));
  }

  static String markdown(List<Result> results, String commit, Instant started, long tookSeconds) {
    StringBuilder out = new StringBuilder();
    Result first = results.get(0);
    out.append(
        String.format(
            Locale.ROOT,
            "Run %s, commit %s, %s; the run took %d s.%n%n",
            started.truncatedTo(ChronoUnit.SECONDS),
            commit,
            machine(),
            tookSeconds));
    out.append(
        String.format(
            Locale.ROOT,
            "Operator JVM: `%s` (the chart's memory limit and `javaOpts`), %s GC, max heap %d MiB.%n%n",
            String.join(" ", first.jvmOptions()),
            first.collector(),
            first.maxHeapMiB()));
    out.append("Time from the start of the apply, seconds; ratio = operator / SSA.\n\n");
    out.append(
        "| N | CRs applied | children: operator | children: SSA | ratio | Ready: operator |"
            + " Ready: SSA | ratio |\n");
    out.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Result r : results) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %d | %.1f | %.1f | %s | **%s** | %s | %s | **%s** |%n",
              r.n(),
              r.operator().applySeconds(),
              r.operator().childrenSeconds(),
              r.ssa().ran()
                  ? String.format(Locale.ROOT, "%.1f", r.ssa().childrenSeconds())
                  : "not run",
              ratio(r.childrenRatio()),
              ready(r.operator()),
              r.ssa().ran() ? ready(r.ssa()) : "not run",
              ratio(r.readyRatio())));
    }
    out.append(
        "\nWrites of the operator's ServiceAccount (audit log; `resource[/subresource] verb"
            + " count`). The leader-election Lease is counted apart.\n\n");
    out.append(
        "| N | quiet window | Lease in the quiet window | no-op annotation | scale 1 to 2"
            + " (s until the status is Ready for the new generation) |\n");
    out.append("| ---: | --- | --- | --- | --- |\n");
    for (Result r : results) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %d | %s (%.0f s) | %s | %s | %s (%.1f s) |%n",
              r.n(),
              cell(withoutLease(r.quietWrites())),
              r.quietSeconds(),
              cell(lease(r.quietWrites())),
              cell(withoutLease(r.noOpWrites())),
              cell(withoutLease(r.scaleWrites())),
              r.scaleReadySeconds()));
    }
    out.append(
        "\nOperator process: live heap after a full GC (`jcmd GC.run`, `GC.heap_info`), RSS and"
            + " threads (`/proc`), CPU seconds (user + system). N = 0: leading, after the"
            + " warm-up cluster came and went, nothing to reconcile.\n\n");
    out.append(
        "| N | live heap (MiB) | RSS (MiB) | threads | CPU s, apply to Ready | CPU s per"
            + " quiet minute |\n");
    out.append("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    out.append(
        String.format(
            Locale.ROOT,
            "| 0 | %.0f | %.0f | %d | | |%n",
            first.idle().heapUsedMiB(),
            first.idle().rssMiB(),
            first.idle().threads()));
    for (Result r : results) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %d | %.0f | %.0f | %d | %.1f | %.1f |%n",
              r.n(),
              r.loaded().heapUsedMiB(),
              r.loaded().rssMiB(),
              r.loaded().threads(),
              r.cpuApplyToReady(),
              r.cpuQuiet() * 60 / r.quietSeconds()));
    }
    return out.toString();
  }

  private static String ratio(double ratio) {
    return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2f", ratio);
  }

  private static String ready(ControlPlaneBench.Side side) {
    return Double.isNaN(side.readySeconds())
        ? "timeout (" + side.readyAtTimeout() + " ready)"
        : String.format(Locale.ROOT, "%.1f", side.readySeconds());
  }

  static Map<String, Integer> withoutLease(Map<String, Integer> writes) {
    return writes.entrySet().stream()
        .filter(e -> !e.getKey().startsWith("leases "))
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, Integer::sum, TreeMap::new));
  }

  static Map<String, Integer> lease(Map<String, Integer> writes) {
    return writes.entrySet().stream()
        .filter(e -> e.getKey().startsWith("leases "))
        .collect(
            Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, Integer::sum, TreeMap::new));
  }

  private static String cell(Map<String, Integer> writes) {
    if (writes.isEmpty()) {
      return "none";
    }
    return writes.entrySet().stream()
        .map(e -> "`" + e.getKey() + "` " + e.getValue())
        .collect(Collectors.joining(", "));
  }

  /** Replaces the text between {@link #START} and {@link #END} in {@code doc}. */
  static void writeInto(Path doc, String table) {
    try {
      String text = Files.readString(doc);
      int s = text.indexOf(START);
      int e = text.indexOf(END);
      if (s < 0 || e < s) {
        throw new IllegalStateException(doc + " has no " + START + " ... " + END + " markers");
      }
      Files.writeString(
          doc, text.substring(0, s + START.length()) + "\n" + table + text.substring(e));
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }
}
