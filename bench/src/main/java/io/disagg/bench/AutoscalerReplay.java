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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Benchmark "the autoscaler replayed on a trace" (issue 13, section 2): replays one synthetic day
 * ({@link Trace}) through the serving model ({@link Simulation}) under each policy and prints a
 * Markdown table: GPU-hours per pool (and the ratio to the oracle's, measured in the same run), SLO
 * attainment, scale events and time under-provisioned. Policies: the oracle, the reactive oracle
 * that bounds what any scaler knowing only the present can reach ({@link #reactiveBound}), static
 * provisioning, an HPA per pool, the operator's autoscaler with its defaults (with and without
 * cluster bounds), with its previous context default, and with the best settings found ({@link
 * Policies#tuned}, also with the context pool read through Prometheus, and {@link
 * Policies#shortLoads}). Policies run in parallel (up to 4 threads); each is deterministic.
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
      for (Path p : Plots.write(o.png(), o.startHour(), run.results(), AutoscalerReplay::plotted)) {
        System.out.println("wrote " + p);
      }
    }
    if (o.doc() != null) {
      updateDoc(o.doc(), run.markdown());
      System.out.println("updated " + o.doc());
    }
  }

  /**
   * Whether the instances plot shows the policy: the oracles, the operator's defaults and the tuned
   * settings (the others are in the table; the previous defaults' swings to maxInstances would
   * flatten the plot).
   */
  static boolean plotted(Result r) {
    String p = r.policy();
    return p.equals("oracle")
        || p.startsWith("reactive oracle")
        || p.equals("operator defaults")
        || p.startsWith("operator, tuned (");
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
    policies.add(Policies.previousDefaults(sp));
    policies.add(Policies.tuned(sp));
    policies.add(Policies.tunedWithPromptTokens(sp));
    policies.add(Policies.shortLoads(sp));

    for (String cm : o.contextMetrics()) {
      String[] kv = cm.split(":", 2);
      AutoscalingMetricType type = AutoscalingMetricType.valueOf(kv[0]);
      double target = Double.parseDouble(kv[1]);
      policies.add(
          Policies.operatorWithContextMetric(
              "operator, context " + type + " " + kv[1], sp, type, target, ClusterPolicy.NONE));
    }

    int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Bound bound;
    List<Result> results = new ArrayList<>();
    try {
      List<Future<Result>> runs = new ArrayList<>();
      for (Simulation.Policy p : policies) {
        runs.add(pool.submit(() -> new Simulation(sp, trace, needs, p).run()));
      }
      bound = reactiveBound(sp, trace, needs, pool);
      for (Future<Result> f : runs) {
        results.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("replay interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("replay failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
    results.add(1, bound.result());
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Run(results, report(o, tp, sp, needs, results, bound, seconds));
  }

  /** SLO attainment the issue asks of the defaults. */
  static final double SLO_TARGET = 0.99;

  /** Hold times the reactive-oracle search tries, minutes. */
  static final int[] BOUND_HOLD_MINUTES = {0, 1, 2, 5};

  /** Generation headrooms the reactive-oracle search tries. */
  static final double[] BOUND_GENERATION_HEADROOM = {1.0, 1.5};

  /** Context headrooms the search bisects: 1 + k / 10 for k = 0..20 (1.0 to 3.0). */
  static final int BOUND_STEPS = 20;

  /**
   * The reactive oracle that bounds what a reactive scaler can do on this trace: the cheapest
   * setting ({@link Policies#reactiveOracle}) that reaches {@link #SLO_TARGET}, or, when none does,
   * the one with the highest SLO attainment.
   *
   * @param result its replay
   * @param met whether it reaches {@link #SLO_TARGET}
   * @param tried settings replayed
   */
  record Bound(Result result, boolean met, int tried) {}

  /**
   * Searches the reactive oracle's settings: per hold time and generation headroom, the lowest
   * context headroom (1.0 to 3.0 in steps of 0.1, by bisection, which assumes SLO attainment grows
   * with headroom) that reaches the SLO target; then the cheapest of those.
   */
  static Bound reactiveBound(ServingParams sp, Trace trace, Needs needs, ExecutorService pool)
      throws InterruptedException, ExecutionException {
    List<Future<Bound>> searches = new ArrayList<>();
    for (int hold : BOUND_HOLD_MINUTES) {
      for (double hg : BOUND_GENERATION_HEADROOM) {
        searches.add(pool.submit(() -> bisect(sp, trace, needs, hg, hold)));
      }
    }
    Bound best = null;
    int tried = 0;
    for (Future<Bound> f : searches) {
      Bound b = f.get();
      tried += b.tried();
      if (best == null
          || (b.met() && (!best.met() || b.result().gpuHours() < best.result().gpuHours()))
          || (!b.met()
              && !best.met()
              && b.result().sloAttainment() > best.result().sloAttainment())) {
        best = b;
      }
    }
    return new Bound(best.result(), best.met(), tried);
  }

  private static Bound bisect(ServingParams sp, Trace trace, Needs needs, double hg, int hold) {
    Map<Integer, Result> seen = new HashMap<>();
    java.util.function.IntFunction<Result> at =
        k ->
            seen.computeIfAbsent(
                k,
                x -> {
                  double hc = 1 + x / 10.0;
                  String name =
                      String.format(
                          Locale.ROOT,
                          "reactive oracle (headroom ctx %.1f, gen %.1f; hold %d min)",
                          hc,
                          hg,
                          hold);
                  return new Simulation(
                          sp, trace, needs, Policies.reactiveOracle(name, hc, hg, hold))
                      .run();
                });
    if (at.apply(BOUND_STEPS).sloAttainment() < SLO_TARGET) {
      return new Bound(at.apply(BOUND_STEPS), false, seen.size());
    }
    int lo = 0;
    int hi = BOUND_STEPS;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (at.apply(mid).sloAttainment() >= SLO_TARGET) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return new Bound(at.apply(lo), true, seen.size());
  }

  static String report(
      Options o,
      Trace.Params tp,
      ServingParams sp,
      Needs needs,
      List<Result> results,
      Bound bound,
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
        String.format(
            Locale.ROOT,
            "Reactive oracle: %s of %d settings replayed (context headroom 1.0..3.0 by bisection,"
                + " generation headroom %s, hold %s min)%s.%n%n",
            bound.met()
                ? String.format(
                    Locale.ROOT, "the cheapest with >= %.0f %% SLO attainment", 100 * SLO_TARGET)
                : String.format(
                    Locale.ROOT,
                    "none reached %.0f %% SLO attainment; the one with the highest",
                    100 * SLO_TARGET),
            bound.tried(),
            join(BOUND_GENERATION_HEADROOM),
            join(BOUND_HOLD_MINUTES),
            bound.met()
                ? String.format(
                    Locale.ROOT,
                    ": what a scaler needed that knew each minute's load exactly when the minute"
                        + " began but not the minutes after (%.2fx the oracle's GPU-hours)",
                    bound.result().gpuHours() / oracle.gpuHours())
                : ""));
    b.append(
        "| policy | GPU-hours (ctx / gen) | / oracle | SLO attainment | TTFT p99 (s) | TPOT p99"
            + " (ms) | lost requests | scale events (ctx / gen) | under-provisioned h (ctx /"
            + " gen) |\n");
    b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Result r : results) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f (%.1f / %.1f) | %.2f | %.2f %% | %.2f | %.1f | %d | %d / %d | %.2f /"
                  + " %.2f |%n",
              r.policy(),
              r.gpuHours(),
              r.gpuHours(Pool.CONTEXT),
              r.gpuHours(Pool.GENERATION),
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

  private static String join(double[] values) {
    List<String> out = new ArrayList<>();
    for (double v : values) {
      out.add(String.format(Locale.ROOT, "%.1f", v));
    }
    return String.join(" or ", out);
  }

  private static String join(int[] values) {
    List<String> out = new ArrayList<>();
    for (int v : values) {
      out.add(Integer.toString(v));
    }
    return String.join(", ", out);
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
