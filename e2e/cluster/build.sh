#!/usr/bin/env bash
# Builds the pinned control-plane binaries from Go modules into a cache outside the repository:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok, kwokctl.
# A second run finds them and returns in well under a second. Prints the binary directory.
# Env: DISAGG_CACHE_DIR (default ~/.cache/disagg-operator), GOFLAGS, GOMAXPROCS as usual.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.24; https://go.dev/doc/install or 'apt-get install golang-1.24')."
gov=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n1.24\n' "$gov" | sort -V | head -n1)" != "1.24" ]; then
  die "Go $gov is too old: Kubernetes ${K8S_VERSION} needs Go >= 1.24."
fi

BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl)
missing=()
for b in "${BINS[@]}"; do [ -x "$BIN_DIR/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$BIN_DIR"; exit 0; fi

mkdir -p "$BIN_DIR"
tmp="$BIN_DIR/.partial"; mkdir -p "$tmp"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -trimpath"
start=$(date +%s)
build() { # build <module dir> <output name> <package> [ldflags]
  local dir=$1 out=$2 pkg=$3 ld=${4:-}
  [ -x "$BIN_DIR/$out" ] && return 0
  log "building $out ($pkg) ..."
  if ! (cd "$CLUSTER_DIR/$dir" && go build -ldflags "-s -w $ld" -o "$tmp/$out" "$pkg") >"$tmp/$out.log" 2>&1; then
    tail -n 40 "$tmp/$out.log" >&2
    die "building $out failed (full log: $tmp/$out.log)"
  fi
  mv "$tmp/$out" "$BIN_DIR/$out"
}

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
kver="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
kver="$kver -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
build etcd  etcd  go.etcd.io/etcd/server/v3
build kwok  kwok     sigs.k8s.io/kwok/cmd/kwok     "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
build kwok  kwokctl  sigs.k8s.io/kwok/cmd/kwokctl  "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
build k8s   kube-apiserver          k8s.io/kubernetes/cmd/kube-apiserver          "$kver"
build k8s   kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$kver"
build k8s   kube-scheduler          k8s.io/kubernetes/cmd/kube-scheduler          "$kver"
build k8s   kubectl                 k8s.io/kubernetes/cmd/kubectl                 "$kver"
rm -rf "$tmp"
log "built ${missing[*]} in $(( $(date +%s) - start ))s into $BIN_DIR"
echo "$BIN_DIR"
