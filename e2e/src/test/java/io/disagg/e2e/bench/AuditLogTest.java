package io.disagg.e2e.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

  private static final String USER = "system:serviceaccount:ns:op";

  private static String entry(String resource, String verb, Instant at) {
    return "{\"user\":{\"username\":\""
        + USER
        + "\"},\"verb\":\""
        + verb
        + "\",\"objectRef\":{\"resource\":\""
        + resource
        + "\",\"namespace\":\"ns\"},\"requestReceivedTimestamp\":\""
        + at
        + "\",\"stageTimestamp\":\""
        + at
        + "\",\"responseStatus\":{\"code\":200}}\n";
  }

  @Test
  void readsOnAcrossARotationAndLeavesOutALineStillBeingWritten(@TempDir Path dir)
      throws Exception {
    Instant t = Instant.parse("2026-11-30T12:00:00Z");
    Path log = dir.resolve("audit.log");
    Files.writeString(log, entry("pods", "create", t));
    AuditLog audit = new AuditLog(log);
    AuditLog.Mark mark = audit.mark();
    Files.writeString(
        log, entry("statefulsets", "patch", t), java.nio.file.StandardOpenOption.APPEND);
    // the API server renames the full log and starts a new one, longer than the mark's offset
    Files.move(log, dir.resolve("audit-2026-11-30T12-00-01.000.log"));
    Files.writeString(
        log,
        entry("services", "patch", t)
            + entry("services", "patch", t)
            + entry("configmaps", "create", t)
            + "{\"user\":{\"username\":\""
            + USER
            + "\"},\"verb\":\"pat");

    assertThat(audit.writes(mark, USER, t, t.plusSeconds(1)))
        .containsExactly(
            java.util.Map.entry("configmaps create", 1),
            java.util.Map.entry("services patch", 2),
            java.util.Map.entry("statefulsets patch", 1));
  }
}
