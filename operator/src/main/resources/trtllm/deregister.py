#!/usr/bin/env python3
"""preStop hook of a TensorRT-LLM disaggregated worker: leave etcd discovery before SIGTERM.

With ``disagg_cluster`` discovery over etcd, a worker registers the key
``/trtllm-disagg/<cluster_name>/workers/<worker_id>`` with the JSON value
``{"worker_id", "host", "port", "role"}``, attached to a lease that its heartbeat refreshes
(tensorrt_llm/serve/disagg_auto_scaling.py, cluster_storage.py). The router watches that
prefix. On SIGTERM the worker deletes its key only after its HTTP server has drained, so in the
meantime the router keeps sending new requests to a server that is going away. When a pod is
removed by someone other than the operator (eviction, node drain, rollout), this hook runs first:
it deletes the keys that point at this pod (host == $POD_IP, port == the worker port), then
waits a short grace so routers see the deletion before the container gets SIGTERM.

Only the key is deleted, never the lease: the worker's heartbeat is a lease refresh, and a
failed refresh would make it register again.

Usage: deregister.py WORKER_YAML PORT [GRACE_SECONDS]   (environment: POD_IP)

The hook must never hold up termination: every error is logged and the exit status is 0; the
etcd work is cut off after DEADLINE_S seconds; the grace is slept only when a key was deleted.
"""

import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit

RPC_TIMEOUT_S = 3  # per etcd call
DEADLINE_S = 8  # all etcd work; the grace comes on top
DEFAULT_GRACE_S = 5
DEFAULT_ETCD_PORT = 2379


def log(msg):
    print("deregister: " + msg, flush=True)


def load_etcd_module():
    """The etcd client TensorRT-LLM itself uses.

    Two PyPI distributions install a top-level module named ``pyetcd``; TensorRT-LLM wants the
    one of ``etcd-sdk-python`` and loads it by distribution name, as done here. Fallbacks: a plain
    ``import pyetcd``, then ``etcd3`` (python-etcd3, which older TensorRT-LLM releases used; the
    same client API).
    """
    import importlib.metadata
    import importlib.util
    try:
        dist = importlib.metadata.distribution("etcd-sdk-python")
        init = next(f for f in dist.files or [] if str(f).replace("\\", "/").endswith("pyetcd/__init__.py"))
        spec = importlib.util.spec_from_file_location("pyetcd", dist.locate_file(init))
        module = importlib.util.module_from_spec(spec)
        sys.modules["pyetcd"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop("pyetcd", None)
            raise
        return module
    except Exception as e:
        log("etcd-sdk-python not loadable (%s: %s); trying import" % (type(e).__name__, e))
    try:
        import pyetcd
        return pyetcd
    except ImportError:
        import etcd3
        return etcd3


def endpoints(cluster_uri):
    """(host, port) of every part of a comma-separated etcd:// (or http://) cluster_uri."""
    out = []
    for part in cluster_uri.split(","):
        part = part.strip()
        if not part:
            continue
        url = urlsplit(part if "://" in part else "etcd://" + part)
        if url.scheme not in ("etcd", "http") or not url.hostname:
            log("skipping endpoint %r: only etcd:// and http:// without TLS are supported" % part)
            continue
        host = "[%s]" % url.hostname if ":" in url.hostname else url.hostname  # IPv6 for gRPC
        out.append((host, url.port or DEFAULT_ETCD_PORT))
    return out


def matches(value, pod_ip, port):
    try:
        info = json.loads(value)
        return isinstance(info, dict) and info.get("host") == pod_ip and str(info.get("port")) == str(port)
    except ValueError:
        return False


def deregister(etcd, host, port, prefix, pod_ip, worker_port):
    """Deletes this pod's keys through one endpoint; returns the deleted keys, raises on error."""
    client = etcd.client(host=host, port=port, timeout=RPC_TIMEOUT_S)
    try:
        deleted = []
        for value, meta in list(client.get_prefix(prefix)):
            key = meta.key.decode("utf-8", "replace")
            if matches(value, pod_ip, worker_port):
                if client.delete(key):  # the key only: the lease stays
                    deleted.append(key)
                    log("deleted %s (was %s)" % (key, value.decode("utf-8", "replace")))
        return deleted
    finally:
        client.close()


def run(yaml_path, worker_port, pod_ip, result):
    import yaml
    with open(yaml_path) as f:
        section = (yaml.safe_load(f) or {}).get("disagg_cluster") or {}
    cluster_uri = str(section.get("cluster_uri") or "")
    cluster_name = section.get("cluster_name")
    if not cluster_uri.startswith("etcd://") or not cluster_name:
        log("no etcd disagg_cluster in %s (cluster_uri=%r); nothing to do" % (yaml_path, cluster_uri))
        return
    prefix = "/trtllm-disagg/%s/workers/" % cluster_name
    etcd = load_etcd_module()
    for host, port in endpoints(cluster_uri):
        try:
            result.extend(deregister(etcd, host, port, prefix, pod_ip, worker_port))
            log("etcd %s:%d: %d key(s) of %s:%s under %s deleted"
                % (host, port, len(result), pod_ip, worker_port, prefix))
            return  # the endpoints are members of one etcd cluster: one answer is enough
        except Exception as e:
            log("etcd %s:%d failed: %s: %s" % (host, port, type(e).__name__, e))
    log("no etcd endpoint answered; the worker stays registered until it deregisters itself")


def main(argv):
    if len(argv) < 3:
        log("usage: deregister.py WORKER_YAML PORT [GRACE_SECONDS]")
        return
    yaml_path, worker_port = argv[1], int(argv[2])
    grace = float(argv[3]) if len(argv) > 3 else DEFAULT_GRACE_S
    pod_ip = os.environ.get("POD_IP", "").strip()
    if not pod_ip:
        log("POD_IP is not set; nothing to do")
        return
    deleted = []

    def work():
        try:
            run(yaml_path, worker_port, pod_ip, deleted)
        except Exception as e:
            log("failed: %s: %s" % (type(e).__name__, e))

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    if worker.is_alive():
        log("gave up after %ds" % DEADLINE_S)
    if deleted and grace > 0:
        log("waiting %gs so routers stop picking this worker before SIGTERM" % grace)
        time.sleep(grace)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except BaseException as e:  # never fail the hook
        log("failed: %s: %s" % (type(e).__name__, e))
    sys.stdout.flush()
    os._exit(0)  # no wait for a gRPC call still hanging in the worker thread
