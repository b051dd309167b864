package io.disagg.bench;

/**
 * The serving system the replay models: one context (prefill) pool and one generation (decode) pool
 * of identical instances. Every default is documented with its source in {@link #DEFAULT} and in
 * docs/benchmarks.md; "assumed" marks numbers for which no public figure was found.
 *
 * @param model what the numbers describe (model, precision, GPU, parallelism)
 * @param gpusPerInstance GPUs one instance uses (tensorParallelSize * pipelineParallelSize)
 * @param prefillTokensPerSecond prompt tokens one context instance processes per second
 * @param maxNumTokens tokens a context instance batches per iteration (TensorRT-LLM {@code
 *     max_num_tokens}); decides which queued prompts count as running rather than waiting
 * @param decodeStepBaseSeconds time of one decode iteration with an empty batch, seconds
 * @param decodeStepPerRequestSeconds added time of one decode iteration per request in the batch,
 *     seconds: {@code step(b) = base + perRequest * b}, and TPOT = step(b) while a request runs
 * @param maxBatchSize most requests a generation instance runs at once ({@code max_batch_size})
 * @param kvCacheTokens KV-cache capacity of one generation instance, tokens
 * @param modelLoadSeconds time from a new instance's start to serving (model load, engine set-up)
 * @param terminationGraceSeconds for scalers that delete pods without draining: seconds a deleted
 *     instance keeps serving before its remaining requests are lost (Kubernetes' default
 *     terminationGracePeriodSeconds)
 * @param ttftSloSeconds time-to-first-token target, seconds
 * @param tpotSloSeconds time-per-output-token target, seconds
 */
public record ServingParams(
    String model,
    int gpusPerInstance,
    double prefillTokensPerSecond,
    int maxNumTokens,
    double decodeStepBaseSeconds,
    double decodeStepPerRequestSeconds,
    int maxBatchSize,
    long kvCacheTokens,
    double modelLoadSeconds,
    double terminationGraceSeconds,
    double ttftSloSeconds,
    double tpotSloSeconds) {

  /**
   * Llama-3.3-70B-Instruct, FP8 weights, on H100 SXM 80GB with tensor parallelism 2 per instance.
   *
   * <ul>
   *   <li>Prefill 12,000 tokens/s per instance: TensorRT-LLM's performance overview
   *       (docs/source/performance/perf-overview.md, "Llama 3.3 70B", H100 TP2 FP8) reports 762
   *       output tokens/s for input 2048 / output 128 at maximum load; that run is almost all
   *       prefill, so the prompt rate is at least 762 * 2048 / 128 = 12,192 tokens/s. Rounded down.
   *   <li>{@code max_num_tokens} 8192: TensorRT-LLM's LLM API default (not re-read here); it only
   *       splits a context instance's queue into running and waiting.
   *   <li>Decode step {@code 12 ms + 0.05 ms * batch}: the base is assumed from the weight read (35
   *       GB per GPU at the H100's 3.35 TB/s HBM3 is 10.5 ms, plus overheads); the slope is fitted
   *       to the same overview's input 128 / output 2048 figure (6,651 output tokens/s, H100 TP2
   *       FP8) with the batch the KV cache below allows (about 115 requests of 2,176 tokens): 115 /
   *       6,651 s = 17.3 ms per step.
   *   <li>{@code max_batch_size} 256: the operator's sample value (the default RunningRequests
   *       target is then 0.8 * 256 = 204.8).
   *   <li>KV cache 250,000 tokens per instance: per GPU 80 GiB minus 35 GB of FP8 weights minus
   *       about 5 GB of activations and runtime, times TensorRT-LLM's default {@code
   *       free_gpu_memory_fraction} 0.9 ({@code KvCacheConfig} in {@code
   *       tensorrt_llm/llmapi/llm_args.py}), is about 41 GB; a token of Llama-3.3-70B's KV cache
   *       (80 layers, 8 KV heads, head size 128, FP16) takes 80 * 8 * 128 * 2 * 2 / 2 = 163,840
   *       bytes per GPU at TP2. An FP8 KV cache doubles it. Derived, not measured.
   *   <li>Model load 5 minutes: assumed (70 GB of weights from a node-local cache or a fast network
   *       volume, plus start-up and warm-up); configurable.
   *   <li>Termination grace 30 s: Kubernetes' default {@code terminationGracePeriodSeconds}.
   *   <li>SLO: TTFT at most 2 s, TPOT at most 50 ms: assumed interactive-chat targets.
   * </ul>
   */
  public static final ServingParams DEFAULT =
      new ServingParams(
          "Llama-3.3-70B-Instruct FP8, H100 SXM 80GB, TP2",
          2,
          12_000,
          8192,
          0.012,
          0.00005,
          256,
          250_000,
          300,
          30,
          2.0,
          0.050);

  /** Seconds of one decode iteration with {@code batch} running requests. */
  public double decodeStep(int batch) {
    return decodeStepBaseSeconds + decodeStepPerRequestSeconds * Math.max(1, batch);
  }

  /** These parameters with another model load time. */
  public ServingParams withModelLoadSeconds(double seconds) {
    return new ServingParams(
        model,
        gpusPerInstance,
        prefillTokensPerSecond,
        maxNumTokens,
        decodeStepBaseSeconds,
        decodeStepPerRequestSeconds,
        maxBatchSize,
        kvCacheTokens,
        seconds,
        terminationGraceSeconds,
        ttftSloSeconds,
        tpotSloSeconds);
  }
}
