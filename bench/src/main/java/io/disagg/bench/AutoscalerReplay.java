package io.disagg.bench;

import io.disagg.operator.api.v1alpha1.AutoscalingMetricType;
import io.disagg.operator.core.Pool;
import io.disagg.operator.scaling.ClusterPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark "the autoscaler replayed on a trace" (issue 13, section 2): replays one synthetic day
 * ({@link Trace}) through the serving model ({@link Simulation}) under each policy and prints a
 * Markdown table: GPU-hours (and the ratio to the oracle's, measured in the same run), SLO
 * attainment, scale events and time under-provisioned.
 *
 * <pre>
 * AutoscalerReplay [--hours H] [--start-hour S] [--rate R] [--seed N] [--load-minutes M]
 *                  [--commit SHA] [--doc docs/benchmarks.md] [--png docs/benchmarks]
 *                  [--context-metric TYPE:TARGET]...
 * </pre>
 *
 * With {@code --doc}, the table replaces the part of that file between {@code <!--
 * autoscaler-replay:start -->} and {@code <!-- autoscaler-replay:end -->}; with {@code --png}, the
 * plots ({@link Plots}) are written into that directory. Each {@code --context-metric} adds a
 * policy: the operator's defaults with the context pool scaled on that one metric instead.
 */
public final class AutoscalerReplay {

  /** Start marker of the generated part of docs/benchmarks.md. */
  static final String START = "<!-- autoscaler-replay:start -->";

  /** End marker of the generated part of docs/benchmarks.md. */
  static final String END = "<!-- autoscaler-replay:end -->";

  /** Options of one run. */
  record Options(
      double hours,
      double startHour,
      double rate,
      long seed,
      double loadMinutes,
      String commit,
      Path doc,
      Path png,
      List<String> contextMetrics) {
    static Options parse(String[] args) {
      Trace.Params d = Trace.Params.DEFAULT;
      double hours = 24;
      double start = 0;
      double rate = d.meanRate();
      long seed = d.seed();
      double load = ServingParams.DEFAULT.modelLoadSeconds() / 60;
      String commit = "unknown";
      Path doc = null;
      Path png = null;
      List<String> contextMetrics = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        String v = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--hours" -> hours = Double.parseDouble(v);
          case "--start-hour" -> start = Double.parseDouble(v);
          case "--rate" -> rate = Double.parseDouble(v);
          case "--seed" -> seed = Long.parseLong(v);
          case "--load-minutes" -> load = Double.parseDouble(v);
          case "--commit" -> commit = v;
          case "--doc" -> doc = Path.of(v);
          case "--png" -> png = Path.of(v);
          case "--context-metric" -> contextMetrics.add(v);
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
        i++;
      }
      return new Options(hours, start, rate, seed, load, commit, doc, png, contextMetrics);
    }
  }

  /** The outcome of one run: the results per policy, oracle first, and the report. */
  record Run(List<Result> results, String markdown) {}

  public static void main(String[] args) throws IOException {
    Options o = Options.parse(args);
    Run run = run(o);
    System.out.println(run.markdown());
    if (o.png() != null) {
      for (Path p : Plots.write(o.png(), o.startHour(), run.results())) {
        System.out.println("wrote " + p);
      }
    }
    if (o.doc() != null) {
      updateDoc(o.doc(), run.markdown());
      System.out.println("updated " + o.doc());
    }
  }

  static Run run(Options o) {
    long t0 = System.nanoTime();
    Trace.Params base = Trace.Params.DEFAULT;
    Trace.Params tp =
        base.withSeed(o.seed()).window(o.startHour() * 3600, o.hours() * 3600, o.rate());
    ServingParams sp = ServingParams.DEFAULT.withModelLoadSeconds(o.loadMinutes() * 60);
    Trace trace = new Trace(tp);
    Needs needs = Needs.of(trace, sp);

    int gpus = sp.gpusPerInstance();
    int peakGpus = (needs.peak(Pool.CONTEXT) + needs.peak(Pool.GENERATION)) * gpus;
    double minRatio = Double.MAX_VALUE;
    double maxRatio = 0;
    for (int m = 0; m < needs.minutes(); m++) {
      double r = (double) needs.need(Pool.CONTEXT, m) / needs.need(Pool.GENERATION, m);
      minRatio = Math.min(minRatio, r);
      maxRatio = Math.max(maxRatio, r);
    }
    ClusterPolicy bounds = new ClusterPolicy(peakGpus, minRatio / 2, maxRatio * 2);

    List<Simulation.Policy> policies = new ArrayList<>();
    policies.add(Policies.oracle());
    policies.add(
        Policies.fixed("static at peak", needs.peak(Pool.CONTEXT), needs.peak(Pool.GENERATION)));
    policies.add(
        Policies.fixed("static at mean", needs.mean(Pool.CONTEXT), needs.mean(Pool.GENERATION)));
    policies.add(Policies.hpa(sp));
    policies.add(Policies.operator("operator defaults", sp, ClusterPolicy.NONE));
    policies.add(
        Policies.operator(
            String.format(
                Locale.ROOT,
                "operator defaults + gpuBudget %d, ratio %.2f..%.2f",
                peakGpus,
                bounds.minContextPerGeneration(),
                bounds.maxContextPerGeneration()),
            sp,
            bounds));

    for (String cm : o.contextMetrics()) {
      String[] kv = cm.split(":", 2);
      AutoscalingMetricType type = AutoscalingMetricType.valueOf(kv[0]);
      double target = Double.parseDouble(kv[1]);
      policies.add(
          Policies.operatorWithContextMetric(
              "operator, context " + type + " " + kv[1], sp, type, target, ClusterPolicy.NONE));
    }

    List<Result> results = new ArrayList<>();
    for (Simulation.Policy p : policies) {
      results.add(new Simulation(sp, trace, needs, p).run());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Run(results, report(o, tp, sp, needs, results, seconds));
  }

  static String report(
      Options o,
      Trace.Params tp,
      ServingParams sp,
      Needs needs,
      List<Result> results,
      double seconds) {
    StringBuilder b = new StringBuilder();
    Result oracle = results.get(0);
    b.append(
        String.format(
            Locale.ROOT,
            "Run %s, commit %s, %s %s, %d CPUs, Java %s; replay took %.0f s.%n%n",
            Instant.now().truncatedTo(ChronoUnit.SECONDS),
            o.commit(),
            System.getProperty("os.name"),
            System.getProperty("os.arch"),
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("java.version"),
            seconds));
    b.append(
        String.format(
            Locale.ROOT,
            "Trace: seed %d, %.1f h from %02.0f:00, mean rate %.1f requests/s, %d requests;"
                + " model: %s, %d GPUs per instance, model load %.0f min; SLO: TTFT <= %.1f s and"
                + " TPOT <= %.0f ms. Oracle needs: context %d..%d (mean %d), generation %d..%d"
                + " (mean %d) instances.%n%n",
            tp.seed(),
            tp.durationSeconds() / 3600,
            tp.startSecondOfDay() / 3600,
            tp.meanRate(),
            oracle.requests(),
            sp.model(),
            sp.gpusPerInstance(),
            sp.modelLoadSeconds() / 60,
            sp.ttftSloSeconds(),
            sp.tpotSloSeconds() * 1000,
            min(needs, Pool.CONTEXT),
            needs.peak(Pool.CONTEXT),
            needs.mean(Pool.CONTEXT),
            min(needs, Pool.GENERATION),
            needs.peak(Pool.GENERATION),
            needs.mean(Pool.GENERATION)));
    b.append(
        "| policy | GPU-hours | / oracle | SLO attainment | TTFT p99 (s) | TPOT p99 (ms) | lost"
            + " requests | scale events (ctx / gen) | under-provisioned h (ctx / gen) |\n");
    b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Result r : results) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %.2f | %.2f %% | %.2f | %.1f | %d | %d / %d | %.2f / %.2f |%n",
              r.policy(),
              r.gpuHours(),
              r.gpuHours() / oracle.gpuHours(),
              100 * r.sloAttainment(),
              r.ttftQuantile(0.99),
              1000 * r.tpotQuantile(0.99),
              r.lost(),
              r.scaleEvents(Pool.CONTEXT),
              r.scaleEvents(Pool.GENERATION),
              r.underProvisionedHours(Pool.CONTEXT),
              r.underProvisionedHours(Pool.GENERATION)));
    }
    return b.toString();
  }

  private static int min(Needs needs, Pool pool) {
    int m = Integer.MAX_VALUE;
    for (int i = 0; i < needs.minutes(); i++) {
      m = Math.min(m, needs.need(pool, i));
    }
    return m;
  }

  static void updateDoc(Path doc, String markdown) throws IOException {
    String text = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "";
    String block = START + "\n" + markdown + END;
    int s = text.indexOf(START);
    int e = text.indexOf(END);
    String out =
        s >= 0 && e > s
            ? text.substring(0, s) + block + text.substring(e + END.length())
            : text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + block + "\n";
    Files.writeString(doc, out, StandardCharsets.UTF_8);
  }
}
