package io.disagg.operator.discovery;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A real jetcd {@link Client} seen from the side of the {@link RegistrationWatch} it is given (the
 * watch's constructor parameter, as in production): counts the prefix lists (KV range requests with
 * options) sent through it, and can run an action on each list's answer before the watch sees it,
 * which makes "something happens between the list and the watch" deterministic. The action runs on
 * a thread of its own, so it may use etcd. Everything else goes to the real client unchanged.
 * Closing is left to the owner of the real client.
 */
final class ObservedClient {
  private final Client real;
  private final Client client;
  private final AtomicInteger lists = new AtomicInteger();
  private final ExecutorService actions =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "observed-client-list");
            t.setDaemon(true);
            return t;
          });
  private volatile Consumer<GetResponse> onList = r -> {};

  ObservedClient(Client real) {
    this.real = real;
    KV kv =
        (KV)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {KV.class},
                (p, m, args) -> kv(m, args));
    this.client =
        (Client)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {Client.class},
                (p, m, args) ->
                    m.getName().equals("getKVClient") && (args == null || args.length == 0)
                        ? kv
                        : call(m, real, args));
  }

  /** The client to give the watch. */
  Client client() {
    return client;
  }

  /** Lists sent so far. */
  int lists() {
    return lists.get();
  }

  /** Runs {@code action} on each list's answer (on success) before the watch gets it. */
  void onList(Consumer<GetResponse> action) {
    this.onList = action;
  }

  @SuppressWarnings("unchecked")
  private Object kv(Method m, Object[] args) throws Throwable {
    Object result = call(m, real.getKVClient(), args);
    if (!m.getName().equals("get")
        || args == null
        || args.length != 2
        || !(args[1] instanceof GetOption)) {
      return result;
    }
    lists.incrementAndGet();
    return ((CompletableFuture<GetResponse>) result)
        .thenApplyAsync(
            resp -> {
              onList.accept(resp);
              return resp;
            },
            actions);
  }

  private static Object call(Method m, Object target, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
