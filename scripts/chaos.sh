#!/usr/bin/env bash
# Keyturn's chaos suite (not a test): rotations started with the real CLI on the real stack while
# the emulated proxy drops replies, fails and throttles, and the worker and the Temporal server are
# killed; then the targeted cases of issue 18 and the invariants, as a table. Exit 1 on a violation.
#   scripts/chaos.sh --short               10 rotations, 3 worker kills + 1 Temporal kill (< 3 min)
#   scripts/chaos.sh                       40 rotations, 12 worker kills + 1 Temporal kill
#   scripts/chaos.sh --seed 7 --keep       replay a run's faults and kill moments; keep its files
#   scripts/chaos.sh --help                every option
# Starts its own Temporal dev server, OpenBao, LiteLLM emulator and worker on free 127.0.0.1
# ports, and stops them at the end (also on a failure or Ctrl-C).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash scripts/install-tools.sh >/dev/null
echo "[chaos] building"
mvn -B -q package -DskipTests -pl workflows,testkit,activities,worker,starter,bench -am
exec java -Dkeyturn.tools="$REPO/.tools" \
  -Dkeyturn.worker.jar="$REPO/worker/target/keyturn-worker.jar" \
  -Dkeyturn.starter.jar="$REPO/starter/target/keyturn.jar" \
  -cp bench/target/keyturn-bench.jar io.keyturn.bench.Chaos "$@"
