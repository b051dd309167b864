#!/usr/bin/env bash
# Brings up a local Kubernetes control plane with simulated GPU nodes, for the operator's end-to-end tests.
#
#   e2e/cluster/up.sh [--provider kwok|kind] [--print-env] [-h|--help]
#
# Default provider "kwok": no Docker, nothing downloaded at cluster start. build.sh builds (once, cached) etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok and kwokctl; then `kwokctl create
# cluster --runtime binary` runs them as local processes, all listening on 127.0.0.1 only, and kwok simulates
# the nodes of nodes.yaml.tmpl (pods bound to them become Running and Ready; DisaggCluster pods Running but
# not Ready: their readiness comes from the simulated kubelet of the tests, see kwokctl.yaml). Provider "kind" (needs Docker or
# Podman) delegates to e2e/kind/up.sh.
#
# Idempotent: a healthy cluster is reused in seconds; a broken or outdated one is deleted and recreated.
# Logs go to stderr; the last line on stdout is `export KUBECONFIG=...`, so `eval "$(e2e/cluster/up.sh)"` works.
#
# Env:
#   DISAGG_CLUSTER_PROVIDER   kwok (default) or kind; --provider wins
#   DISAGG_NODES_PER_ZONE     simulated GPU nodes per zone (default 2)
#   DISAGG_ZONES              zones (default "us-east-1a us-east-1b"); region = zone minus its last letter
#   DISAGG_KUBE_APISERVER_PORT  fixed apiserver port on 127.0.0.1 (default: random free port)
#   DISAGG_CLUSTER_NAME, DISAGG_CACHE_DIR, DISAGG_KUBECONFIG  see lib.sh
#   DISAGG_KEEP_ON_FAILURE=1  keep a cluster whose creation failed, for debugging
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# run_clean <command...>: runs the command with no file descriptor above 2 open. kwokctl's daemonized
# components inherit every open descriptor (our lock, a caller's pipes) and would hold them as long as they run.
run_clean() (
  for fd in /dev/fd/*; do
    fd=${fd##*/}
    case "$fd" in 0|1|2|*[!0-9]*) continue ;; esac
    eval "exec $fd>&-" 2>/dev/null || true
  done
  "$@"
)

provider="${DISAGG_CLUSTER_PROVIDER:-}"
print_env=0
while [ $# -gt 0 ]; do
  case "$1" in
    --provider) [ $# -ge 2 ] || die "--provider needs a value (kwok|kind)"; provider=$2; shift 2 ;;
    --provider=*) provider=${1#*=}; shift ;;
    --print-env) print_env=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
provider=${provider:-kwok}
case "$provider" in kwok|kind) ;; *) die "unknown provider '$provider' (kwok|kind)" ;; esac

if [ "$print_env" = 1 ]; then echo "export KUBECONFIG=$KUBECONFIG_OUT"; exit 0; fi

mkdir -p "$STATE_DIR"
# One up.sh/down.sh at a time per cluster name (two concurrent builds or creates would collide).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$STATE_DIR/lock"
  flock -w 1800 9 || die "timed out waiting for another up.sh/down.sh on cluster '$CLUSTER_NAME' ($STATE_DIR/lock)"
fi

recorded=$(recorded_provider)
if [ -n "$recorded" ] && [ "$recorded" != "$provider" ]; then
  die "cluster '$CLUSTER_NAME' is up with provider '$recorded'; run e2e/cluster/down.sh first (or set DISAGG_CLUSTER_NAME)"
fi

if [ "$provider" = kind ]; then
  exec "$CLUSTER_DIR/../kind/up.sh"  # keeps the lock (fd 9) until it finishes
fi

# ---------------------------------------------------------------------------------------------------- kwok
nodes_per_zone="${DISAGG_NODES_PER_ZONE:-2}"
case "$nodes_per_zone" in ''|*[!0-9]*|0) die "DISAGG_NODES_PER_ZONE must be a positive integer, got '$nodes_per_zone'" ;; esac
read -r -a zones <<<"${DISAGG_ZONES:-us-east-1a us-east-1b}"
[ ${#zones[@]} -gt 0 ] || die "DISAGG_ZONES is empty"
for zone in "${zones[@]}"; do
  [[ $zone =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "zone '$zone' is not a valid label value / node name part (lower case, digits, '-')"
done
apiserver_port="${DISAGG_KUBE_APISERVER_PORT:-}"
case "$apiserver_port" in ''|[1-9]*) ;; *) die "DISAGG_KUBE_APISERVER_PORT must be a port number" ;; esac
case "$apiserver_port" in *[!0-9]*) die "DISAGG_KUBE_APISERVER_PORT must be a port number" ;; esac

start=$(date +%s)
build_cmd=("$CLUSTER_DIR/build.sh")
# Clusters with other names share the binary cache: one build at a time.
if command -v flock >/dev/null 2>&1; then mkdir -p "$CACHE_ROOT"; build_cmd=(flock -w 3600 "$CACHE_ROOT/build.lock" "${build_cmd[@]}"); fi
if ! run_clean "${build_cmd[@]}" >/dev/null; then
  die "building the control-plane binaries failed (see the messages above; Go >= 1.24 and access to the Go module proxy are needed for the first build)"
fi

cluster_kubectl() { "$BIN_DIR/kubectl" --kubeconfig "$KWOK_CLUSTER_DIR/kubeconfig.yaml" --request-timeout=5s "$@"; }

# wait_for <seconds> <what> <command...>: polls the command every second.
wait_for() {
  local timeout=$1 what=$2 deadline; shift 2
  deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "timed out after ${timeout}s waiting for $what"; return 1; }
    sleep 1
  done
}

# Why an existing cluster can't be reused (empty: it can).
existing_cluster_problem() {
  local f n=0
  grep -qF "$BIN_DIR/kube-apiserver" "$KWOK_CLUSTER_DIR/kwok.yaml" 2>/dev/null ||
    { echo "it was created with other binaries"; return; }
  [ "$(cat "$STATE_DIR/kwokctl.yaml.sum" 2>/dev/null)" = "$(config_sum)" ] ||
    { echo "it was created with another kwokctl.yaml"; return; }
  for f in "$KWOK_CLUSTER_DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    alive_pid "$(cat "$f")" || { echo "$(basename "$f" .pid) is not running"; return; }
  done
  [ "$n" -ge 5 ] || { echo "only $n of its 5 components have been started"; return; }
  cluster_kubectl get --raw /readyz >/dev/null 2>&1 || { echo "kube-apiserver is not ready"; return; }
}

# Pod IPs are loopback addresses (see kwokctl.yaml). Each cluster name gets its own /16, so two
# local clusters (e.g. a demo and a test run) never hand out the same IP: simulated workers bind
# pod IPs. "disagg" keeps 127.1.0.0/16; other names get 127.N.0.0/16 with N in 2..201.
pod_octet() {
  if [ "$CLUSTER_NAME" = disagg ]; then echo 1; else echo $(( 2 + $(printf %s "$CLUSTER_NAME" | cksum | cut -d' ' -f1) % 200 )); fi
}
render_config() {
  mkdir -p "$STATE_DIR"
  sed "s#cidr: 127.1.0.1/16#cidr: 127.$(pod_octet).0.1/16#" "$CLUSTER_DIR/kwokctl.yaml" >"$STATE_DIR/kwokctl.yaml"
  echo "$STATE_DIR/kwokctl.yaml"
}
config_sum() { { sed "s#cidr: 127.1.0.1/16#cidr: 127.$(pod_octet).0.1/16#" "$CLUSTER_DIR/kwokctl.yaml"; cat "$CLUSTER_DIR/audit-policy.yaml"; } | cksum; }

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

created=0
on_exit() {
  local rc=$?
  [ "$rc" -ne 0 ] && [ "$created" = 1 ] || return 0
  local keep="$STATE_DIR/last-failure"
  rm -rf "$keep"; mkdir -p "$keep"
  cp -r "$KWOK_CLUSTER_DIR/logs" "$keep/" 2>/dev/null || true
  cp "$STATE_DIR/kwokctl-create.log" "$keep/" 2>/dev/null || true
  log "---- cluster creation failed; kwokctl output: $keep/kwokctl-create.log"
  tail -n 8 "$keep/kwokctl-create.log" >&2 2>/dev/null || true
  local f
  for f in "$keep"/logs/*.log; do
    [ -e "$f" ] || continue
    log "---- last lines of $f"
    tail -n 8 "$f" >&2
  done
  if [ "${DISAGG_KEEP_ON_FAILURE:-0}" = 1 ]; then
    log "DISAGG_KEEP_ON_FAILURE=1: leaving the cluster as it is (logs: $KWOK_CLUSTER_DIR/logs); remove it with e2e/cluster/down.sh"
  else
    log "cleaning up the failed cluster (set DISAGG_KEEP_ON_FAILURE=1 to keep it)"
    DISAGG_CLUSTER_LOCK_HELD=1 "$CLUSTER_DIR/down.sh" --provider kwok 9>&- >/dev/null 2>"$keep/down.log" ||
      log "cleanup reported problems: $keep/down.log"
  fi
  log "component logs kept in $keep/logs"
}
trap on_exit EXIT

reused=0
if [ -e "$KWOK_CLUSTER_DIR" ]; then
  problem=$(existing_cluster_problem)
  if [ -z "$problem" ]; then
    reused=1
    log "reusing running cluster '$CLUSTER_NAME' ($KWOK_CLUSTER_DIR)"
  else
    log "existing cluster '$CLUSTER_NAME' can't be reused ($problem): deleting and recreating it"
    DISAGG_CLUSTER_LOCK_HELD=1 "$CLUSTER_DIR/down.sh" --provider kwok 9>&- >/dev/null || die "could not delete the old cluster; see e2e/cluster/down.sh output"
  fi
fi

if [ "$reused" = 0 ]; then
  port_args=()
  if [ -n "$apiserver_port" ]; then
    port_in_use "$apiserver_port" &&
      die "port $apiserver_port (DISAGG_KUBE_APISERVER_PORT) is already in use: $(ss -ltnpH "sport = :$apiserver_port" 2>/dev/null | head -n1)"
    port_args=(--kube-apiserver-port "$apiserver_port")
  fi
  log "creating cluster '$CLUSTER_NAME' (kwokctl, binary runtime, 127.0.0.1 only; logs: $KWOK_CLUSTER_DIR/logs)"
  created=1
  echo kwok >"$STATE_DIR/provider"
  config_sum >"$STATE_DIR/kwokctl.yaml.sum"
  # --kubeconfig "": don't touch ~/.kube/config; we write our own below.
  if ! run_clean kwokctl_ --config "$(render_config)" create cluster \
      --runtime binary \
      --kubeconfig "" \
      --kube-apiserver-binary "$BIN_DIR/kube-apiserver" \
      --kube-controller-manager-binary "$BIN_DIR/kube-controller-manager" \
      --kube-scheduler-binary "$BIN_DIR/kube-scheduler" \
      --etcd-binary "$BIN_DIR/etcd" \
      --kwok-controller-binary "$BIN_DIR/kwok" \
      --kube-audit-policy "$CLUSTER_DIR/audit-policy.yaml" \
      --quiet-pull \
      --timeout 5m --wait 2m \
      ${port_args[@]+"${port_args[@]}"} \
      >"$STATE_DIR/kwokctl-create.log" 2>&1; then
    die "kwokctl create cluster failed"
  fi
  grep -q '"level":"ERROR"' "$STATE_DIR/kwokctl-create.log" && die "kwokctl create cluster reported errors"
fi
echo kwok >"$STATE_DIR/provider"

# Kubeconfig at the known path (certificates embedded), written atomically.
tmp_kc="$KUBECONFIG_OUT.tmp.$$"
mkdir -p "$(dirname "$KUBECONFIG_OUT")"
kwokctl_ get kubeconfig >"$tmp_kc" 2>"$STATE_DIR/kwokctl-kubeconfig.log" 9>&- ||
  { rm -f "$tmp_kc"; die "kwokctl get kubeconfig failed: $(cat "$STATE_DIR/kwokctl-kubeconfig.log")"; }
chmod 600 "$tmp_kc"; mv -f "$tmp_kc" "$KUBECONFIG_OUT"

wait_for 60 "kube-apiserver /readyz" kubectl_ get --raw /readyz || die "kube-apiserver is not ready"
# Both hold their leader-election lease once they run (kwokctl starts them without --leader-elect=false).
wait_for 60 "kube-controller-manager and kube-scheduler leader leases" \
  kubectl_ -n kube-system get lease kube-controller-manager kube-scheduler || die "kube-controller-manager or kube-scheduler did not start"

# Simulated GPU nodes: render the template once per node, apply, and drop labelled nodes no longer wanted.
manifest="$STATE_DIR/nodes.yaml"
: >"$manifest"
wanted=()
for zone in "${zones[@]}"; do
  for n in $(seq 1 "$nodes_per_zone"); do
    name="gpu-$zone-$n"
    wanted+=("$name")
    sed -e "s|@NAME@|$name|g" -e "s|@ZONE@|$zone|g" -e "s|@REGION@|${zone%?}|g" \
        -e "s|@K8S_VERSION@|$K8S_VERSION|g" \
        "$CLUSTER_DIR/nodes.yaml.tmpl" >>"$manifest"
    printf -- '---\n' >>"$manifest"
  done
done
kubectl_ apply -f "$manifest" >/dev/null || die "creating the simulated nodes failed ($manifest)"
for node in $(kubectl_ get nodes -l kwok.x-k8s.io/node=fake -o jsonpath='{.items[*].metadata.name}'); do
  case " ${wanted[*]} " in *" $node "*) ;; *) log "deleting simulated node $node (not wanted any more)"; kubectl_ delete node "$node" >/dev/null ;; esac
done
wait_for 120 "the simulated nodes to be Ready" \
  kubectl_ wait --for=condition=Ready nodes -l kwok.x-k8s.io/node=fake --timeout=5s || {
  kubectl_ get nodes -o wide >&2 || true
  die "the simulated nodes did not become Ready (kwok controller log: $KWOK_CLUSTER_DIR/logs/kwok-controller.log)"
}
# Pods can only be created once the ServiceAccount admission plugin finds the default ServiceAccount.
wait_for 60 "ServiceAccount default/default" kubectl_ -n default get serviceaccount default ||
  die "ServiceAccount default/default was not created (kube-controller-manager log: $KWOK_CLUSTER_DIR/logs/kube-controller-manager.log)"

created=0
server=$(kubectl_ config view --minify -o jsonpath='{.clusters[0].cluster.server}')
log "cluster '$CLUSTER_NAME' is up in $(( $(date +%s) - start ))s: ${#wanted[@]} simulated GPU nodes in ${zones[*]}, apiserver $server"
log "kubeconfig: $KUBECONFIG_OUT   component logs: $KWOK_CLUSTER_DIR/logs   delete: e2e/cluster/down.sh"
echo "export KUBECONFIG=$KUBECONFIG_OUT"
