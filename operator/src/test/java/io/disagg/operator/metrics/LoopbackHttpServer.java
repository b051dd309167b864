package io.disagg.operator.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A tiny HTTP server on 127.0.0.1, a free port, answering every request with the status, content
 * type and body currently set, and recording the request URIs (path and query). For testing HTTP
 * clients; nothing leaves the loopback interface.
 */
final class LoopbackHttpServer implements AutoCloseable {

  private final HttpServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private volatile int status = 200;
  private volatile String contentType = "text/plain";
  private volatile String body = "";
  private volatile String location;
  private volatile CountDownLatch hold;

  LoopbackHttpServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
    server.createContext(
        "/",
        ex -> {
          requests.add(ex.getRequestURI().toString());
          try {
            CountDownLatch h = hold;
            if (h != null) {
              h.await();
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", contentType);
            if (location != null) {
              ex.getResponseHeaders().set("Location", location);
            }
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
              try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            ex.close();
          }
        });
    server.setExecutor(
        java.util.concurrent.Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "loopback-http");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  /** Answers every request with this. */
  LoopbackHttpServer answer(int status, String contentType, String body) {
    this.status = status;
    this.contentType = contentType;
    this.body = body;
    this.location = null;
    return this;
  }

  /** Answers every request with a redirect. */
  LoopbackHttpServer redirect(int status, String location) {
    answer(status, "text/plain", "");
    this.location = location;
    return this;
  }

  /** Holds every answer until {@link #release()} (to test timeouts). */
  void hold() {
    hold = new CountDownLatch(1);
  }

  void release() {
    CountDownLatch h = hold;
    hold = null;
    if (h != null) {
      h.countDown();
    }
  }

  String host() {
    return "127.0.0.1";
  }

  int port() {
    return server.getAddress().getPort();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  List<String> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    release();
    server.stop(0);
  }
}
