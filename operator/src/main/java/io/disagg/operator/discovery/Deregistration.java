package io.disagg.operator.discovery;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Removes workers from the router's view by deleting their registration keys, the first step of a
 * safe scale-down (delete the key, let in-flight requests finish, then stop the pod).
 *
 * <p>Only the keys are deleted, never their leases. In {@code
 * tensorrt_llm/serve/disagg_auto_scaling.py} a worker's heartbeat ({@code
 * DisaggClusterWorker._heartbeat}) calls {@code Etcd3ClusterStorage.expire} ({@code
 * tensorrt_llm/serve/cluster_storage.py}), which refreshes the key's cached lease and reports
 * success unless the etcd client raises; only then does the worker call {@code register_worker}
 * again. A lease outlives the deletion of its key, so the refresh keeps succeeding and the worker
 * stays deregistered. Revoking the lease instead would not make the worker re-register either (etcd
 * answers a keep-alive for an unknown lease with TTL 0, not with an error, and {@code expire} does
 * not look at the TTL); and should a later refresh fail, the worker's new put would carry the
 * cached, revoked lease, which etcd rejects ("requested lease not found"), so it could never
 * register again. With the lease kept, a worker whose refresh fails (e.g. during an etcd outage)
 * puts its key back: deregister again while the pod is draining.
 */
public final class Deregistration {
  private Deregistration() {}

  /** Default time allowed for the deletes. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * {@link #deregister(Client, Collection, Duration)} with {@link #DEFAULT_TIMEOUT} (5 seconds).
   */
  public static int deregister(Client client, Collection<String> keys)
      throws DeregistrationException {
    return deregister(client, keys, DEFAULT_TIMEOUT);
  }

  /**
   * Deletes the given registration keys (not their leases). Idempotent: keys already gone count as
   * success.
   *
   * @param keys full keys as in {@link Registration#key()}, each of the form {@code
   *     /trtllm-disagg/<clusterName>/workers/<workerId>}
   * @param timeout time allowed for all deletes together
   * @return how many of the keys existed and were deleted
   * @throws IllegalArgumentException when a key is not a worker registration key
   * @throws DeregistrationException when etcd did not confirm every delete in time (some may have
   *     happened; calling again is safe)
   */
  public static int deregister(Client client, Collection<String> keys, Duration timeout)
      throws DeregistrationException {
    for (String k : keys) {
      if (!Registrations.isWorkerKey(k)) {
        throw new IllegalArgumentException("not a TensorRT-LLM worker registration key: " + k);
      }
    }
    List<CompletableFuture<DeleteResponse>> deletes = new ArrayList<>();
    for (String k : keys) {
      deletes.add(client.getKVClient().delete(ByteSequence.from(k, StandardCharsets.UTF_8)));
    }
    try {
      CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      long deleted = 0;
      for (CompletableFuture<DeleteResponse> d : deletes) {
        deleted += d.join().getDeleted();
      }
      return (int) deleted;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DeregistrationException("interrupted while deleting " + keys, e);
    } catch (ExecutionException e) {
      throw new DeregistrationException(
          "etcd refused to delete " + keys + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new DeregistrationException(
          "etcd did not confirm deleting " + keys + " within " + timeout.toMillis() + " ms", e);
    }
  }

  /**
   * Puts deregistered registrations back exactly as the workers wrote them: same key, same value,
   * attached to the same lease (which the worker has kept refreshing since its key was deleted, so
   * the registration lives on as if never removed). Used when a drain is cancelled.
   *
   * @return the registrations that could not be restored (typically: their lease expired because
   *     the worker stopped); the caller restarts those workers so they register anew
   */
  public static List<Registration> restore(
      Client client, Collection<Registration> registrations, Duration timeout) {
    List<Registration> failed = new ArrayList<>();
    for (Registration r : registrations) {
      if (!Registrations.isWorkerKey(r.key()) || r.raw() == null || r.lease() == 0) {
        failed.add(r);
        continue;
      }
      try {
        client
            .getKVClient()
            .put(
                ByteSequence.from(r.key(), StandardCharsets.UTF_8),
                ByteSequence.from(r.raw(), StandardCharsets.UTF_8),
                io.etcd.jetcd.options.PutOption.builder().withLeaseId(r.lease()).build())
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed.add(r);
      } catch (ExecutionException | TimeoutException e) {
        failed.add(r);
      }
    }
    return failed;
  }

  /**
   * Writes registrations again exactly as they are (same key, value and lease), each only if its
   * key is still at the observed {@code modRevision} (an etcd transaction): a key deleted or
   * changed since it was observed (a drain's deregistration, a worker's new registration) stays as
   * it is. Every put is a watch event, which is how a router that missed the registrations (a 1.2
   * router started after them: {@code lifespan} in {@code
   * tensorrt_llm/serve/openai_disagg_server.py} drops the list {@code watch_workers()} returns)
   * learns of them; a router that knows a worker already leaves it as it is ({@code
   * Router.add_server}: "already exists").
   *
   * @return how many were written again; the others changed meanwhile, had no lease, or etcd did
   *     not answer within {@code timeout} (each)
   */
  public static int reannounce(
      Client client, Collection<Registration> registrations, Duration timeout) {
    int done = 0;
    for (Registration r : registrations) {
      if (!Registrations.isWorkerKey(r.key()) || r.raw() == null || r.lease() == 0) {
        continue;
      }
      ByteSequence key = ByteSequence.from(r.key(), StandardCharsets.UTF_8);
      try {
        boolean ok =
            ifUnchanged(
                client,
                r,
                Op.put(
                    key,
                    ByteSequence.from(r.raw(), StandardCharsets.UTF_8),
                    PutOption.builder().withLeaseId(r.lease()).build()),
                timeout);
        done += ok ? 1 : 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return done;
      } catch (ExecutionException | TimeoutException e) {
        // left as it is; the next router start or reconcile tries again
      }
    }
    return done;
  }

  /**
   * Deletes each registration's key (never its lease) only if the key is still at the observed
   * {@code modRevision} (an etcd transaction {@code If(mod_revision(key) == observed)
   * Then(delete(key))}): a key written again since it was observed (a new value, perhaps a host
   * that is now ours) stays as it is until it is judged again. Each delete is a watch event, on
   * which the router removes the endpoint at once ({@code
   * OpenAIDisaggServer._update_router_by_watch_events} in {@code
   * tensorrt_llm/serve/openai_disagg_server.py}: {@code remove_server} on DELETE). The lease is
   * left alone on purpose: anyone can attach a key to any lease id, revoking it could remove a
   * worker of ours.
   *
   * @param timeout time allowed per transaction
   * @return the registrations whose keys were deleted; the others changed meanwhile, are not worker
   *     keys, or etcd did not answer in time (each left for the next attempt)
   */
  public static List<Registration> deleteIfUnchanged(
      Client client, Collection<Registration> registrations, Duration timeout) {
    List<Registration> deleted = new ArrayList<>();
    for (Registration r : registrations) {
      if (!Registrations.isWorkerKey(r.key())) {
        continue;
      }
      ByteSequence key = ByteSequence.from(r.key(), StandardCharsets.UTF_8);
      try {
        boolean ok = ifUnchanged(client, r, Op.delete(key, DeleteOption.DEFAULT), timeout);
        if (ok) {
          deleted.add(r);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return deleted;
      } catch (ExecutionException | TimeoutException e) {
        // left as it is; the next reconcile tries again
      }
    }
    return deleted;
  }

  /**
   * Runs {@code op} in an etcd transaction that applies it only while {@code r}'s key is still at
   * the observed {@code modRevision}.
   *
   * @return whether the key was unchanged, so {@code op} was applied
   */
  private static boolean ifUnchanged(Client client, Registration r, Op op, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    ByteSequence key = ByteSequence.from(r.key(), StandardCharsets.UTF_8);
    return client
        .getKVClient()
        .txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(r.modRevision())))
        .Then(op)
        .commit()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .isSucceeded();
  }

  /** Deleting registration keys failed or timed out; some deletes may have been applied. */
  public static final class DeregistrationException extends Exception {
    private static final long serialVersionUID = 1L;

    public DeregistrationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
