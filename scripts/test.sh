#!/usr/bin/env bash
# Runs every test: installs the tools the tests start (Temporal CLI, OpenBao, LiteLLM, and the UI
# test's Chromium and playwright) if missing, then `mvn -B verify` from the repository root.
# Extra arguments go to Maven, e.g.
#   scripts/test.sh -pl testkit -Dtest='io.keyturn.testkit.launch.*Test'
# Exits with Maven's exit code.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# The tests include the Temporal UI browser test: install its Chromium and playwright too.
KEYTURN_INSTALL_BROWSER=1 bash "$REPO/scripts/install-tools.sh"

echo "[test] mvn -B verify $*"
set +e
mvn -B verify "$@"
status=$?
set -e
exit "$status"
