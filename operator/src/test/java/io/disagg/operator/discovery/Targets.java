package io.disagg.operator.discovery;

import java.util.List;

/** {@link EtcdTarget}s of the tests: plain text, no authentication. */
final class Targets {
  private Targets() {}

  static EtcdTarget plain(String... endpoints) {
    return new EtcdTarget(List.of(endpoints), null, null, null, null, null);
  }
}
