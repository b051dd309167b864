package io.disagg.operator.testing;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.ArrayList;
import java.util.List;

/**
 * Fabric8 HTTP interceptor that records every request a client sends ("METHOD path"), so a test
 * can assert how many writes the operator made.
 */
public final class RequestCounter implements Interceptor {
  private final List<String> requests = new ArrayList<>();

  @Override
  public synchronized void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    requests.add(request.method() + " " + request.uri().getRawPath());
  }

  /** Forgets what was recorded so far. */
  public synchronized void reset() {
    requests.clear();
  }

  /** Requests that change state (anything but GET), in order. */
  public synchronized List<String> writes() {
    return requests.stream().filter(r -> !r.startsWith("GET ")).toList();
  }

  /** Every recorded request, in order. */
  public synchronized List<String> all() {
    return new ArrayList<>(requests);
  }
}
