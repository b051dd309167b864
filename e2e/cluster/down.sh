#!/usr/bin/env bash
# Deletes the local cluster made by up.sh and checks nothing is left behind.
#
#   e2e/cluster/down.sh [--provider kwok|kind] [-h|--help]
#
# The provider defaults to the one up.sh recorded for this cluster (else DISAGG_CLUSTER_PROVIDER, else kwok).
# kwok: `kwokctl delete cluster`, then verifies that no process of this cluster (a binary from the build cache
# started for this cluster's directory) survives and that none of its ports still listens; leftovers are
# killed (TERM, then KILL) and reported. Removes the kubeconfig written by up.sh. Exit 0 when there is nothing
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
  local f pid exe
  {
    for f in "$KWOK_CLUSTER_DIR"/pids/*.pid; do [ -e "$f" ] && cat "$f" && echo; done
    for exe in /proc/[0-9]*/exe; do
      pid=${exe#/proc/}; pid=${pid%/exe}
      case "$(readlink -f "$exe" 2>/dev/null)" in "$BIN_DIR"/*) ;; *) continue ;; esac
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$KWOK_CLUSTER_DIR/" && echo "$pid"
    done
  } 2>/dev/null | grep -E '^[0-9]+$' | sort -un | while read -r pid; do
    kill -0 "$pid" 2>/dev/null && echo "$pid"
  done
}
describe() { ps -o pid=,args= -p "$1" 2>/dev/null | cut -c1-160 || true; }
listening_ports() { # TCP ports the given pids listen on
  command -v ss >/dev/null 2>&1 || return 0
  local pid
  for pid in "$@"; do
    ss -ltnpH 2>/dev/null | grep -F "pid=$pid," | awk '{print $4}' | sed 's/.*://'
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

# Leftovers: wait a little for the processes kwokctl stopped, then TERM, then KILL.
problems=0
for round in 1 2 3; do
  left=$(cluster_pids | tr '\n' ' ')
  [ -n "${left// /}" ] || break
  case $round in
    1) sleep 3 ;;
    2) for p in $left; do log "leftover process, sending TERM: $(describe "$p")"; kill -TERM "$p" 2>/dev/null || true; done; sleep 5 ;;
    3) for p in $left; do log "leftover process, sending KILL: $(describe "$p")"; kill -KILL "$p" 2>/dev/null || true; done; sleep 1 ;;
  esac
done
left=$(cluster_pids | tr '\n' ' ')
if [ -n "${left// /}" ]; then
  for p in $left; do log "process still running: $(describe "$p")"; done
  problems=1
fi

if [ -n "${ports// /}" ] && command -v ss >/dev/null 2>&1; then
  for port in $ports; do
    if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
      log "port $port is still listening: $(ss -ltnpH "sport = :$port" 2>/dev/null | head -n1)"
      problems=1
    fi
  done
fi

rm -rf "$KWOK_CLUSTER_DIR"
rm -f "$KUBECONFIG_OUT" "$STATE_DIR/provider" "$STATE_DIR/nodes.yaml"

# Other clusters built from the same binaries are only reported.
others=""
for exe in /proc/[0-9]*/exe; do
  case "$(readlink -f "$exe" 2>/dev/null)" in "$BIN_DIR"/*) p=${exe#/proc/}; others="$others ${p%/exe}" ;; esac
done
[ -z "$others" ] || log "note: processes of other clusters still run from $BIN_DIR:$others"

[ "$problems" = 0 ] || die "cluster '$CLUSTER_NAME' was not removed cleanly (see above)"
log "cluster '$CLUSTER_NAME' is down; no process or port of it is left"
