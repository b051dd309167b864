package io.disagg.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PrometheusQueryTest {

  private static final String JSON = "application/json";

  @Test
  void vectorWithOneSeriesGivesItsValue() {
    PrometheusQueryResult r =
        PrometheusQueryResult.parse(
            200,
            """
        {"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"namespace":"serving"},"value":[1700000000.123,"0.93"]}]}}""");
    assertThat(r.ok()).isTrue();
    assertThat(r.value()).isEqualTo(0.93);
    assertThat(r.error()).isNull();
  }

  @Test
  void scalarGivesItsValue() {
    PrometheusQueryResult r =
        PrometheusQueryResult.parse(
            200,
            "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1700000000,\"12\"]}}");
    assertThat(r.value()).isEqualTo(12.0);
  }

  @Test
  void emptyVectorIsNoData() {
    PrometheusQueryResult r =
        PrometheusQueryResult.parse(
            200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
    assertThat(r.ok()).isFalse();
    assertThat(r.error()).contains("no data");
  }

  @Test
  void severalSeriesAreAmbiguous() {
    PrometheusQueryResult r =
        PrometheusQueryResult.parse(
            200,
            """
        {"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"pod":"a"},"value":[1,"1"]},{"metric":{"pod":"b"},"value":[1,"2"]}]}}""");
    assertThat(r.ok()).isFalse();
    assertThat(r.error()).contains("2 series").contains("avg(");
  }

  @Test
  void nanInfinityAndNegativeValuesAreNoValue() {
    for (String v : new String[] {"NaN", "+Inf", "-Inf", "-1", "abc"}) {
      PrometheusQueryResult r =
          PrometheusQueryResult.parse(
              200,
              "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\""
                  + v
                  + "\"]}]}}");
      assertThat(r.ok()).as(v).isFalse();
      assertThat(r.value()).as(v).isNull();
    }
  }

  @Test
  void errorAnswerCarriesPrometheusMessage() {
    PrometheusQueryResult r =
        PrometheusQueryResult.parse(
            400,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": 1:5: parse error\"}");
    assertThat(r.ok()).isFalse();
    assertThat(r.error()).contains("HTTP 400").contains("bad_data").contains("parse error");
  }

  @Test
  void matrixNonJsonAndMalformedAnswersAreNoValue() {
    assertThat(
            PrometheusQueryResult.parse(
                    200,
                    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}")
                .error())
        .contains("matrix");
    assertThat(PrometheusQueryResult.parse(502, "<html>bad gateway</html>").error())
        .contains("HTTP 502");
    assertThat(PrometheusQueryResult.parse(200, null).ok()).isFalse();
    assertThat(
            PrometheusQueryResult.parse(
                    200,
                    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,2]}]}}")
                .ok())
        .as("value must be a string, as the API defines")
        .isFalse();
    assertThat(PrometheusQueryResult.parse(503, "{\"status\":\"success\",\"data\":{}}").error())
        .contains("HTTP 503");
  }

  @Test
  void clientSendsTheQueryAndReadsTheAnswer() throws Exception {
    try (LoopbackHttpServer prom = new LoopbackHttpServer()) {
      prom.answer(
          200,
          JSON,
          "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"0.5\"]}]}}");
      PrometheusQueryClient client = new PrometheusQueryClient(Duration.ofSeconds(2));
      String q = "avg(trtllm_kv_cache_utilization{pod=~\"demo-generation-[0-9]+\"})";
      PrometheusQueryResult r = client.query(prom.baseUrl() + "/prefix/", q);
      assertThat(r.value()).isEqualTo(0.5);
      String uri = prom.requests().get(0);
      assertThat(uri).startsWith("/prefix/api/v1/query?query=");
      assertThat(
              URLDecoder.decode(
                  uri.substring(uri.indexOf("query=") + 6, uri.indexOf("&timeout=")),
                  StandardCharsets.UTF_8))
          .isEqualTo(q);
      assertThat(uri).endsWith("&timeout=2s");

      prom.answer(
          422,
          JSON,
          "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"many-to-many matching\"}");
      assertThat(client.query(prom.baseUrl(), q).error())
          .contains("execution")
          .contains("many-to-many");
    }
  }

  @Test
  void clientTimesOutRefusesRedirectsAndBadUrls() throws Exception {
    PrometheusQueryClient client = new PrometheusQueryClient(Duration.ofMillis(300));
    try (LoopbackHttpServer prom = new LoopbackHttpServer()) {
      prom.answer(
          200,
          JSON,
          "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"1\"]}}");
      prom.hold();
      PrometheusQueryResult r = client.query(prom.baseUrl(), "up");
      assertThat(r.ok()).isFalse();
      assertThat(r.error()).contains("no answer within 300 ms");
      prom.release();

      // A client with time to spare: the server may still be finishing the held exchange, and a
      // busy 2-core machine must not turn this check into a second timeout.
      PrometheusQueryClient patient = new PrometheusQueryClient(Duration.ofSeconds(10));
      prom.redirect(302, "http://127.0.0.1:1/elsewhere");
      assertThat(patient.query(prom.baseUrl(), "up").error()).contains("HTTP 302");
    }
    assertThat(client.query("ftp://127.0.0.1/", "up").error()).contains("bad prometheus.url");
    assertThat(client.query("not a url", "up").ok()).isFalse();
    // Nothing listens there (the server above is closed): a connection failure, not an exception.
    try (LoopbackHttpServer gone = new LoopbackHttpServer()) {
      String url = gone.baseUrl();
      gone.close();
      assertThat(client.query(url, "up").error()).contains("cannot reach Prometheus");
    }
  }
}
