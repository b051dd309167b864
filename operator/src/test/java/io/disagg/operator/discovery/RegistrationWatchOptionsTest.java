package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The retry back-off of {@link RegistrationWatch.Options}: capped, exponential, jittered. */
class RegistrationWatchOptionsTest {

  static final RegistrationWatch.Options DEFAULT = RegistrationWatch.Options.DEFAULT;

  @Test
  void defaultDoublesFromHalfASecondToTwoSeconds() {
    assertThat(IntStream.range(0, 6).mapToLong(a -> DEFAULT.backoffMillis(a, 0.5)))
        .containsExactly(500L, 1000L, 2000L, 2000L, 2000L, 2000L);
  }

  @Test
  void jitterIsTwentyPercentEitherWay() {
    assertThat(DEFAULT.backoffMillis(0, 0.0)).isEqualTo(400);
    assertThat(DEFAULT.backoffMillis(0, 0.999999)).isEqualTo(600);
    assertThat(DEFAULT.backoffMillis(1, 0.25)).isEqualTo(900);
  }

  @Test
  void noDelayExceedsTheCapPlusJitterHowManyFailuresThereWere() {
    // After etcd is back, a watch retries within this bound: the README's figure.
    for (int attempt : new int[] {2, 10, 62, 1000, Integer.MAX_VALUE}) {
      assertThat(DEFAULT.backoffMillis(attempt, 0.999999)).isBetween(2399L, 2400L);
      assertThat(DEFAULT.backoffMillis(attempt, 0.0)).isEqualTo(1600L);
    }
  }

  @Test
  void minimumAboveMaximumIsRefused() {
    assertThatThrownBy(
            () ->
                new RegistrationWatch.Options(
                    Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
