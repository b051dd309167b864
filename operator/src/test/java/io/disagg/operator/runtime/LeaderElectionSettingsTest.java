package io.disagg.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LeaderElectionSettingsTest {

  private static LeaderElectionSettings of(boolean enabled, String ns, long lease, long renew, long retry) {
    return new LeaderElectionSettings(enabled, "disagg-operator-leader", Optional.ofNullable(ns), Optional.empty(),
        Duration.ofSeconds(lease), Duration.ofSeconds(renew), Duration.ofSeconds(retry), true);
  }

  @Test
  void disabledGivesNoConfiguration() {
    assertThat(of(false, "ops", 15, 10, 2).toConfiguration()).isEmpty();
  }

  @Test
  void enabledCarriesLeaseAndTimings() {
    var c = of(true, "ops", 15, 10, 2).toConfiguration().orElseThrow();
    assertThat(c.getLeaseName()).isEqualTo("disagg-operator-leader");
    assertThat(c.getLeaseNamespace()).contains("ops");
    assertThat(c.getLeaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.getRenewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.getRetryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.isExitOnStopLeading()).isTrue();
    assertThat(c.getIdentity()).as("JOSDK's default: HOSTNAME, the pod name").isEmpty();
  }

  @Test
  void blankNamespaceIsLeftToTheClient() {
    assertThat(of(true, " ", 15, 10, 2).toConfiguration().orElseThrow().getLeaseNamespace()).isEmpty();
  }

  @Test
  void timingsMustNest() {
    assertThatThrownBy(() -> of(true, "ops", 10, 10, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("renew-deadline (10s) < lease-duration (10s)");
    assertThatThrownBy(() -> of(true, "ops", 15, 2, 2)).isInstanceOf(IllegalArgumentException.class);
    // Disabled: timings are not looked at.
    assertThat(of(false, "ops", 1, 1, 1).toConfiguration()).isEmpty();
  }
}
