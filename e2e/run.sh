#!/usr/bin/env bash
# The main job: a local Kubernetes cluster with simulated GPU nodes, an etcd for worker discovery,
# the operator installed with its Helm chart and running against both with the chart's
# ServiceAccount identity, a sample DisaggCluster applied, and simulated TensorRT-LLM processes (a
# worker per worker pod, registering in etcd like trtllm-serve, and a router per router pod, each
# bound to its pod's loopback IP) whose probes set the pods' readiness, as a kubelet does, so that
# the cluster becomes Ready exactly as with real GPUs. DISAGG_DEMO_TRTLLM_RELEASE (1.2, default, or
# 1.3) picks the TensorRT-LLM release the simulated processes behave like.
#
# No operator image can be built or pulled here, so the chart is installed with replicas=0 (CRD,
# ServiceAccount, RBAC, Services) and the operator runs from the freshly built jar on this machine,
# authenticated with a token of the chart's ServiceAccount and electing a leader as the chart's
# pods do: it can do exactly what an installed operator can, no more.
#
#   e2e/run.sh [SAMPLE]     # default config-samples/minimal.yaml; leaves everything running
#   e2e/run.sh --stop       # stops the operator and the cluster
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/e2e/cluster/lib.sh"
WORK="$ROOT/e2e/.work"
cd "$ROOT"
mkdir -p "$WORK"
NS=${DISAGG_DEMO_NAMESPACE:-demo}
OPERATOR_NS=${DISAGG_DEMO_OPERATOR_NAMESPACE:-disagg-system}
RELEASE=disagg-operator
ETCD_PORT=${DISAGG_DEMO_ETCD_PORT:-22379}
ETCD_ENDPOINT=127.0.0.1:$ETCD_PORT

# wait_condition <seconds> <kubectl get args...>: polls until the object's condition (last arg) is True.
wait_condition() {
  local timeout=$1; shift
  local cond=${*: -1}; local args=("${@:1:$#-1}")
  local deadline=$(( $(date +%s) + timeout ))
  until [ "$("$K" get "${args[@]}" -o jsonpath="{.status.conditions[?(@.type==\"$cond\")].status}" 2>/dev/null)" = "True" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# stop_pid <name> <pattern>: stops the process recorded in $WORK/<name>.pid (only if its command line
# still matches <pattern>, so a reused pid is never signalled) and verifies it is gone. SIGTERM first:
# the operator stops reconciling, releases its leader Lease and exits 0 within seconds; after
# STOP_GRACE seconds (the chart's terminationGracePeriodSeconds) it is reported and killed, as the
# kubelet would. The pid file is removed only once the process is gone; returns 1 if it is not.
STOP_GRACE=${DISAGG_DEMO_STOP_GRACE:-30}
stop_pid() {
  local name=$1 pattern=$2 f="$WORK/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! ps -p "$pid" -o args= 2>/dev/null | grep -qF -- "$pattern"; then
    rm -f "$f"; return 0 # not running (any more): nothing to stop
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + STOP_GRACE ))
  while kill -0 "$pid" 2>/dev/null && [ "$(ps -p "$pid" -o stat= 2>/dev/null | cut -c1)" != Z ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "[run] ERROR: $name (pid $pid) still running ${STOP_GRACE}s after SIGTERM; killing it (log: $WORK/$name.log)" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      if kill -0 "$pid" 2>/dev/null && [ "$(ps -p "$pid" -o stat= 2>/dev/null | cut -c1)" != Z ]; then
        echo "[run] ERROR: $name (pid $pid) survived SIGKILL: $(ps -p "$pid" -o args= | cut -c1-120)" >&2
        return 1
      fi
      rm -f "$f"
      return 1 # gone, but only by SIGKILL: a graceful stop failed, which is a bug worth seeing
    fi
    sleep 0.2
  done
  rm -f "$f"
  echo "[run] stopped $name (pid $pid)"
}
# Workers first (they deregister from etcd), then the operator, then etcd. Every one is tried.
stop_all() {
  local rc=0
  stop_pid workers SimulateWorkersMain || rc=1
  stop_pid operator quarkus-run.jar || rc=1
  stop_pid etcd "$BIN_DIR/etcd" || rc=1
  return $rc
}

if [ "${1:-}" = "--stop" ]; then
  stopped=0; stop_all || stopped=1
  if [ -x "$HELM_BIN" ] && [ -f "$KUBECONFIG_OUT" ]; then
    "$HELM_BIN" uninstall "$RELEASE" -n "$OPERATOR_NS" --kubeconfig "$KUBECONFIG_OUT" >/dev/null 2>&1 || true
  fi
  bash "$ROOT/e2e/cluster/down.sh" || stopped=1
  [ $stopped -eq 0 ] || echo "[run] ERROR: not everything stopped cleanly (see above)" >&2
  exit $stopped
fi
SAMPLE=${1:-$ROOT/config-samples/minimal.yaml}

bash "$ROOT/e2e/cluster/up.sh"
export KUBECONFIG="$KUBECONFIG_OUT"
K="$BIN_DIR/kubectl"

echo "[run] building the operator and the simulators"
# The e2e module's package writes its runtime classpath (e2e/target/runtime-classpath.txt), with which
# the simulated workers run from e2e/target/classes.
(cd "$ROOT" && ./mvnw -B -q -ntp package -DskipTests)

stop_all || { echo "[run] ERROR: a process of an earlier run is still running (see above)"; exit 1; }
echo "[run] starting etcd for worker discovery on $ETCD_ENDPOINT (log: $WORK/etcd.log)"
if ss -ltn 2>/dev/null | awk '{print $4}' | grep -qE "[:.]$ETCD_PORT\$"; then
  echo "[run] port $ETCD_PORT is in use; set DISAGG_DEMO_ETCD_PORT"; exit 1
fi
rm -rf "$WORK/etcd-data"
nohup "$BIN_DIR/etcd" --name demo --data-dir "$WORK/etcd-data" \
  --listen-client-urls "http://$ETCD_ENDPOINT" --advertise-client-urls "http://$ETCD_ENDPOINT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "demo=http://127.0.0.1:$((ETCD_PORT + 1))" --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT + 2))" \
  --log-level warn >"$WORK/etcd.log" 2>&1 & echo $! >"$WORK/etcd.pid"

[ -x "$HELM_BIN" ] || { echo "[run] $HELM_BIN is missing: run e2e/cluster/build.sh (it builds helm from its Go module)"; exit 1; }
echo "[run] installing the CRD (server-side: it is over 256 KiB) and the chart (replicas=0) into $OPERATOR_NS"
"$K" apply --server-side --force-conflicts -f "$ROOT/crds/"
wait_condition 60 crd disaggclusters.serving.disagg.io Established || { echo "[run] CRD not established"; exit 1; }
"$HELM_BIN" upgrade --install "$RELEASE" "$ROOT/helm/disagg-operator" --namespace "$OPERATOR_NS" --create-namespace \
  --skip-crds --set replicas=0 --set "discovery.defaultEtcdEndpoints={$ETCD_ENDPOINT}" --wait --timeout 2m >/dev/null

# A kubeconfig with the chart's ServiceAccount token: same API server and CA, no admin certificate.
SA=$("$K" get serviceaccount -n "$OPERATOR_NS" -l app.kubernetes.io/instance="$RELEASE" -o jsonpath='{.items[0].metadata.name}')
SA_KUBECONFIG="$WORK/operator-sa.kubeconfig"
server=$("$K" config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
"$K" config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$WORK/ca.crt"
rm -f "$SA_KUBECONFIG"
KUBECONFIG="$SA_KUBECONFIG" "$K" config set-cluster local --server="$server" --certificate-authority="$WORK/ca.crt" --embed-certs >/dev/null
KUBECONFIG="$SA_KUBECONFIG" "$K" config set-credentials "$SA" --token="$("$K" create token "$SA" -n "$OPERATOR_NS" --duration=24h)" >/dev/null
KUBECONFIG="$SA_KUBECONFIG" "$K" config set-context operator --cluster=local --user="$SA" --namespace="$OPERATOR_NS" >/dev/null
KUBECONFIG="$SA_KUBECONFIG" "$K" config use-context operator >/dev/null

echo "[run] starting the operator as system:serviceaccount:$OPERATOR_NS:$SA (log: $WORK/operator.log)"
# The environment the chart gives the operator container (plain values; POD_NAMESPACE comes from the
# downward API there), so this process is configured exactly as an installed pod.
chart_env=()
while IFS= read -r kv; do
  case "$kv" in *=?*) chart_env+=("$kv") ;; esac
done < <("$K" get deployment -n "$OPERATOR_NS" -l app.kubernetes.io/instance="$RELEASE" \
  -o jsonpath='{range .items[0].spec.template.spec.containers[0].env[*]}{.name}={.value}{"\n"}{end}')
env "${chart_env[@]}" KUBECONFIG="$SA_KUBECONFIG" POD_NAMESPACE="$OPERATOR_NS" POD_NAME="local-$(hostname)" \
  QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="${DISAGG_DEMO_OPERATOR_PORT:-18080}" \
  nohup java -jar operator/target/quarkus-app/quarkus-run.jar >"$WORK/operator.log" 2>&1 &
echo $! >"$WORK/operator.pid"
echo "[run] starting simulated TensorRT-LLM workers and routers for namespace $NS (log: $WORK/workers.log)"
nohup java -cp "e2e/target/classes:$(cat e2e/target/runtime-classpath.txt)" \
  io.disagg.e2e.trtllm.SimulateWorkersMain "$NS" "$ETCD_ENDPOINT" "${DISAGG_DEMO_TRTLLM_RELEASE:-1.2}" >"$WORK/workers.log" 2>&1 &
echo $! >"$WORK/workers.pid"

"$K" create namespace "$NS" --dry-run=client -o yaml | "$K" apply -f -
name=$("$K" create --dry-run=client -o jsonpath='{.metadata.name}' -f "$SAMPLE")
# A sample with spec.modelCache (docs/model-cache.md): this cluster has no storage provisioner, so
# the claim the operator creates gets a PersistentVolume bound to it in advance (claimRef), and the
# download's token Secret a dummy token; the simulated kubelet stands for the volume with a
# directory of its own and runs the download and the workers' wait as the containers would.
cache_size=$("$K" create --dry-run=client -o jsonpath='{.spec.modelCache.size}' -f "$SAMPLE")
if [ -n "$cache_size" ]; then
  cache_class=$("$K" create --dry-run=client -o jsonpath='{.spec.modelCache.storageClassName}' -f "$SAMPLE")
  "$K" apply -f - <<PV
apiVersion: v1
kind: PersistentVolume
metadata: {name: $NS-$name-model-cache}
spec:
  capacity: {storage: $cache_size}
  accessModes: [ReadWriteMany]
  storageClassName: "$cache_class"
  persistentVolumeReclaimPolicy: Retain
  claimRef: {namespace: $NS, name: $name-model-cache}
  hostPath: {path: /simulated/$NS/$name-model-cache}
PV
  token=$("$K" create --dry-run=client -o jsonpath='{.spec.modelCache.download.tokenSecretRef.name}' -f "$SAMPLE")
  [ -z "$token" ] || "$K" create secret generic -n "$NS" "$token" --from-literal=HF_TOKEN=hf_simulated \
    --dry-run=client -o yaml | "$K" apply -f -
fi
# The samples name an in-cluster etcd; the demo's is on loopback.
sed "s#etcd.disagg-system.svc:2379#$ETCD_ENDPOINT#" "$SAMPLE" | "$K" apply -n "$NS" -f -
echo "[run] waiting for DisaggCluster $NS/$name to become Ready"
if ! wait_condition 180 -n "$NS" dgc "$name" Ready; then
  echo "[run] not Ready in time; operator log tail:"; tail -n 40 "$WORK/operator.log"
  "$K" get dgc -n "$NS" "$name" -o yaml
  exit 1
fi

echo; echo "== kubectl get dgc -n $NS -o wide"
"$K" get dgc -n "$NS" -o wide
echo; echo "== children"
"$K" get statefulsets,deployments,services,configmaps,poddisruptionbudgets,persistentvolumeclaims,jobs,pods -n "$NS" -o wide -l app.kubernetes.io/instance="$name"
echo; echo "== status"
"$K" get dgc -n "$NS" "$name" -o jsonpath='{.status}' | python3 -m json.tool 2>/dev/null || "$K" get dgc -n "$NS" "$name" -o jsonpath='{.status}'
echo; echo "== router config (disagg_config.yaml)"
"$K" get configmap -n "$NS" "$name-config" -o jsonpath='{.data.router\.yaml}'
echo; echo "== the operator's identity and its leader Lease"
"$K" get lease -n "$OPERATOR_NS" disagg-operator-leader -o jsonpath='{.spec.holderIdentity}{"\n"}' 2>/dev/null || true
echo; echo "== events"
"$K" get events -n "$NS" --field-selector involvedObject.kind=DisaggCluster
cat <<MSG

The operator, etcd ($ETCD_ENDPOINT) and the simulated workers and routers keep running (logs in $WORK).
  export KUBECONFIG=$KUBECONFIG_OUT
  $K get dgc -A
Stop everything with: e2e/run.sh --stop
MSG
