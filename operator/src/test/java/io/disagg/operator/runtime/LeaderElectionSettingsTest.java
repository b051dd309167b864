package io.disagg.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LeaderElectionSettingsTest {

  private static LeaderElectionSettings of(
      boolean enabled, String ns, long lease, long renew, long retry) {
    return new LeaderElectionSettings(
        enabled,
        "disagg-operator-leader",
        Optional.ofNullable(ns),
        "operator-0",
        Duration.ofSeconds(lease),
        Duration.ofSeconds(renew),
        Duration.ofSeconds(retry));
  }

  @Test
  void disabledGivesNoConfiguration() {
    assertThat(of(false, "ops", 15, 10, 2).toConfiguration(() -> {})).isEmpty();
  }

  @Test
  void enabledCarriesLeaseAndTimings() {
    var c = of(true, "ops", 15, 10, 2).toConfiguration(() -> {}).orElseThrow();
    assertThat(c.getLeaseName()).isEqualTo("disagg-operator-leader");
    assertThat(c.getLeaseNamespace()).contains("ops");
    assertThat(c.getLeaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.getRenewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.getRetryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.isExitOnStopLeading())
        .as("JOSDK's System.exit is replaced by our callback")
        .isFalse();
    assertThat(c.getIdentity()).contains("operator-0");
  }

  @Test
  void blankNamespaceIsLeftToTheClient() {
    assertThat(of(true, " ", 15, 10, 2).toConfiguration(() -> {}).orElseThrow().getLeaseNamespace())
        .isEmpty();
  }

  @Test
  void timingsMustNest() {
    assertThatThrownBy(() -> of(true, "ops", 10, 10, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("renew-deadline (10s) < lease-duration (10s)");
    assertThatThrownBy(() -> of(true, "ops", 15, 2, 2))
        .isInstanceOf(IllegalArgumentException.class);
    // Disabled: timings are not looked at.
    assertThat(of(false, "ops", 1, 1, 1).toConfiguration(() -> {})).isEmpty();
  }

  @Test
  void stoppingToLeadIsReportedToTheCallback() {
    AtomicInteger stops = new AtomicInteger();
    var c = of(true, "ops", 15, 10, 2).toConfiguration(stops::incrementAndGet).orElseThrow();
    c.getLeaderCallbacks().orElseThrow().onStopLeading();
    assertThat(stops).hasValue(1);
  }

  @Test
  void anIdentityIsRequired() {
    assertThatThrownBy(
            () ->
                new LeaderElectionSettings(
                    true,
                    "l",
                    Optional.empty(),
                    " ",
                    Duration.ofSeconds(15),
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("identity");
  }
}
