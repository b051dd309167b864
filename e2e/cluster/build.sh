#!/usr/bin/env bash
# Builds the pinned control-plane binaries from Go modules into a cache outside the repository:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok, kwokctl,
# and helm (for the chart tests) into its own directory, $HELM_BIN_DIR.
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
[ -x "$HELM_BIN" ] || missing+=(helm)
if [ ${#missing[@]} -eq 0 ]; then echo "$BIN_DIR"; exit 0; fi

mkdir -p "$BIN_DIR" "$HELM_BIN_DIR"
tmp="$BIN_DIR/.partial"; mkdir -p "$tmp"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -trimpath"
start=$(date +%s)
build() { # build <module dir> <output name> <package> [ldflags] [destination dir]
  local dir=$1 out=$2 pkg=$3 ld=${4:-} dest=${5:-$BIN_DIR}
  [ -x "$dest/$out" ] && return 0
  log "building $out ($pkg) ..."
  local t0; t0=$(date +%s)
  if ! (cd "$CLUSTER_DIR/$dir" && go build -ldflags "-s -w $ld" -o "$tmp/$out" "$pkg") >"$tmp/$out.log" 2>&1; then
    tail -n 40 "$tmp/$out.log" >&2
    die "building $out failed (full log: $tmp/$out.log)"
  fi
  mv "$tmp/$out" "$dest/$out"
  log "built $out in $(( $(date +%s) - t0 ))s"
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
# helm: the version helm reports, and the Kubernetes version 'helm template' assumes (.Capabilities),
# taken from the client-go it is built with, as helm's own Makefile does.
hkube=$(awk '$1=="k8s.io/client-go"{print $2; exit}' "$CLUSTER_DIR/helm/go.mod"); hkube=${hkube#v0.}; hkube=${hkube%%.*}
hver="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
hver="$hver -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$hkube"
hver="$hver -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$hkube"
# helm is not part of the cluster: if it cannot be built, say so and go on, so up.sh and the etcd tests
# (which call this script) still work; the chart tests then skip with the reason, or fail in CI.
if ! (grep -q "^require helm.sh/helm/v3 $HELM_VERSION\$" "$CLUSTER_DIR/helm/go.mod" \
       || die "HELM_VERSION=$HELM_VERSION (versions.env) is not what e2e/cluster/helm/go.mod requires; run: cd e2e/cluster/helm && go get helm.sh/helm/v3@$HELM_VERSION && go mod tidy"
     build helm helm helm.sh/helm/v3/cmd/helm "$hver" "$HELM_BIN_DIR"); then
  log "WARNING: helm was not built; the chart tests (HelmChartTest, HelmChartIT) will skip, or fail in CI"
fi
rm -rf "$tmp"
log "done in $(( $(date +%s) - start ))s (was missing: ${missing[*]}; helm goes to $HELM_BIN_DIR, the rest to $BIN_DIR)"
echo "$BIN_DIR"
