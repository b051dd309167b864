package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.core.Pool;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RegistrationsTest {

  static final String KEY =
      "/trtllm-disagg/ns.demo/workers/GENERATION-10.0.0.7:8000-1712345678901-42-007";

  static Registration parse(String value) {
    return Registrations.parse(KEY, value.getBytes(StandardCharsets.UTF_8), 77, 12);
  }

  @Test
  void parsesTheValueTensorRtLlmWrites() {
    Registration r =
        parse(
            "{\"worker_id\": \"GENERATION-10.0.0.7:8000-1712345678901-42-007\", \"host\": \"10.0.0.7\","
                + " \"port\": 8000, \"role\": 1}");
    assertThat(r.malformed()).isFalse();
    assertThat(r.pool()).isEqualTo(Pool.GENERATION);
    assertThat(r.workerId()).isEqualTo("GENERATION-10.0.0.7:8000-1712345678901-42-007");
    assertThat(r.host()).isEqualTo("10.0.0.7");
    assertThat(r.port()).isEqualTo(8000);
    assertThat(r.endpoint()).isEqualTo("10.0.0.7:8000");
    assertThat(r.lease()).isEqualTo(77);
    assertThat(r.modRevision()).isEqualTo(12);
    assertThat(r.key()).isEqualTo(KEY);
    assertThat(parse("{\"worker_id\": \"w\", \"host\": \"h\", \"port\": 1, \"role\": 0}").pool())
        .isEqualTo(Pool.CONTEXT);
  }

  @Test
  void missingRoleDefaultsToContextLikeWorkerInfo() {
    Registration r = parse("{\"worker_id\": \"w\", \"host\": \"h\", \"port\": 1}");
    assertThat(r.malformed()).isFalse();
    assertThat(r.pool()).isEqualTo(Pool.CONTEXT);
  }

  @Test
  void keepsWhatTheRouterWouldNotCountAsMalformed() {
    for (String bad :
        new String[] {
          "not json",
          "",
          "[1,2]",
          "\"text\"",
          "{\"host\": \"h\", \"port\": 1, \"role\": 0}",
          "{\"worker_id\": \"w\", \"host\": \"h\", \"port\": 1, \"role\": 2}",
          "{\"worker_id\": \"w\", \"host\": \"h\", \"port\": 1, \"role\": -1}",
          "{\"worker_id\": \"w\", \"host\": \"h\", \"port\": 1, \"role\": \"GENERATION\"}",
          "{\"worker_id\": \"w\", \"host\": \"h\", \"port\": \"8000\", \"role\": 1}",
          "{\"worker_id\": \"w\", \"host\": \"h\", \"port\": 1, \"role\": 1, \"extra\": true}",
          "{\"worker_id\": \"w\", \"host\": \"h\", \"port\": 1, \"role\": 1"
        }) {
      Registration r = parse(bad);
      assertThat(r.malformed()).as(bad).isTrue();
      assertThat(r.pool()).as(bad).isNull();
      assertThat(r.raw()).as(bad).isEqualTo(bad);
      assertThat(r.key()).isEqualTo(KEY);
      assertThat(r.workerId()).as(bad).isNotBlank();
    }
    assertThat(parse("garbage").workerId())
        .isEqualTo("GENERATION-10.0.0.7:8000-1712345678901-42-007");
    Registration encoder =
        parse("{\"worker_id\": \"enc\", \"host\": \"10.0.0.9\", \"port\": 9000, \"role\": 2}");
    assertThat(encoder.workerId()).isEqualTo("enc");
    assertThat(encoder.endpoint()).isEqualTo("10.0.0.9:9000");
  }

  @Test
  void invalidUtf8DoesNotThrow() {
    Registration r = Registrations.parse(KEY, new byte[] {(byte) 0xff, (byte) 0xfe, 0x7b}, 0, 1);
    assertThat(r.malformed()).isTrue();
    assertThat(Registrations.parse(KEY, null, 0, 1).malformed()).isTrue();
  }

  @Test
  void keyShapes() {
    assertThat(Registrations.workersPrefix("ns.demo")).isEqualTo("/trtllm-disagg/ns.demo/workers/");
    assertThat(Registrations.isWorkerKey(KEY)).isTrue();
    assertThat(Registrations.isWorkerKey("/trtllm-disagg/ns.demo/workers/")).isFalse();
    assertThat(Registrations.isWorkerKey("/trtllm-disagg/ns.demo/other/x")).isFalse();
    assertThat(Registrations.isWorkerKey("/trtllm-disagg//workers/x")).isFalse();
    assertThat(Registrations.isWorkerKey("trtllm/host-1-2")).isFalse();
    assertThat(Registrations.isWorkerKey(null)).isFalse();
  }

  @Test
  void aValueWithAnUnknownFieldIsMalformedButKeepsItsHostAndPort() {
    // a variant of disagg_auto_scaling.py writes WorkerInfo(..., status="")
    Registration r =
        parse(
            "{\"worker_id\": \"w\", \"host\": \"10.0.0.7\", \"port\": 8000, \"role\": 1,"
                + " \"status\": \"\"}");
    assertThat(r.malformed()).isTrue();
    assertThat(r.pool()).isNull();
    assertThat(r.host()).isEqualTo("10.0.0.7");
    assertThat(r.port()).isEqualTo(8000);
  }
}
