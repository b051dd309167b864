#!/usr/bin/env bash
# The main job: a local Kubernetes cluster with simulated GPU nodes, an etcd for worker discovery,
# the operator built and running against both, a sample DisaggCluster applied, and simulated
# TensorRT-LLM workers (one per worker pod, bound to the pod's loopback IP, registering in etcd
# like trtllm-serve) so that the cluster becomes Ready exactly as with real GPUs.
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

stop_pid() { # stop_pid <name>: stops the process recorded in $WORK/<name>.pid
  if [ -f "$WORK/$1.pid" ] && kill -0 "$(cat "$WORK/$1.pid")" 2>/dev/null; then
    kill "$(cat "$WORK/$1.pid")"
    for _ in $(seq 1 20); do kill -0 "$(cat "$WORK/$1.pid")" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$WORK/$1.pid"
}
stop_all() { stop_pid workers; stop_pid operator; stop_pid etcd; }

if [ "${1:-}" = "--stop" ]; then
  stop_all
  bash "$ROOT/e2e/cluster/down.sh"
  exit 0
fi
SAMPLE=${1:-$ROOT/config-samples/minimal.yaml}

bash "$ROOT/e2e/cluster/up.sh"
export KUBECONFIG="$KUBECONFIG_OUT"
K="$BIN_DIR/kubectl"

echo "[run] building the operator"
(cd "$ROOT" && ./mvnw -B -q -ntp package -DskipTests \
  && ./mvnw -B -q -ntp -pl operator dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/test-classpath.txt")

stop_all
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

echo "[run] installing the CRD"
"$K" apply --server-side -f "$ROOT/crds/"
wait_condition 60 crd disaggclusters.serving.disagg.io Established || { echo "[run] CRD not established"; exit 1; }

echo "[run] starting the operator (log: $WORK/operator.log)"
DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS="$ETCD_ENDPOINT" \
  QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="${DISAGG_DEMO_OPERATOR_PORT:-18080}" \
  nohup java -jar operator/target/quarkus-app/quarkus-run.jar >"$WORK/operator.log" 2>&1 &
echo $! >"$WORK/operator.pid"
echo "[run] starting simulated TensorRT-LLM workers for namespace $NS (log: $WORK/workers.log)"
nohup java -cp "operator/target/test-classes:operator/target/classes:$(cat "$WORK/test-classpath.txt")" \
  io.disagg.operator.testing.trtllm.SimulateWorkersMain "$NS" "$ETCD_ENDPOINT" >"$WORK/workers.log" 2>&1 &
echo $! >"$WORK/workers.pid"

"$K" create namespace "$NS" --dry-run=client -o yaml | "$K" apply -f -
# The samples name an in-cluster etcd; the demo's is on loopback.
sed "s#etcd.disagg-system.svc:2379#$ETCD_ENDPOINT#" "$SAMPLE" | "$K" apply -n "$NS" -f -
name=$("$K" create --dry-run=client -o jsonpath='{.metadata.name}' -f "$SAMPLE")
echo "[run] waiting for DisaggCluster $NS/$name to become Ready"
if ! wait_condition 180 -n "$NS" dgc "$name" Ready; then
  echo "[run] not Ready in time; operator log tail:"; tail -n 40 "$WORK/operator.log"
  "$K" get dgc -n "$NS" "$name" -o yaml
  exit 1
fi

echo; echo "== kubectl get dgc -n $NS -o wide"
"$K" get dgc -n "$NS" -o wide
echo; echo "== children"
"$K" get statefulsets,deployments,services,configmaps,poddisruptionbudgets,pods -n "$NS" -o wide -l app.kubernetes.io/instance="$name"
echo; echo "== status"
"$K" get dgc -n "$NS" "$name" -o jsonpath='{.status}' | python3 -m json.tool 2>/dev/null || "$K" get dgc -n "$NS" "$name" -o jsonpath='{.status}'
echo; echo "== router config (disagg_config.yaml)"
"$K" get configmap -n "$NS" "$name-config" -o jsonpath='{.data.router\.yaml}'
echo; echo "== events"
"$K" get events -n "$NS" --field-selector involvedObject.kind=DisaggCluster
cat <<MSG

The operator, etcd ($ETCD_ENDPOINT) and the simulated workers keep running (logs in $WORK).
  export KUBECONFIG=$KUBECONFIG_OUT
  $K get dgc -A
Stop everything with: e2e/run.sh --stop
MSG
