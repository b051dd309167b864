#!/usr/bin/env bash
# Offline render of a DisaggCluster, like `helm template`: the Kubernetes objects the operator would
# create, the TensorRT-LLM files and each container's command line, with no cluster and no network.
# The spec is first checked as the API server (the CRD's schema and CEL rules) and the operator would
# check it. See the README's "Offline render" section; `operator/render.sh --help` lists the options.
#
#   ./mvnw -B -ntp install -DskipTests        # once: builds operator/target/quarkus-app
#   operator/render.sh config-samples/minimal.yaml -o /tmp/render
#
# Runs io.disagg.operator.render.RenderMain from the packaged operator (classpath app/* + lib/main/*),
# a plain main: no Quarkus start, no Kubernetes client. Exit codes: 0 rendered, 1 invalid spec,
# 2 usage or input error, 3 I/O error (also: the packaged operator is missing), 4 internal error.
#
# Env: JAVA_HOME or JAVA (the java to run; Java 17+), RENDER_JAVA_OPTS (JVM options; default
# -XX:TieredStopAtLevel=1: a run lasts seconds, the quick compiler halves its CPU time),
# DISAGG_RENDER_APP (another quarkus-app directory).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
app=${DISAGG_RENDER_APP:-$here/target/quarkus-app}

if ! compgen -G "$app/app/*.jar" >/dev/null || [ ! -d "$app/lib/main" ]; then
  echo "render.sh: no packaged operator in $app; build it first: ./mvnw -B -ntp install -DskipTests" >&2
  exit 3
fi

if [ -n "${JAVA:-}" ]; then
  java=$JAVA
elif [ -n "${JAVA_HOME:-}" ]; then
  java=$JAVA_HOME/bin/java
else
  java=java
fi

# shellcheck disable=SC2086 # RENDER_JAVA_OPTS holds several options
exec "$java" ${RENDER_JAVA_OPTS--XX:TieredStopAtLevel=1} -cp "$app/app/*:$app/lib/main/*" \
  io.disagg.operator.render.RenderMain "$@"
