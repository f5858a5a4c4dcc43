#!/usr/bin/env bash
# Sets up a local Keyturn stack on embedded defaults and runs one rotation.
#
#   scripts/demo.sh            install tools, build, start what is not running, rotate key demo-app
#   scripts/demo.sh status     what runs, where, and where its logs are
#   scripts/demo.sh stop       stop everything this script started
#
# Everything binds 127.0.0.1. State lives in .keyturn/ (ignored by git): secrets (mode 0600),
# pid files in .keyturn/run/, logs in .keyturn/logs/, Temporal's SQLite file. No key or token value
# is ever printed.
#
# Which LiteLLM (the script says which it uses):
#   (default)                  Keyturn's LiteLLM management-API emulator on :4000, a test double
#                              that starts in a second
#   DEMO_LITELLM=real          LiteLLM's own proxy code on :4000: the pinned PyPI release in
#                              .tools/py-litellm, with only its database engine stood in by
#                              Keyturn's in-memory prisma test double (starts in 10-40 s; keys live
#                              in memory)
#   LITELLM_URL=http://...     a LiteLLM proxy you run; then also
#     LITELLM_MASTER_KEY or LITELLM_MASTER_KEY_FILE   its management key, and
#     DEMO_KEY_FILE=path                              a file holding the key to rotate
#
# Running it again keeps what runs, and every key in the LiteLLM it started: the first run seeds the
# key demo-app (through POST /key/generate), later runs rotate the key the previous rotation
# published to OpenBao, as README's `keyturn rotate --key-from-destination` does.
#
# Environment:
#   DEMO_GRACE=20s             grace period before the old key is revoked (e.g. 2m)
#   DEMO_DIR=path              where the state lives (default .keyturn/ in the repository)
#   DEMO_TEMPORAL_PORT, DEMO_UI_PORT, DEMO_CODEC_PORT, DEMO_OPENBAO_PORT (it also takes the next
#   port), DEMO_LITELLM_PORT, DEMO_METRICS_PORT
#                              other ports than 7233, 8233, 8089, 8200, 4000 and 9464 (a test runs
#                              the demo beside one of yours this way)
#   DEMO_BUILD=0               use the jars as they are (a test that has just built them)

# Subshells below set the environment of one child process on purpose.
# shellcheck disable=SC2030,SC2031
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${DEMO_DIR:-$REPO/.keyturn}"
RUN="$STATE/run"
LOGS="$STATE/logs"
JARS="$STATE/jars"
TOOLS_BIN="$REPO/.tools/bin"

# The worker's keyring (worker only) and what the CLI holds: the payload key and the worker's public key.
WORKER_KEYRING_PATH="$STATE/worker-keyring.json"
WORKER_PUBLIC_KEY_PATH="$STATE/worker.pub"
PAYLOAD_KEY_PATH="$STATE/payload.key"
MASTER_KEY_PATH="$STATE/litellm-master.key"
VAULT_TOKEN_PATH="$STATE/vault.token"
SEED_KEY_PATH="$STATE/demo-app.key"
ROTATED_MARK="$RUN/demo-app.seed-rotated"

TEMPORAL_PORT="${DEMO_TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${DEMO_UI_PORT:-8233}"
CODEC_PORT="${DEMO_CODEC_PORT:-8089}" # the worker's codec endpoint, which the Web UI calls to show decrypted payloads
BAO_PORT="${DEMO_OPENBAO_PORT:-8200}"
BAO_CLUSTER_PORT=$((BAO_PORT + 1)) # dev mode binds the API port + 1 for its cluster listener
LITELLM_PORT="${DEMO_LITELLM_PORT:-4000}" # the emulator's or LiteLLM's own proxy's, whichever runs
METRICS_PORT="${DEMO_METRICS_PORT:-9464}" # the worker's Prometheus endpoint

WORKER_JAR="$REPO/worker/target/keyturn-worker.jar"
STARTER_JAR="$REPO/starter/target/keyturn.jar"
EMULATOR_JAR="$REPO/testkit/target/keyturn-testkit-0.1.0-SNAPSHOT-all.jar"
# LiteLLM's own proxy (DEMO_LITELLM=real): the pinned release's virtual environment, which
# scripts/install-tools.sh makes, and testkit's start script that puts the prisma stand-in first.
LITELLM_PYTHON="$REPO/.tools/py-litellm/bin/python"
LITELLM_SCRIPT="$REPO/testkit/src/main/python/run_litellm_proxy.py"

SERVICES=(temporal openbao emulator litellm worker)

say() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ processes

# A word every service's command line contains, so a recycled pid is not mistaken for ours.
marker() {
  case "$1" in
    temporal) echo "start-dev" ;;
    openbao) echo "bao server" ;;
    emulator) echo "keyturn-testkit" ;;
    litellm) echo "run_litellm_proxy.py" ;;
    worker) echo "keyturn-worker" ;;
  esac
}

command_line() {
  if [[ -r "/proc/$1/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$1/cmdline"
  else
    ps -p "$1" -o args= 2>/dev/null || true
  fi
}

# Prints the pid of a running service of ours, or fails (and removes a stale pid file).
running_pid() {
  local name="$1" file="$RUN/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
      && [[ "$(command_line "$pid")" == *"$(marker "$name")"* ]]; then
    echo "$pid"
    return 0
  fi
  rm -f "$file"
  return 1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Fails clearly when a port this demo needs is held by a process it did not start.
require_free_port() {
  local port="$1" purpose="$2" owner=""
  listening "$port" || return 0
  if command -v ss >/dev/null 2>&1; then
    owner="$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n 1 || true)"
  fi
  die "127.0.0.1:$port (for $purpose) is taken by a process this script did not start${owner:+ ($owner)}. Stop it, or run 'scripts/demo.sh stop' if it is a leftover of an earlier demo, then try again."
}

stop_service() {
  local name="$1" pid
  if pid="$(running_pid "$name")"; then
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name did not stop within 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$RUN/$name.pid"
}

http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" || true
  else
    python3 - "$1" <<'PY' 2>/dev/null || echo 000
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
  fi
}

# wait_for NAME SECONDS CHECK...: polls CHECK until it succeeds, failing early if NAME died.
wait_for() {
  local name="$1" seconds="$2"
  shift 2
  local deadline=$((SECONDS + seconds)) pid
  pid="$(<"$RUN/$name.pid")"
  until "$@"; do
    # Only "alive" here: the command line may not show the service's own name yet.
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$RUN/$name.pid"
      tail -n 20 "$LOGS/$name.log" >&2 || true
      die "$name exited during start-up; its log is $LOGS/$name.log (last lines above)."
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$LOGS/$name.log" >&2 || true
      die "$name was not ready within $seconds s (still running as pid $pid; 'scripts/demo.sh stop' stops it); its log is $LOGS/$name.log (last lines above)."
    fi
    sleep 0.5
  done
}

# ------------------------------------------------------------------ setup

# Writes a secret file once, readable by its owner only. The value never reaches stdout.
ensure_secret() {
  local path="$1" what="$2" generate="$3"
  if [[ -s "$path" ]]; then
    chmod 600 "$path"
    return
  fi
  (umask 077 && "$generate" >"$path.tmp" && mv "$path.tmp" "$path")
  chmod 600 "$path"
  say "created $what in ${path#"$REPO"/} (mode 0600)"
}

# The worker's keyring, made once with `keyturn keyring new` (mode 0600, worker only), and its
# public key beside it for the CLI. The seeds never reach stdout.
ensure_worker_keyring() {
  if [[ ! -s "$WORKER_KEYRING_PATH" ]]; then
    java -jar "$STARTER_JAR" keyring new --out "$WORKER_KEYRING_PATH" >"$WORKER_PUBLIC_KEY_PATH.tmp" 2>/dev/null \
      || die "could not create the worker keyring in ${WORKER_KEYRING_PATH#"$REPO"/}"
    mv "$WORKER_PUBLIC_KEY_PATH.tmp" "$WORKER_PUBLIC_KEY_PATH"
    say "created the worker keyring in ${WORKER_KEYRING_PATH#"$REPO"/} (mode 0600, worker only) and its public key in ${WORKER_PUBLIC_KEY_PATH#"$REPO"/} (for the CLI)"
  fi
  chmod 600 "$WORKER_KEYRING_PATH"
  if [[ ! -s "$WORKER_PUBLIC_KEY_PATH" ]]; then
    java -jar "$STARTER_JAR" keyring public --file "$WORKER_KEYRING_PATH" >"$WORKER_PUBLIC_KEY_PATH" 2>/dev/null \
      || die "could not read the worker keyring ${WORKER_KEYRING_PATH#"$REPO"/}"
  fi
}

random_urlsafe() { head -c "$1" /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_'; }
new_payload_key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
new_master_key() { printf 'sk-%s' "$(random_urlsafe 24)"; } # 24 bytes = 32 url-safe characters
new_vault_token() { printf 'dev-%s' "$(random_urlsafe 24)"; }

sources_newer_than() {
  local jar="$1"
  [[ -f "$jar" ]] || return 0
  [[ -n "$(find "$REPO/pom.xml" "$REPO"/*/pom.xml "$REPO"/*/src -newer "$jar" -type f -print -quit 2>/dev/null)" ]]
}

# Maven 3.8's -q still writes bare colour resets (ESC[0m) even with -B: strip them.
build_jars() {
  local start=$SECONDS status
  (cd "$REPO" && mvn -B -q -DskipTests package 2>&1 | sed -u -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d') &
  local pid=$! next=30
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( SECONDS - start >= next )); then
      say "... still building ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s so far)"
      next=$(( next + 30 ))
    fi
  done
  status=0
  wait "$pid" || status=$?
  (( status == 0 )) && say "built in $(( SECONDS - start )) s"
  return "$status"
}

build() {
  if [[ "${DEMO_BUILD:-1}" == 0 ]]; then
    say "DEMO_BUILD=0: using the jars as they are"
  elif sources_newer_than "$WORKER_JAR" || sources_newer_than "$STARTER_JAR" \
      || sources_newer_than "$EMULATOR_JAR"; then
    say "building: mvn -B -q -DskipTests package (1-5 min; a line every 30 s)"
    build_jars || die "the build failed (output above)."
  else
    say "jars are newer than the sources; skipping the build"
  fi
  local jar
  for jar in "$WORKER_JAR" "$STARTER_JAR" "$EMULATOR_JAR"; do
    [[ -f "$jar" ]] || die "the build did not produce ${jar#"$REPO"/}."
  done
}

# ------------------------------------------------------------------ services

start_temporal() {
  if pid="$(running_pid temporal)"; then
    say "Temporal dev server already running (pid $pid)"
    if [[ "$(command_line "$pid")" != *"--ui-codec-endpoint"* ]]; then
      say "note: it was started without the codec endpoint, so its Web UI shows payloads encrypted; 'scripts/demo.sh stop' and run again to fix that"
    fi
    return
  fi
  require_free_port "$TEMPORAL_PORT" "the Temporal frontend"
  require_free_port "$TEMPORAL_UI_PORT" "the Temporal Web UI"
  say "starting the Temporal dev server on 127.0.0.1:$TEMPORAL_PORT (log ${LOGS#"$REPO"/}/temporal.log)"
  (
    # A developer's TEMPORAL_* settings (address, API key, TLS) are not for this local server.
    while read -r v; do unset "$v"; done < <(compgen -e | grep '^TEMPORAL_' || true)
    exec nohup "$TOOLS_BIN/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
      --ui-port "$TEMPORAL_UI_PORT" --ui-codec-endpoint "http://127.0.0.1:$CODEC_PORT" \
      --db-filename "$STATE/temporal.sqlite" --namespace default \
      --log-level warn </dev/null >>"$LOGS/temporal.log" 2>&1
  ) &
  echo $! >"$RUN/temporal.pid"
  wait_for temporal 90 temporal_serving
  say "Temporal is SERVING; Web UI http://127.0.0.1:$TEMPORAL_UI_PORT"
}

temporal_serving() {
  listening "$TEMPORAL_PORT" || return 1
  env -u TEMPORAL_API_KEY -u TEMPORAL_TLS -u TEMPORAL_NAMESPACE -u TEMPORAL_ADDRESS \
    "$TOOLS_BIN/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" \
    --command-timeout 5s 2>/dev/null | grep -q SERVING
}

start_openbao() {
  if pid="$(running_pid openbao)"; then
    say "OpenBao already running (pid $pid)"
    return
  fi
  require_free_port "$BAO_PORT" "OpenBao"
  require_free_port "$BAO_CLUSTER_PORT" "OpenBao's cluster listener"
  say "starting OpenBao (dev mode, in memory) on 127.0.0.1:$BAO_PORT (log ${LOGS#"$REPO"/}/openbao.log)"
  (
    while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(VAULT|BAO)_' || true)
    # The root token goes in through the environment, not the command line (visible in ps), and
    # the two banner lines that would show it and the unseal key are blanked in the log.
    BAO_DEV_ROOT_TOKEN_ID="$(<"$VAULT_TOKEN_PATH")"
    export BAO_DEV_ROOT_TOKEN_ID
    exec nohup "$TOOLS_BIN/bao" server -dev -dev-no-store-token \
      -dev-listen-address="127.0.0.1:$BAO_PORT" </dev/null \
      > >(sed -u -e 's/^Unseal Key: .*/Unseal Key: (redacted)/' \
        -e 's/^Root Token: .*/Root Token: (redacted; see .keyturn\/vault.token)/' \
        >>"$LOGS/openbao.log") 2>&1
  ) &
  echo $! >"$RUN/openbao.pid"
  wait_for openbao 60 openbao_ready
  say "OpenBao is ready at http://127.0.0.1:$BAO_PORT (KV v2 at secret/)"
}

openbao_ready() { [[ "$(http_status "http://127.0.0.1:$BAO_PORT/v1/sys/health")" == 200 ]]; }

# A LiteLLM that runs is kept, with every key in it (the demo's and the user's): the demo never
# restarts it to get a fresh key (see choose_demo_key). One it starts holds no key yet.
start_emulator() {
  local pid
  if pid="$(running_pid emulator)"; then
    say "LiteLLM emulator already running (pid $pid); its keys are kept"
    return
  fi
  if pid="$(running_pid litellm)"; then
    say "stopping LiteLLM's own proxy (DEMO_LITELLM=real of an earlier run): the emulator takes :$LITELLM_PORT"
    stop_service litellm
  fi
  require_free_port "$LITELLM_PORT" "the LiteLLM emulator"
  forget_demo_key
  cp "$EMULATOR_JAR" "$JARS/keyturn-testkit-all.jar"
  local log="$LOGS/emulator.log" start_line=1
  [[ -f "$log" ]] && start_line=$(($(wc -l <"$log") + 1))
  say "starting the LiteLLM management-API emulator on 127.0.0.1:$LITELLM_PORT (log ${LOGS#"$REPO"/}/emulator.log; its keys live in its memory)"
  (
    cd "$REPO"
    exec nohup java -jar "$JARS/keyturn-testkit-all.jar" --port "$LITELLM_PORT" \
      --master-key-file "$MASTER_KEY_PATH" --models gpt-4o-mini </dev/null >>"$log" 2>&1
  ) &
  echo $! >"$RUN/emulator.pid"
  wait_for emulator 60 emulator_ready "$start_line"
  # The banner of this start (the log keeps earlier ones); it names no key.
  local banner
  banner="$(tail -n "+$start_line" "$log" | grep -m 1 'EMULATOR' || true)"
  if [[ -n "$banner" && "$banner" != *"$(<"$MASTER_KEY_PATH")"* ]]; then
    say "emulator: $banner"
  fi
}

emulator_ready() {
  listening "$LITELLM_PORT" && tail -n "+$1" "$LOGS/emulator.log" 2>/dev/null | grep -q 'EMULATOR'
}

# A LiteLLM this demo has just started holds none of the keys of an earlier one: the seeded key and
# the mark that it was rotated belong to that earlier one.
forget_demo_key() { rm -f "$ROTATED_MARK" "$SEED_KEY_PATH"; }

litellm_version() {
  "$LITELLM_PYTHON" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null || echo "?"
}

# LiteLLM's own proxy code (DEMO_LITELLM=real); its keys live in the prisma stand-in's memory, so
# it is kept running like the emulator.
start_litellm_real() {
  local pid
  [[ -x "$LITELLM_PYTHON" ]] || die "DEMO_LITELLM=real needs LiteLLM's proxy in ${LITELLM_PYTHON%/bin/python}, which scripts/install-tools.sh installs; it is missing (did the install fail?)."
  [[ -f "$LITELLM_SCRIPT" ]] || die "${LITELLM_SCRIPT#"$REPO"/} is missing."
  if pid="$(running_pid litellm)"; then
    say "LiteLLM's own proxy already running (pid $pid); its keys are kept"
    return
  fi
  if pid="$(running_pid emulator)"; then
    say "stopping the emulator of an earlier run: LiteLLM's own proxy takes :$LITELLM_PORT"
    stop_service emulator
  fi
  require_free_port "$LITELLM_PORT" "LiteLLM's proxy"
  forget_demo_key
  say "starting LiteLLM $(litellm_version)'s own proxy on 127.0.0.1:$LITELLM_PORT, its database engine stood in by Keyturn's in-memory prisma test double (10-40 s; log ${LOGS#"$REPO"/}/litellm.log)"
  (
    # A developer's LiteLLM, database and provider settings are not for this local proxy.
    while read -r v; do unset "$v"; done \
      < <(compgen -e | grep -E '^(LITELLM_|DATABASE_|OPENAI_|ANTHROPIC_|REDIS_|PYTHONPATH$|CONFIG_FILE_PATH$|WORKER_CONFIG$)' || true)
    # The master key goes in through the environment, never the command line (visible in ps); the
    # proxy does not print it, and the log filter blanks it should it ever.
    LITELLM_MASTER_KEY="$(<"$MASTER_KEY_PATH")"
    export LITELLM_MASTER_KEY
    cd "$REPO"
    exec nohup "$LITELLM_PYTHON" "$LITELLM_SCRIPT" --port "$LITELLM_PORT" --model gpt-4o-mini \
      </dev/null > >(redact_master_key >>"$LOGS/litellm.log") 2>&1
  ) &
  echo $! >"$RUN/litellm.pid"
  wait_for litellm 180 litellm_ready
  say "LiteLLM $(litellm_version) is ready at http://127.0.0.1:$LITELLM_PORT (db \"connected\": the prisma stand-in)"
}

# Copies stdin to stdout with the master key blanked; reads the key from its file, not argv.
redact_master_key() {
  python3 -u -c '
import sys
key = open(sys.argv[1]).read().strip()
for line in sys.stdin:
    sys.stdout.write(line.replace(key, "(master key redacted)") if key else line)
    sys.stdout.flush()
' "$MASTER_KEY_PATH"
}

litellm_ready() {
  listening "$LITELLM_PORT" || return 1
  local url="http://127.0.0.1:$LITELLM_PORT/health/readiness" body
  if command -v curl >/dev/null 2>&1; then
    body="$(curl -s --max-time 3 "$url" 2>/dev/null || true)"
  else
    body="$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())' "$url" 2>/dev/null || true)"
  fi
  [[ "$body" == *'"db":"connected"'* ]]
}

# Seeds a key demo-app through the proxy's API (POST /key/generate with the master key), as a user
# would: the value goes to .keyturn/demo-app.key (mode 0600), never to stdout or a command line.
seed_key() {
  local log="$1"
  (umask 077 && python3 - "http://127.0.0.1:$LITELLM_PORT" "$MASTER_KEY_PATH" "$SEED_KEY_PATH.tmp" <<'PY'
import json, sys, urllib.request, urllib.error
base, master_file, out = sys.argv[1:4]
master = open(master_file).read().strip()
request = urllib.request.Request(
    base + "/key/generate", method="POST",
    data=json.dumps({"key_alias": "demo-app", "models": ["gpt-4o-mini"]}).encode(),
    headers={"Authorization": "Bearer " + master, "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=30) as reply:
        answer = json.load(reply)
except urllib.error.HTTPError as e:
    sys.exit("POST /key/generate answered %d: %s" % (e.code, e.read().decode()[:300].replace(master, "(master key)")))
with open(out, "w") as f:
    f.write(answer["key"])
print("seeded the virtual key demo-app (%s) through POST /key/generate" % answer.get("key_name", "sk-..."))
PY
  ) | sed 's/^/[demo] /' || die "could not seed the demo-app key at LiteLLM (its log: ${LOGS#"$REPO"/}/$log.log)."
  [[ -s "$SEED_KEY_PATH.tmp" ]] || die "could not seed the demo-app key at LiteLLM (its log: ${LOGS#"$REPO"/}/$log.log)."
  mv "$SEED_KEY_PATH.tmp" "$SEED_KEY_PATH"
  chmod 600 "$SEED_KEY_PATH"
}

vault_holds_demo_key() {
  BAO_ADDR="http://127.0.0.1:$BAO_PORT" BAO_TOKEN="$(<"$VAULT_TOKEN_PATH")" \
    "$TOOLS_BIN/bao" kv metadata get -mount=secret litellm/demo-app >/dev/null 2>&1
}

# Which key this run rotates, as arguments of `keyturn rotate`, in DEMO_KEY_ARGS. The first run
# seeds demo-app at the LiteLLM it started. Once a rotation completed, the key to replace is the one
# it published to OpenBao (README's CLI section may have rotated it again since): the worker reads it
# there, as `keyturn rotate --key-from-destination` does. Only the demo-app key is ever touched.
choose_demo_key() {
  local log="$1"
  if [[ -f "$ROTATED_MARK" ]] && vault_holds_demo_key; then
    say "demo-app was rotated before: rotating the key OpenBao holds now (secret/litellm/demo-app), as \`keyturn rotate --key-from-destination\` does"
    DEMO_KEY_ARGS=(--key-from-destination)
    return
  fi
  if [[ -f "$ROTATED_MARK" || ! -s "$SEED_KEY_PATH" ]]; then
    # Never rotated here, or OpenBao (in memory) lost the key since: a new key to rotate.
    rm -f "$ROTATED_MARK"
    seed_key "$log"
  fi
  DEMO_KEY_ARGS=(--key-file "$SEED_KEY_PATH")
}

start_worker() {
  local pid
  if pid="$(running_pid worker)"; then
    if cmp -s "$WORKER_JAR" "$JARS/keyturn-worker.jar" && [[ -f "$RUN/worker.mode" \
        && "$(<"$RUN/worker.mode")" == "$WORKER_MODE" ]]; then
      say "Keyturn worker already running (pid $pid)"
      return
    fi
    say "the worker's jar or LiteLLM settings changed; restarting the worker"
    stop_service worker
  fi
  require_free_port "$CODEC_PORT" "the worker's codec endpoint (the Web UI decodes payloads through it)"
  # A copy, so a later build cannot replace the jar under the running JVM.
  cp "$WORKER_JAR" "$JARS/keyturn-worker.jar"
  local log="$LOGS/worker.log"
  local start_line=1
  [[ -f "$log" ]] && start_line=$(($(wc -l <"$log") + 1))
  say "starting the Keyturn worker (log ${LOGS#"$REPO"/}/worker.log)"
  (
    while read -r v; do unset "$v"; done \
      < <(compgen -e | grep -E '^(TEMPORAL_|VAULT_|KEYTURN_|LITELLM_MASTER_KEY)' || true)
    export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
    export VAULT_ADDR="http://127.0.0.1:$BAO_PORT"
    export VAULT_TOKEN_FILE="$VAULT_TOKEN_PATH"
    export KEYTURN_WORKER_KEYRING_FILE="$WORKER_KEYRING_PATH"
    export KEYTURN_PAYLOAD_KEY_FILE="$PAYLOAD_KEY_PATH"
    # Loopback only and no token: the Web UI of this demo (127.0.0.1:8233) decodes through it.
    export KEYTURN_CODEC_PORT="$CODEC_PORT"
    export KEYTURN_METRICS_PORT="$METRICS_PORT"
    if [[ -n "${USER_MASTER_KEY_FILE:-}" ]]; then
      export LITELLM_MASTER_KEY_FILE="$USER_MASTER_KEY_FILE"
    elif [[ -n "${USER_MASTER_KEY:-}" ]]; then
      export LITELLM_MASTER_KEY="$USER_MASTER_KEY"
    else
      export LITELLM_MASTER_KEY_FILE="$MASTER_KEY_PATH"
    fi
    unset USER_MASTER_KEY USER_MASTER_KEY_FILE
    cd "$REPO"
    exec nohup java -jar "$JARS/keyturn-worker.jar" </dev/null >>"$log" 2>&1
  ) &
  echo $! >"$RUN/worker.pid"
  echo "$WORKER_MODE" >"$RUN/worker.mode"
  wait_for worker 120 worker_started "$start_line"
  say "Keyturn worker started"
}

worker_started() { tail -n "+$1" "$LOGS/worker.log" 2>/dev/null | grep -q 'Keyturn worker started'; }

# ------------------------------------------------------------------ commands

cmd_run() {
  local grace="${DEMO_GRACE:-20s}" gateway key_file litellm="${DEMO_LITELLM:-emulator}"
  USER_MASTER_KEY="" USER_MASTER_KEY_FILE=""
  case "$litellm" in
    emulator | real) ;;
    *) die "DEMO_LITELLM='$litellm': use 'real' (LiteLLM's own proxy code) or 'emulator' (the default)." ;;
  esac
  if [[ -n "${LITELLM_URL:-}" && -n "${DEMO_LITELLM:-}" ]]; then
    die "set LITELLM_URL (a proxy you run) or DEMO_LITELLM (one this demo starts), not both."
  fi
  if [[ -n "${LITELLM_URL:-}" ]]; then
    gateway="${LITELLM_URL%/}"
    if [[ -n "${LITELLM_MASTER_KEY_FILE:-}" ]]; then
      [[ -r "$LITELLM_MASTER_KEY_FILE" ]] || die "LITELLM_MASTER_KEY_FILE=$LITELLM_MASTER_KEY_FILE is not a readable file."
      USER_MASTER_KEY_FILE="$(cd "$(dirname "$LITELLM_MASTER_KEY_FILE")" && pwd)/$(basename "$LITELLM_MASTER_KEY_FILE")"
    elif [[ -n "${LITELLM_MASTER_KEY:-}" ]]; then
      USER_MASTER_KEY="$LITELLM_MASTER_KEY"
    else
      die "LITELLM_URL is set, so the demo rotates a key on that proxy and needs its management key: set LITELLM_MASTER_KEY, or LITELLM_MASTER_KEY_FILE to a file holding it."
    fi
    [[ -n "${DEMO_KEY_FILE:-}" ]] || die "LITELLM_URL is set, so the demo needs the key to rotate: set DEMO_KEY_FILE to a file holding that virtual key (e.g. one made with POST /key/generate for a test). The key is read from the file, never from the command line."
    [[ -r "$DEMO_KEY_FILE" ]] || die "DEMO_KEY_FILE=$DEMO_KEY_FILE is not a readable file."
    key_file="$(cd "$(dirname "$DEMO_KEY_FILE")" && pwd)/$(basename "$DEMO_KEY_FILE")"
    WORKER_MODE="proxy $gateway ${USER_MASTER_KEY_FILE:-env}"
    litellm="url"
  else
    gateway="http://127.0.0.1:$LITELLM_PORT"
    # The emulator and LiteLLM's own proxy take the same port and master key file.
    WORKER_MODE="local :$LITELLM_PORT"
  fi

  # The demo needs no browser: Chromium and playwright are the UI test's (scripts/test.sh).
  bash "$REPO/scripts/install-tools.sh" --no-browser
  build

  mkdir -p "$RUN" "$LOGS" "$JARS"
  chmod 700 "$STATE"
  ensure_worker_keyring
  ensure_secret "$PAYLOAD_KEY_PATH" "the payload key (worker and CLI)" new_payload_key
  ensure_secret "$MASTER_KEY_PATH" "the LiteLLM master key" new_master_key
  ensure_secret "$VAULT_TOKEN_PATH" "the OpenBao root token" new_vault_token

  case "$litellm" in
    emulator) say "LiteLLM: Keyturn's management-API emulator (a test double); DEMO_LITELLM=real runs LiteLLM's own proxy code instead" ;;
    real) say "LiteLLM: LiteLLM $(litellm_version)'s own proxy code (PyPI litellm[proxy]) on Keyturn's in-memory prisma stand-in" ;;
    url) say "LiteLLM: the proxy at $gateway (LITELLM_URL)" ;;
  esac

  start_temporal
  start_openbao
  case "$litellm" in
    emulator) start_emulator && choose_demo_key emulator ;;
    real) start_litellm_real && choose_demo_key litellm ;;
    url)
      say "using the LiteLLM proxy at $gateway (LITELLM_URL); nothing LiteLLM is started here"
      DEMO_KEY_ARGS=(--key-file "$key_file")
      ;;
  esac
  start_worker

  say "rotating demo-app: mint, verify, publish to Vault, wait $grace, revoke the old key"
  local status=0
  (
    while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(TEMPORAL_|KEYTURN_)' || true)
    export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
    # The CLI gets the payload key and the worker's public key, never the keyring.
    export KEYTURN_PAYLOAD_KEY_FILE="$PAYLOAD_KEY_PATH"
    export KEYTURN_WORKER_PUBLIC_KEY_FILE="$WORKER_PUBLIC_KEY_PATH"
    cd "$REPO"
    exec java -jar "$STARTER_JAR" rotate --secret-id demo-app --gateway "$gateway" \
      "${DEMO_KEY_ARGS[@]}" --grace "$grace" --vault-name demo-app --wait
  ) || status=$?
  if ((status != 0)); then
    say "the rotation did not complete (exit $status). Logs: ${LOGS#"$REPO"/}/worker.log; history in the UI at http://127.0.0.1:$TEMPORAL_UI_PORT/namespaces/default/workflows"
    exit "$status"
  fi
  [[ -n "${LITELLM_URL:-}" ]] || touch "$ROTATED_MARK"

  echo
  say "done. Watch the workflow in the Temporal UI: http://127.0.0.1:$TEMPORAL_UI_PORT/namespaces/default/workflows"
  say "the new key is in OpenBao at secret/litellm/demo-app; its metadata (the value is not shown):"
  BAO_ADDR="http://127.0.0.1:$BAO_PORT" BAO_TOKEN="$(<"$VAULT_TOKEN_PATH")" \
    "$TOOLS_BIN/bao" kv metadata get -mount=secret litellm/demo-app || true
  echo
  say "rotate it again by hand: README's \"Using the CLI\" (keyturn rotate --secret-id demo-app --key-from-destination ...)."
  say "the services keep running, with their keys: 'scripts/demo.sh status' shows them, 'scripts/demo.sh stop' stops them."
}

cmd_status() {
  local name pid any=0
  for name in "${SERVICES[@]}"; do
    if pid="$(running_pid "$name")"; then
      any=1
      case "$name" in
        temporal) say "temporal  running (pid $pid)  127.0.0.1:$TEMPORAL_PORT, UI http://127.0.0.1:$TEMPORAL_UI_PORT" ;;
        openbao) say "openbao   running (pid $pid)  http://127.0.0.1:$BAO_PORT" ;;
        emulator) say "emulator  running (pid $pid)  http://127.0.0.1:$LITELLM_PORT (LiteLLM management-API emulator, a test double)" ;;
        litellm) say "litellm   running (pid $pid)  http://127.0.0.1:$LITELLM_PORT (LiteLLM $(litellm_version)'s own proxy code, prisma stand-in)" ;;
        worker) say "worker    running (pid $pid)  task queue on 127.0.0.1:$TEMPORAL_PORT" ;;
      esac
    else
      say "$(printf '%-9s' "$name") stopped"
    fi
  done
  say "logs: ${LOGS#"$REPO"/}/"
  ((any)) || say "nothing runs; 'scripts/demo.sh' starts the stack and rotates a key."
}

cmd_stop() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    stop_service "${SERVICES[i]}"
  done
  say "stopped. Temporal's history stays in .keyturn/temporal.sqlite; OpenBao and LiteLLM kept their data in memory only: the next run starts them empty and seeds a new demo-app key."
}

main() {
  case "${1:-run}" in
    run) cmd_run ;;
    status) cmd_status ;;
    stop) cmd_stop ;;
    -h | --help | help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" ;;
    *) die "unknown command '$1'; use: scripts/demo.sh [status|stop|help]" ;;
  esac
}

# Sourcing the script (to test its functions) defines them without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
