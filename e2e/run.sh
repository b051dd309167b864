#!/usr/bin/env bash
# The main job: a local Kubernetes cluster with simulated GPU nodes, the operator built and
# running against it, and a sample DisaggCluster applied and brought to Ready.
#
#   e2e/run.sh [SAMPLE]     # default config-samples/minimal.yaml; leaves everything running
#   e2e/run.sh --stop       # stops the operator and the cluster
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/e2e/cluster/lib.sh"
WORK="$ROOT/e2e/.work"
mkdir -p "$WORK"
NS=${DISAGG_DEMO_NAMESPACE:-demo}

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

stop_operator() {
  if [ -f "$WORK/operator.pid" ] && kill -0 "$(cat "$WORK/operator.pid")" 2>/dev/null; then
    kill "$(cat "$WORK/operator.pid")"; sleep 1
  fi
  rm -f "$WORK/operator.pid"
}

if [ "${1:-}" = "--stop" ]; then
  stop_operator
  bash "$ROOT/e2e/cluster/down.sh"
  exit 0
fi
SAMPLE=${1:-$ROOT/config-samples/minimal.yaml}

bash "$ROOT/e2e/cluster/up.sh"
export KUBECONFIG="$KUBECONFIG_OUT"
K="$BIN_DIR/kubectl"

echo "[run] building the operator"
(cd "$ROOT" && ./mvnw -B -q -ntp package -DskipTests)

echo "[run] installing the CRD"
"$K" apply --server-side -f "$ROOT/crds/"
wait_condition 60 crd disaggclusters.serving.disagg.io Established || { echo "[run] CRD not established"; exit 1; }

stop_operator
echo "[run] starting the operator (log: $WORK/operator.log)"
(cd "$ROOT" && nohup java -jar operator/target/quarkus-app/quarkus-run.jar >"$WORK/operator.log" 2>&1 & echo $! >"$WORK/operator.pid")

"$K" create namespace "$NS" --dry-run=client -o yaml | "$K" apply -f -
"$K" apply -n "$NS" -f "$SAMPLE"
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

The operator keeps running (pid $(cat "$WORK/operator.pid"), log $WORK/operator.log).
  export KUBECONFIG=$KUBECONFIG_OUT
  $K get dgc -A
Stop everything with: e2e/run.sh --stop
MSG
