#!/usr/bin/env bash
# Benchmark "control-plane cost" (issue 13, section 1) on the local cluster (e2e/cluster/up.sh, started if
# none runs and KUBECONFIG is unset): for each N, N DisaggClusters applied with `kubectl apply
# --server-side` against a server-side apply of exactly the same children (time until they exist and
# until Ready, and the ratio), the operator's writes by resource and verb from the kube-apiserver's
# audit log (a quiet minute, a no-op annotation, one pool's scale change), and the operator
# process's live heap, RSS, threads and CPU, run with the chart's JVM options and memory limit. Writes
# the tables into docs/benchmarks.md (between its control-plane markers) with the date, the machine
# and the commit, and into e2e/target/control-plane.md.
#
#   bench/run-control-plane.sh              # N = 1, 100, 500
#   bench/run-control-plane.sh 1,100        # other N (comma-separated)
#   bench/run-control-plane.sh 500 --operator-only   # without the server-side-apply side (no ratios):
#                                                    # half the simulated processes, for a large N on a small machine
#   CONTROL_PLANE_TIMEOUT=300 bench/run-control-plane.sh 500 --operator-only   # bound of each wait, seconds
#                                                    # (default max(120, 3 N)); what is not ready by then is reported
#
# It is ControlPlaneBenchIT (whose smoke run, N = 5, is one of the integration tests) with system
# properties. Maven builds offline first (a warm ~/.m2), and with the registry when that fails.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
N="${1:-1,100,500}"
case "$N" in ''|*[!0-9,]*) echo "usage: $0 [N,N,...] [--operator-only]" >&2; exit 2 ;; esac
SSA_SIDE=true
case "${2:-}" in
  '') ;;
  --operator-only) SSA_SIDE=false ;;
  *) echo "usage: $0 [N,N,...] [--operator-only]" >&2; exit 2 ;;
esac
COMMIT=unknown
if git rev-parse --short HEAD >/dev/null 2>&1; then
  COMMIT=$(git rev-parse --short HEAD)
  git diff --quiet HEAD -- operator/src/main e2e/src helm 2>/dev/null || COMMIT="$COMMIT+changes"
fi
RUN=(-B -ntp verify -pl e2e -am
  -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false
  -Dit.test=ControlPlaneBenchIT -Dfailsafe.failIfNoSpecifiedTests=false
  "-DcontrolPlane.n=$N" -DcontrolPlane.quietSeconds=60 "-DcontrolPlane.ssaSide=$SSA_SIDE"
  ${CONTROL_PLANE_TIMEOUT:+"-DcontrolPlane.timeoutSeconds=$CONTROL_PLANE_TIMEOUT"}
  "-DcontrolPlane.doc=$ROOT/docs/benchmarks.md" "-DcontrolPlane.commit=$COMMIT")
BUILD=(-B -ntp -q -pl e2e -am package -DskipTests)
if ! ./mvnw -o "${BUILD[@]}"; then
  echo "offline build failed; building with the registry" >&2
  ./mvnw "${BUILD[@]}"
fi
exec ./mvnw -o "${RUN[@]}"
