#!/usr/bin/env bash
# Deletes the local cluster made by up.sh and checks nothing is left behind.
#
#   e2e/cluster/down.sh [--provider kwok|kind] [-h|--help]
#
# The provider defaults to the one up.sh recorded for this cluster (else DISAGG_CLUSTER_PROVIDER, else kwok).
# kwok: `kwokctl delete cluster`, then verifies that no process of this cluster (a binary from the build cache
# started for this cluster's directory) survives and that none of its ports still listens (a port may take a
# moment to close after its process is gone: waited for up to DISAGG_CLUSTER_PORT_GRACE seconds, default 10);
# leftovers are killed (TERM, then KILL) and reported. Removes the kubeconfig written by up.sh. Exit 0 when there is nothing
# to delete; exit 1 only if something could not be removed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

provider=""
while [ $# -gt 0 ]; do
  case "$1" in
    --provider) [ $# -ge 2 ] || die "--provider needs a value (kwok|kind)"; provider=$2; shift 2 ;;
    --provider=*) provider=${1#*=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
provider=${provider:-$(recorded_provider)}
provider=${provider:-${DISAGG_CLUSTER_PROVIDER:-kwok}}
case "$provider" in kwok|kind) ;; *) die "unknown provider '$provider' (kwok|kind)" ;; esac

# Same lock as up.sh (which sets DISAGG_CLUSTER_LOCK_HELD when it calls us while holding it).
mkdir -p "$STATE_DIR"
if [ -z "${DISAGG_CLUSTER_LOCK_HELD:-}" ] && command -v flock >/dev/null 2>&1; then
  exec 9>"$STATE_DIR/lock"
  flock -w 600 9 || die "timed out waiting for another up.sh/down.sh on cluster '$CLUSTER_NAME'"
fi

if [ "$provider" = kind ]; then
  "$CLUSTER_DIR/../kind/down.sh" 9>&-
  rm -f "$STATE_DIR/provider"
  exit 0
fi

# Processes of this cluster: pid files, plus any process running a binary from BIN_DIR whose command line
# mentions this cluster's directory (kwokctl passes it to every component). Other clusters are not touched.
cluster_pids() {
  local f pid
  {
    for f in "$KWOK_CLUSTER_DIR"/pids/*.pid; do if [ -e "$f" ]; then cat "$f"; echo; fi; done
    grep -laF "$KWOK_CLUSTER_DIR/" /proc/[0-9]*/cmdline | sed 's|^/proc/||; s|/cmdline$||'
  } 2>/dev/null | { grep -E '^[0-9]+$' || true; } | sort -un | while read -r pid; do
    if alive_pid "$pid"; then echo "$pid"; fi
  done
}
describe() { ps -o pid=,args= -p "$1" 2>/dev/null | cut -c1-160 || true; }
still_listening() { # still_listening <port...>: those of the ports on which something listens, one line
  local port out=""
  for port in "$@"; do
    if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then out="$out $port"; fi
  done
  echo "${out# }"
}
listening_ports() { # TCP ports the given pids listen on
  command -v ss >/dev/null 2>&1 || return 0
  local pid
  for pid in "$@"; do
    ss -ltnpH 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) {sub(/.*:/, "", $4); print $4}'
  done | sort -un
}

pids=$(cluster_pids | tr '\n' ' ')
# shellcheck disable=SC2086
ports=$(listening_ports $pids | tr '\n' ' ')

if [ -e "$KWOK_CLUSTER_DIR" ] && [ -x "$BIN_DIR/kwokctl" ]; then
  log "deleting cluster '$CLUSTER_NAME' (ports: ${ports:-none})"
  kwokctl_ delete cluster >"$STATE_DIR/kwokctl-delete.log" 2>&1 9>&- ||
    log "kwokctl delete cluster failed ($STATE_DIR/kwokctl-delete.log); cleaning up by hand"
elif [ -z "$pids" ]; then
  log "no cluster '$CLUSTER_NAME' to delete"
fi

# Leftovers: give the processes kwokctl stopped (it SIGKILLs them) a moment, then TERM, then KILL (a TERMed
# kube-apiserver often is not gone after 15 s; this is throwaway test state, so 5 s is enough).
problems=0
settle() { # settle <seconds>: poll until no process of this cluster is left
  local i
  for ((i = 0; i < $1; i++)); do [ -z "$(cluster_pids)" ] && return 0; sleep 1; done
  [ -z "$(cluster_pids)" ]
}
if ! settle 3; then
  for p in $(cluster_pids); do log "leftover process, sending TERM: $(describe "$p")"; kill -TERM "$p" 2>/dev/null || true; done
  if ! settle 5; then
    for p in $(cluster_pids); do log "leftover process, sending KILL: $(describe "$p")"; kill -KILL "$p" 2>/dev/null || true; done
    settle 3 || true
  fi
fi
left=$(cluster_pids | tr '\n' ' ')
if [ -n "${left// /}" ]; then
  for p in $left; do log "process still running: $(describe "$p")"; done
  problems=1
fi

# Ports: a process that has just exited can still hold its listening sockets for a moment (the kernel closes
# its files after it stopped running, when /proc/<pid>/exe no longer resolves and cluster_pids no longer
# lists it; longer on a busy machine), so only a port still listening PORT_GRACE seconds after the
# processes are gone is a problem.
PORT_GRACE=${DISAGG_CLUSTER_PORT_GRACE:-10}
if [ -n "${ports// /}" ] && command -v ss >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  open=$(still_listening $ports)
  waited_from=$SECONDS
  while [ -n "$open" ] && [ $((SECONDS - waited_from)) -lt "$PORT_GRACE" ]; do
    sleep 0.2
    # shellcheck disable=SC2086
    open=$(still_listening $open)
  done
  for port in $open; do
    log "port $port is still listening ${PORT_GRACE}s after the cluster's processes exited: $(ss -ltnpH "sport = :$port" 2>/dev/null | head -n1)"
    problems=1
  done
fi

[ "$problems" = 1 ] || rm -rf "$KWOK_CLUSTER_DIR"
rm -f "$KUBECONFIG_OUT" "$STATE_DIR/provider" "$STATE_DIR/nodes.yaml" "$STATE_DIR/kwokctl.yaml.sum"

# Other clusters built from the same binaries are only reported.
others=$( { grep -laF "$KWOK_WORKDIR_DIR/clusters/" /proc/[0-9]*/cmdline 2>/dev/null || true; } |
  sed 's|^/proc/||; s|/cmdline$||' | while read -r p; do if alive_pid "$p"; then printf ' %s' "$p"; fi; done)
[ -z "$others" ] || log "note: processes of other clusters still run from $BIN_DIR:$others"

[ "$problems" = 0 ] || die "cluster '$CLUSTER_NAME' was not removed cleanly (see above)"
log "cluster '$CLUSTER_NAME' is down; no process or port of it is left"
