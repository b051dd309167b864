package io.disagg.bench;

import io.disagg.operator.core.Pool;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A discrete-event model of a disaggregated deployment: a context pool and a generation pool of
 * instances, a router in front of each, and a scaler ({@link Policy}) that sets each pool's
 * instance count every evaluation interval.
 *
 * <p>Per request: the router sends it to the ready context instance with the fewest queued prompt
 * tokens; a context instance processes its queue first come first served at {@link
 * ServingParams#prefillTokensPerSecond} (a fluid view of TensorRT-LLM's chunked batching of up to
 * {@code max_num_tokens} per iteration). Then the router sends it to the ready generation instance
 * with the fewest reserved KV-cache tokens; it waits there until the instance admits it, which
 * needs a free batch slot and KV-cache room for prompt + output (as TensorRT-LLM's default capacity
 * scheduler policy GUARANTEED_NO_EVICT reserves a request's full length; the output length stands
 * in for the client's {@code max_tokens}). Admitted requests generate one token per decode
 * iteration of {@link ServingParams#decodeStep} seconds.
 *
 * <p>TTFT is from arrival to admission on a generation instance (assumed: the generation server
 * streams the first token, produced by the context phase, when it takes the request; the KV-cache
 * transfer time is not modelled). TPOT is the mean time per further token: {@code (finish -
 * admission) / (output - 1)}; requests with one output token have no TPOT.
 *
 * <p>Instances: a new instance loads for {@link ServingParams#modelLoadSeconds} before it serves;
 * GPU time counts from its start. A removed instance either drains (no new requests; it goes away
 * when its queue and batch are empty; as the operator's drain planner) or is killed (no new
 * requests; after {@link ServingParams#terminationGraceSeconds} whatever it still holds is lost, as
 * when an HPA lowers a StatefulSet). A draining instance is taken back into service when its pool
 * grows again. Removals take the newest instances first, as a StatefulSet does.
 */
public final class Simulation {

  /** How a removed instance leaves. */
  public enum Removal {
    DRAIN,
    KILL
  }

  /** A scaler: called once at the start and then every {@link #intervalSeconds()}. */
  public interface Policy {
    String name();

    double intervalSeconds();

    /** Sets the initial instance counts ({@link Simulation#start}). */
    void init(Simulation sim);

    /** One evaluation at {@link Simulation#now()}. */
    void tick(Simulation sim);
  }

  enum State {
    LOADING,
    READY,
    DRAINING,
    KILLING,
    GONE
  }

  /** One request in flight. */
  static final class Req {
    final Trace.Request r;
    double admitted = Double.NaN;
    double admitV;
    double targetV;
    Instance at;

    Req(Trace.Request r) {
      this.r = r;
    }

    long reserve() {
      return (long) r.promptTokens() + r.outputTokens();
    }
  }

  /** One instance of either pool. */
  final class Instance {
    final Pool pool;
    final int ordinal;
    final double createdAt;
    State state;
    int version;
    // context: FIFO queue; head is being processed
    final ArrayDeque<Req> queue = new ArrayDeque<>();
    long queuedTokens;
    double headDoneAt = Double.NaN;
    // generation: waiting FIFO + running batch ordered by completion (virtual token clock)
    final PriorityQueue<Req> running =
        new PriorityQueue<>((a, b) -> Double.compare(a.targetV, b.targetV));
    long reservedTokens;
    long waitingTokens;
    double v;
    double vAt;

    Instance(Pool pool, int ordinal, double createdAt, State state) {
      this.pool = pool;
      this.ordinal = ordinal;
      this.createdAt = createdAt;
      this.state = state;
    }

    boolean empty() {
      return queue.isEmpty() && running.isEmpty();
    }

    void advanceV() {
      if (!running.isEmpty()) {
        v += (now - vAt) / params.decodeStep(running.size());
      }
      vAt = now;
    }

    /** Load gauges as a TensorRT-LLM worker exports them: running, waiting, KV utilization. */
    double[] gauges() {
      if (pool == Pool.CONTEXT) {
        int run = 0;
        long tokens = 0;
        for (Req q : queue) {
          if (run > 0 && tokens + q.r.promptTokens() > params.maxNumTokens()) {
            break;
          }
          tokens += q.r.promptTokens();
          run++;
        }
        return new double[] {
          run, queue.size() - run, Math.min(1, (double) tokens / params.kvCacheTokens())
        };
      }
      advanceV();
      double used = 0;
      for (Req q : running) {
        used += q.r.promptTokens() + Math.min(q.r.outputTokens(), 1 + (v - q.admitV));
      }
      return new double[] {
        running.size(), queue.size(), Math.min(1, used / params.kvCacheTokens())
      };
    }
  }

  private record Event(double time, long seq, int type, Instance inst, int version) {}

  private static final int ARRIVAL = 0;
  private static final int CTX_DONE = 1;
  private static final int GEN_DONE = 2;
  private static final int READY = 3;
  private static final int KILL = 4;
  private static final int TICK = 5;

  private final ServingParams params;
  private final Trace trace;
  private final Needs needs;
  private final Policy policy;
  private final PriorityQueue<Event> events =
      new PriorityQueue<>(
          (a, b) -> a.time != b.time ? Double.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
  private long seq;
  private double now;
  private final List<Instance> contexts = new ArrayList<>();
  private final List<Instance> generations = new ArrayList<>();
  private final ArrayDeque<Req> contextPending = new ArrayDeque<>();
  private final ArrayDeque<Req> generationPending = new ArrayDeque<>();
  private int nextOrdinalCtx;
  private int nextOrdinalGen;
  private long contextRequestsSent;
  private long contextPromptTokensDone;
  private Iterator<Trace.Request> arrivals;
  private Trace.Request nextArrival;
  private final Result result;

  public Simulation(ServingParams params, Trace trace, Needs needs, Policy policy) {
    this.params = params;
    this.trace = trace;
    this.needs = needs;
    this.policy = policy;
    this.result = new Result(policy.name(), needs.minutes());
  }

  public double now() {
    return now;
  }

  public ServingParams params() {
    return params;
  }

  public Needs needs() {
    return needs;
  }

  /**
   * Requests the router has sent to the context pool so far (arrivals, including those waiting for
   * a ready instance): the counter {@code ctx_total_requests_total} of the router's context client,
   * summed over router replicas (TensorRT-LLM {@code tensorrt_llm/serve/perf_metrics.py}, {@code
   * ClientMetricsCollector}). It counts a request when it is sent, so its rate follows the arrival
   * rate on both sides of saturation.
   */
  public long contextRequestsSent() {
    return contextRequestsSent;
  }

  /**
   * Prompt tokens the context pool has prefilled so far: the counter {@code
   * trtllm_prompt_tokens_total} of the context workers, summed. TensorRT-LLM adds a request's
   * prompt tokens when the request finishes ({@code MetricsCollector.log_request_metrics_dict} in
   * {@code tensorrt_llm/metrics/collector.py}, called from {@code OpenAIServer._extract_metrics} in
   * {@code tensorrt_llm/serve/openai_server.py}); a context-only request finishes when its prefill
   * is done. Its rate is therefore the pool's prefill throughput: the load below saturation, the
   * pool's capacity above it.
   */
  public long contextPromptTokensDone() {
    return contextPromptTokensDone;
  }

  /** Runs the whole trace and returns what happened. */
  public Result run() {
    policy.init(this);
    arrivals = trace.iterator();
    nextArrival = arrivals.hasNext() ? arrivals.next() : null;
    if (nextArrival != null) {
      schedule(nextArrival.arrival(), ARRIVAL, null, 0);
    }
    schedule(policy.intervalSeconds(), TICK, null, 0);
    double end = trace.params().durationSeconds();
    while (!events.isEmpty()) {
      Event e = events.poll();
      if (e.type == TICK && e.time >= end) {
        if (events.stream().noneMatch(x -> x.type != TICK)) {
          break;
        }
      }
      now = e.time;
      switch (e.type) {
        case ARRIVAL -> arrival();
        case CTX_DONE -> contextDone(e.inst, e.version);
        case GEN_DONE -> generationDone(e.inst, e.version);
        case READY -> ready(e.inst, e.version);
        case KILL -> kill(e.inst);
        case TICK -> tick();
        default -> throw new IllegalStateException();
      }
    }
    for (Instance i : all()) {
      if (i.state != State.GONE) {
        retire(i, Math.max(now, end));
      }
    }
    // requests still waiting anywhere at the very end count as missed
    result.lost += contextPending.size() + generationPending.size();
    return result;
  }

  private List<Instance> all() {
    List<Instance> out = new ArrayList<>(contexts);
    out.addAll(generations);
    return out;
  }

  private void schedule(double time, int type, Instance inst, int version) {
    events.add(new Event(time, seq++, type, inst, version));
  }

  // ---- scaling API used by the policies -----------------------------------------------------

  /** Starts the day with {@code n} instances of the pool already loaded. */
  public void start(Pool pool, int n) {
    for (int k = 0; k < n; k++) {
      Instance i = newInstance(pool, State.READY);
      i.vAt = now;
    }
  }

  /** Instances of the pool that serve or are loading (not the draining or killed ones). */
  public int active(Pool pool) {
    int n = 0;
    for (Instance i : list(pool)) {
      if (i.state == State.LOADING || i.state == State.READY) {
        n++;
      }
    }
    return n;
  }

  /** Ready instances of the pool that take new requests. */
  public List<Instance> serving(Pool pool) {
    List<Instance> out = new ArrayList<>();
    for (Instance i : list(pool)) {
      if (i.state == State.READY) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * Sets the pool to {@code n} active instances: adds loading instances (taking draining ones back
   * first when removal drains) or removes the newest (loading ones at once, serving ones by {@code
   * removal}).
   */
  public void setTarget(Pool pool, int n, Removal removal) {
    int active = active(pool);
    if (n != active) {
      result.scaleEvents[pool.ordinal()]++;
    }
    List<Instance> list = list(pool);
    while (active < n) {
      Instance back = null;
      if (removal == Removal.DRAIN) {
        for (Instance i : list) {
          if (i.state == State.DRAINING && (back == null || i.ordinal < back.ordinal)) {
            back = i;
          }
        }
      }
      if (back != null) {
        back.state = State.READY;
        flushPending(pool);
      } else {
        Instance i = newInstance(pool, State.LOADING);
        schedule(now + params.modelLoadSeconds(), READY, i, i.version);
      }
      active++;
    }
    while (active > n) {
      Instance newest = null;
      for (Instance i : list) {
        if ((i.state == State.LOADING || i.state == State.READY)
            && (newest == null || i.ordinal > newest.ordinal)) {
          newest = i;
        }
      }
      if (newest.state == State.LOADING) {
        newest.version++;
        retire(newest, now);
      } else if (removal == Removal.DRAIN) {
        newest.state = State.DRAINING;
        if (newest.empty()) {
          retire(newest, now);
        }
      } else {
        newest.state = State.KILLING;
        schedule(now + params.terminationGraceSeconds(), KILL, newest, newest.version);
      }
      active--;
    }
  }

  private List<Instance> list(Pool pool) {
    return pool == Pool.CONTEXT ? contexts : generations;
  }

  private Instance newInstance(Pool pool, State state) {
    int ordinal = pool == Pool.CONTEXT ? nextOrdinalCtx++ : nextOrdinalGen++;
    Instance i = new Instance(pool, ordinal, now, state);
    list(pool).add(i);
    return i;
  }

  /** GPU time counts until the instance goes or the trace ends, whichever is first. */
  private void retire(Instance i, double at) {
    i.state = State.GONE;
    double until = Math.min(at, trace.params().durationSeconds());
    double gpuSeconds = Math.max(0, until - i.createdAt) * params.gpusPerInstance();
    result.gpuSeconds += gpuSeconds;
    result.gpuSecondsByPool[i.pool.ordinal()] += gpuSeconds;
    list(i.pool).remove(i);
  }

  // ---- events ---------------------------------------------------------------------------------

  private void arrival() {
    Req q = new Req(nextArrival);
    result.arrivals[minute(nextArrival.arrival())]++;
    nextArrival = arrivals.hasNext() ? arrivals.next() : null;
    if (nextArrival != null) {
      schedule(nextArrival.arrival(), ARRIVAL, null, 0);
    }
    contextRequestsSent++;
    dispatchContext(q);
  }

  private void dispatchContext(Req q) {
    Instance best = null;
    for (Instance i : contexts) {
      if (i.state == State.READY && (best == null || i.queuedTokens < best.queuedTokens)) {
        best = i;
      }
    }
    if (best == null) {
      contextPending.add(q);
      return;
    }
    q.at = best;
    best.queue.add(q);
    best.queuedTokens += q.r.promptTokens();
    if (best.queue.size() == 1) {
      startPrefill(best);
    }
  }

  private void startPrefill(Instance i) {
    Req head = i.queue.peek();
    i.headDoneAt = now + head.r.promptTokens() / params.prefillTokensPerSecond();
    schedule(i.headDoneAt, CTX_DONE, i, i.version);
  }

  private void contextDone(Instance i, int version) {
    if (version != i.version || i.state == State.GONE) {
      return;
    }
    Req q = i.queue.poll();
    i.queuedTokens -= q.r.promptTokens();
    contextPromptTokensDone += q.r.promptTokens();
    dispatchGeneration(q);
    if (!i.queue.isEmpty()) {
      startPrefill(i);
    } else if (i.state == State.DRAINING) {
      retire(i, now);
    }
  }

  private void dispatchGeneration(Req q) {
    Instance best = null;
    for (Instance i : generations) {
      if (i.state == State.READY
          && (best == null
              || i.reservedTokens + i.waitingTokens < best.reservedTokens + best.waitingTokens)) {
        best = i;
      }
    }
    if (best == null) {
      generationPending.add(q);
      return;
    }
    q.at = best;
    best.queue.add(q);
    best.waitingTokens += q.reserve();
    admit(best);
  }

  private void admit(Instance i) {
    i.advanceV();
    boolean changed = false;
    while (!i.queue.isEmpty()) {
      Req q = i.queue.peek();
      if (i.running.size() >= params.maxBatchSize()
          || (i.reservedTokens + q.reserve() > params.kvCacheTokens() && !i.running.isEmpty())) {
        break;
      }
      i.queue.poll();
      i.waitingTokens -= q.reserve();
      q.admitted = now;
      if (q.r.outputTokens() <= 1) {
        finish(q, now);
        continue;
      }
      q.admitV = i.v;
      q.targetV = i.v + (q.r.outputTokens() - 1);
      i.reservedTokens += q.reserve();
      i.running.add(q);
      changed = true;
    }
    if (changed) {
      rescheduleGeneration(i);
    }
  }

  private void rescheduleGeneration(Instance i) {
    i.version++;
    if (!i.running.isEmpty()) {
      double dv = Math.max(0, i.running.peek().targetV - i.v);
      schedule(now + dv * params.decodeStep(i.running.size()), GEN_DONE, i, i.version);
    }
  }

  private void generationDone(Instance i, int version) {
    if (version != i.version || i.state == State.GONE) {
      return;
    }
    i.advanceV();
    while (!i.running.isEmpty() && i.running.peek().targetV <= i.v + 1e-6) {
      Req q = i.running.poll();
      i.reservedTokens -= q.reserve();
      finish(q, now);
    }
    admit(i);
    rescheduleGeneration(i);
    if (i.state == State.DRAINING && i.empty()) {
      retire(i, now);
    }
  }

  private void finish(Req q, double at) {
    double ttft = q.admitted - q.r.arrival();
    boolean ok = ttft <= params.ttftSloSeconds();
    if (q.r.outputTokens() > 1) {
      double tpot = (at - q.admitted) / (q.r.outputTokens() - 1);
      ok &= tpot <= params.tpotSloSeconds();
      result.tpot.add(tpot);
    }
    result.ttft.add(ttft);
    int m = minute(q.r.arrival());
    result.completed[m]++;
    if (ok) {
      result.withinSlo[m]++;
    }
  }

  private void ready(Instance i, int version) {
    if (version != i.version || i.state != State.LOADING) {
      return;
    }
    i.state = State.READY;
    i.vAt = now;
    flushPending(i.pool);
  }

  private void flushPending(Pool pool) {
    ArrayDeque<Req> pending = pool == Pool.CONTEXT ? contextPending : generationPending;
    List<Req> copy = new ArrayList<>(pending);
    pending.clear();
    for (Req q : copy) {
      if (pool == Pool.CONTEXT) {
        dispatchContext(q);
      } else {
        dispatchGeneration(q);
      }
    }
  }

  private void kill(Instance i) {
    if (i.state != State.KILLING) {
      return;
    }
    result.lost += i.queue.size() + i.running.size();
    for (Req q : i.queue) {
      result.lostByMinute[minute(q.r.arrival())]++;
    }
    for (Req q : i.running) {
      result.lostByMinute[minute(q.r.arrival())]++;
    }
    i.version++;
    retire(i, now);
  }

  private void tick() {
    int m = minute(now);
    for (Pool pool : Pool.values()) {
      if (now >= trace.params().durationSeconds()) {
        break;
      }
      int ready = serving(pool).size();
      if (ready < needs.need(pool, m)) {
        result.underProvisionedSeconds[pool.ordinal()] += policy.intervalSeconds();
      }
      result.instances[pool.ordinal()][m] =
          Math.max(result.instances[pool.ordinal()][m], list(pool).size());
    }
    policy.tick(this);
    schedule(now + policy.intervalSeconds(), TICK, null, 0);
  }

  int minute(double t) {
    return (int) Math.max(0, Math.min(needs.minutes() - 1, Math.floor(t / 60)));
  }
}
