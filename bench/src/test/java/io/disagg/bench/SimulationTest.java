package io.disagg.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.disagg.operator.core.Pool;
import org.junit.jupiter.api.Test;

class SimulationTest {

  @Test
  void aLoneRequestTakesItsPrefillForTtftAndOneDecodeStepPerToken() {
    // a trace so thin that requests rarely meet: 10 minutes at about 0.06/s
    Trace trace = new Trace(Trace.Params.DEFAULT.window(0, 600, 0.1));
    ServingParams sp = ServingParams.DEFAULT;
    Needs needs = Needs.of(trace, sp);
    Result r = new Simulation(sp, trace, needs, Policies.fixed("one each", 1, 1)).run();
    assertThat(r.requests()).isPositive();
    // requests mostly alone: TTFT = prompt / prefill rate, TPOT = step(1) (step(3) is 0.8 % more)
    assertThat(r.tpotQuantile(0.5)).isCloseTo(sp.decodeStep(1), offset(0.015 * sp.decodeStep(1)));
    assertThat(r.ttftQuantile(0.5)).isLessThan(16_384 / sp.prefillTokensPerSecond());
    assertThat(r.sloAttainment()).isEqualTo(1.0);
    // two instances of 2 GPUs for 10 minutes
    assertThat(r.gpuHours()).isCloseTo(2 * 2 * 600 / 3600.0, offset(0.01));
    assertThat(r.lost()).isZero();
  }

  @Test
  void anOverloadedPoolMissesTheSloAndAGrowingOneCatchesUpAfterTheModelLoad() {
    Trace trace = new Trace(Trace.Params.DEFAULT.window(14 * 3600, 1800, 10));
    ServingParams sp = ServingParams.DEFAULT.withModelLoadSeconds(120);
    Needs needs = Needs.of(trace, sp);
    assertThat(needs.peak(Pool.CONTEXT)).isGreaterThan(1);
    Result starved = new Simulation(sp, trace, needs, Policies.fixed("one each", 1, 1)).run();
    Result peak =
        new Simulation(
                sp,
                trace,
                needs,
                Policies.fixed("peak", needs.peak(Pool.CONTEXT), needs.peak(Pool.GENERATION)))
            .run();
    assertThat(starved.sloAttainment()).isLessThan(0.5);
    assertThat(peak.sloAttainment()).isGreaterThan(0.95);
    assertThat(starved.underProvisionedHours(Pool.CONTEXT)).isGreaterThan(0.4);
    assertThat(peak.underProvisionedHours(Pool.CONTEXT)).isZero();
  }

  @Test
  void killedInstancesLoseTheirRequestsAndDrainedOnesDoNot() {
    Trace trace = new Trace(Trace.Params.DEFAULT.window(14 * 3600, 900, 10));
    ServingParams d = ServingParams.DEFAULT;
    // a grace period of 1 s: a killed instance cannot finish what it holds
    ServingParams sp =
        new ServingParams(
            d.model(),
            d.gpusPerInstance(),
            d.prefillTokensPerSecond(),
            d.maxNumTokens(),
            d.decodeStepBaseSeconds(),
            d.decodeStepPerRequestSeconds(),
            d.maxBatchSize(),
            d.kvCacheTokens(),
            d.modelLoadSeconds(),
            1,
            d.ttftSloSeconds(),
            d.tpotSloSeconds());
    Needs needs = Needs.of(trace, sp);
    for (Simulation.Removal removal : Simulation.Removal.values()) {
      Simulation.Policy shrink =
          new Simulation.Policy() {
            @Override
            public String name() {
              return "shrink " + removal;
            }

            @Override
            public double intervalSeconds() {
              return 15;
            }

            @Override
            public void init(Simulation sim) {
              sim.start(Pool.CONTEXT, 8);
              sim.start(Pool.GENERATION, 4);
            }

            @Override
            public void tick(Simulation sim) {
              if (sim.now() == 300) {
                sim.setTarget(Pool.GENERATION, 1, removal);
              }
            }
          };
      Result r = new Simulation(sp, trace, needs, shrink).run();
      assertThat(r.scaleEvents(Pool.GENERATION)).isEqualTo(1);
      if (removal == Simulation.Removal.KILL) {
        assertThat(r.lost()).isPositive();
      } else {
        assertThat(r.lost()).isZero();
      }
    }
  }
}
