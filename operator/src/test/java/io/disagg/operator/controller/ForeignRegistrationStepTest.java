package io.disagg.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ForeignRegistrationStepTest {

  private static final List<String> ETCD = List.of("etcd.infra:2379");

  @Test
  void anotherDisaggClusterWithOneOfOurClusterNamesOnTheSameEtcdIsFound() {
    var other =
        new ForeignRegistrationStep.Claim(
            "team-b", "chat", Set.of("shared", "shared.abc"), Set.of("ETCD.infra:2379"));
    assertThat(
            ForeignRegistrationStep.sharing(
                "team-a", "chat", List.of("shared"), ETCD, List.of(other)))
        .contains("team-b/chat");
    // one of our revisions' names
    assertThat(
            ForeignRegistrationStep.sharing(
                "team-a", "chat", List.of("team-a.chat", "shared.abc"), ETCD, List.of(other)))
        .contains("team-b/chat");
  }

  @Test
  void itselfAnotherEtcdOrOtherNamesAreNotSharing() {
    var self = new ForeignRegistrationStep.Claim("team-a", "chat", Set.of("shared"), Set.of());
    var elsewhere =
        new ForeignRegistrationStep.Claim(
            "team-b", "chat", Set.of("shared"), Set.of("other-etcd:2379"));
    var distinct =
        new ForeignRegistrationStep.Claim(
            "team-c", "chat", Set.of("team-c.chat"), Set.copyOf(ETCD));
    assertThat(
            ForeignRegistrationStep.sharing(
                "team-a", "chat", List.of("shared"), ETCD, List.of(self, elsewhere, distinct)))
        .isEmpty();
  }

  @Test
  void unresolvedEndpointsCountAsTheSameEtcd() {
    var other = new ForeignRegistrationStep.Claim("team-b", "x", Set.of("shared"), Set.of());
    assertThat(
            ForeignRegistrationStep.sharing("team-a", "y", List.of("shared"), ETCD, List.of(other)))
        .contains("team-b/x");
  }
}
