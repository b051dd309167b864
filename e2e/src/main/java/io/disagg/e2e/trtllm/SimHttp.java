package io.disagg.e2e.trtllm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** HTTP and threading helpers shared by the simulators. */
final class SimHttp {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String JSON_TYPE = "application/json";

  private SimHttp() {}

  /** Request body, at most {@code limit} bytes (larger bodies are an error). */
  static byte[] readBody(HttpExchange ex, int limit) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] b = in.readNBytes(limit + 1);
      if (b.length > limit) {
        throw new IOException("request body larger than " + limit + " bytes");
      }
      return b;
    }
  }

  /** Sends a complete response and closes the exchange. */
  static void send(
      HttpExchange ex, int status, String contentType, byte[] body, Map<String, String> headers)
      throws IOException {
    if (contentType != null) {
      ex.getResponseHeaders().set("Content-Type", contentType);
    }
    if (headers != null) {
      headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    }
    boolean empty = body == null || body.length == 0;
    ex.sendResponseHeaders(status, empty ? -1 : body.length);
    if (!empty) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
    ex.close();
  }

  static void sendJson(HttpExchange ex, int status, Object value) throws IOException {
    send(ex, status, JSON_TYPE, JSON.writeValueAsBytes(value), null);
  }

  static void sendText(HttpExchange ex, int status, String text) throws IOException {
    send(ex, status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), null);
  }

  /**
   * A thread pool of at most {@code threads} daemon threads (idle ones end after 30 s) with an
   * unbounded queue: {@code com.sun.net.httpserver} does not handle a rejecting executor.
   */
  static ThreadPoolExecutor executor(String name, int threads) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            daemonThreads(name));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Exception class and message, with its causes, for failure reasons. */
  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(e.getClass().getSimpleName());
    if (e.getMessage() != null) {
      sb.append(": ").append(e.getMessage());
    }
    if (e.getCause() != null && e.getCause() != e) {
      sb.append(" (").append(describe(e.getCause())).append(')');
    }
    return sb.toString();
  }

  /** Shortens a text for messages. */
  static String abbreviate(String s, int max) {
    if (s == null) {
      return "";
    }
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= max ? one : one.substring(0, max) + "...";
  }
}
