#!/usr/bin/env bash
# Runs Keyturn's benchmarks (not tests) and writes bench/RESULTS.md:
#   scripts/bench.sh                       30 single rotations, a fleet of 1,000 keys under
#                                          caps of 25, 50 and 100 mgmt calls/s, 10,000 parked
#   scripts/bench.sh --single 30 --parked 0 --fleet 0
#   scripts/bench.sh --single 0 --parked 0 --fleet 200 --caps 20 --fleet-concurrency 20
# Starts its own Temporal dev server, OpenBao, LiteLLM emulator and worker on free 127.0.0.1
# ports, and stops them at the end.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash scripts/install-tools.sh >/dev/null
echo "[bench] building"
mvn -B -q package -DskipTests -pl workflows,testkit,activities,worker,bench -am
exec java -Dkeyturn.tools="$REPO/.tools" -Dkeyturn.worker.jar="$REPO/worker/target/keyturn-worker.jar" \
  -jar bench/target/keyturn-bench.jar "$@"
