#!/usr/bin/env bash
# Runs every test: installs the tools the tests start (Temporal CLI, OpenBao) into .tools/ if
# missing, then `mvn -B verify` from the repository root. Extra arguments go to Maven, e.g.
#   scripts/test.sh -pl testkit -Dtest='io.keyturn.testkit.launch.*Test'
# Exits with Maven's exit code.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

bash "$REPO/scripts/install-tools.sh"

echo "[test] mvn -B verify $*"
set +e
mvn -B verify "$@"
status=$?
set -e
exit "$status"
