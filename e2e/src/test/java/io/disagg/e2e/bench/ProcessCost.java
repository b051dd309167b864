package io.disagg.e2e.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a JVM process costs: live heap after a full GC ({@code jcmd GC.run}, then {@code
 * GC.heap_info}), resident memory and threads ({@code /proc/<pid>/status}: {@code VmRSS}, {@code
 * Threads}) and CPU time ({@code /proc/<pid>/stat}: utime + stime). Linux only.
 *
 * @param heapUsedMiB heap in use after the full GC, MiB (sum of the heap generations' "used")
 * @param rssMiB resident set, MiB
 * @param threads threads of the process
 * @param cpuSeconds user + system CPU time since the process started, seconds
 */
record ProcessCost(double heapUsedMiB, double rssMiB, int threads, double cpuSeconds) {

  /** " garbage-first heap total 262144K, used 45678K", "PSYoungGen total ..., used ...K". */
  private static final Pattern HEAP_LINE =
      Pattern.compile("^\\s*(\\S.*?)\\s+total \\d+K, used (\\d+)K", Pattern.MULTILINE);

  /** Assumed clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
  private static final double TICKS = 100.0;

  static ProcessCost measure(long pid) {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    long usedK = 0;
    Matcher m = HEAP_LINE.matcher(info);
    while (m.find()) {
      usedK += Long.parseLong(m.group(2));
    }
    if (usedK == 0) {
      throw new IllegalStateException("no heap usage in GC.heap_info:\n" + info);
    }
    return new ProcessCost(usedK / 1024.0, rssKiB(pid) / 1024.0, threads(pid), cpuSeconds(pid));
  }

  /** The garbage collector a JVM runs (from {@code jcmd VM.flags}), e.g. "G1". */
  static String collector(long pid) {
    String flags = jcmd(pid, "VM.flags");
    Matcher m = Pattern.compile("-XX:\\+Use(\\w+)GC\\b").matcher(flags);
    return m.find() ? m.group(1) : "?";
  }

  /** The max heap a JVM runs with (from {@code jcmd VM.flags}), MiB. */
  static long maxHeapMiB(long pid) {
    String flags = jcmd(pid, "VM.flags");
    Matcher m = Pattern.compile("-XX:MaxHeapSize=(\\d+)").matcher(flags);
    return m.find() ? Long.parseLong(m.group(1)) / (1024 * 1024) : -1;
  }

  /**
   * Threads of a JVM by name, digits replaced by {@code #} ({@code jcmd Thread.print}), most
   * frequent first, e.g. {@code "vert.x-eventloop-thread-#" 4}.
   */
  static java.util.Map<String, Integer> threadNames(long pid) {
    String dump = jcmd(pid, "Thread.print");
    java.util.Map<String, Integer> counts = new java.util.HashMap<>();
    Matcher m = Pattern.compile("^\"([^\"]*)\"", Pattern.MULTILINE).matcher(dump);
    while (m.find()) {
      counts.merge(m.group(1).replaceAll("\\d+", "#"), 1, Integer::sum);
    }
    java.util.Map<String, Integer> sorted = new java.util.LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(java.util.Map.Entry.<String, Integer>comparingByValue().reversed())
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  /**
   * The {@code top} classes of a JVM's live heap by bytes ({@code jcmd GC.class_histogram}, which
   * runs a full GC first): the histogram's header and first {@code top} rows as jcmd prints them.
   */
  static String classHistogram(long pid, int top) {
    String[] lines = jcmd(pid, "GC.class_histogram").split("\n");
    StringBuilder out = new StringBuilder();
    int rows = 0;
    for (String line : lines) {
      boolean row = line.matches("\\s*\\d+:.*");
      if (row && rows++ >= top) {
        break;
      }
      if (row || line.contains("#instances")) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  /** Runs {@code jcmd <pid> <command>} of this JVM's JDK, bounded to 60 s; its standard output. */
  private static String jcmd(long pid, String command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    return LocalTools.run(Duration.ofSeconds(60), List.of(jcmd.toString(), "" + pid, command), null)
        .orFail()
        .stdout();
  }

  static double cpuSeconds(long pid) {
    String stat = read(Path.of("/proc", "" + pid, "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    // after "pid (comm) ": state is field 3, utime field 14, stime field 15
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
  }

  private static long rssKiB(long pid) {
    return statusField(pid, "VmRSS");
  }

  private static int threads(long pid) {
    return (int) statusField(pid, "Threads");
  }

  private static long statusField(long pid, String name) {
    for (String line : read(Path.of("/proc", "" + pid, "status")).split("\n")) {
      if (line.startsWith(name + ":")) {
        return Long.parseLong(line.substring(name.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException(name + " not in /proc/" + pid + "/status");
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
