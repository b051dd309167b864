#!/usr/bin/env bash
# Benchmark "the autoscaler replayed on a trace" (issue 13, section 2): builds the bench module and
# the operator classes it replays, runs AutoscalerReplay over one synthetic day and writes the
# result table into docs/benchmarks.md (between its autoscaler-replay markers), with the date, the
# machine and the commit. Arguments are passed to AutoscalerReplay, e.g.
#
#   bench/run-autoscaler-replay.sh                       # the day of docs/benchmarks.md
#   bench/run-autoscaler-replay.sh --context-metric InFlightRequests:2   # adds a policy: the defaults
#                                                        # with the context pool on that metric
#   bench/run-autoscaler-replay.sh --load-minutes 10     # slower model loads
#   bench/run-autoscaler-replay.sh --hours 2 --start-hour 8 --rate 5 --seed 7
#
# Maven runs offline first (a warm ~/.m2), and with the registry when that fails (a fresh machine).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD=(-B -ntp -q -pl bench -am package -DskipTests)
if ! ./mvnw -o "${BUILD[@]}"; then
  echo "offline build failed; building with the registry" >&2
  ./mvnw "${BUILD[@]}"
fi
COMMIT=unknown
if git rev-parse --short HEAD >/dev/null 2>&1; then
  COMMIT=$(git rev-parse --short HEAD)
  git diff --quiet HEAD -- bench operator/src/main 2>/dev/null || COMMIT="$COMMIT+changes"
fi
exec java -Djava.awt.headless=true \
  -cp "bench/target/classes:$(cat bench/target/runtime-classpath.txt)" \
  io.disagg.bench.AutoscalerReplay --commit "$COMMIT" --doc docs/benchmarks.md --png docs/benchmarks "$@"
