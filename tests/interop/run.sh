#!/usr/bin/env bash
# Real-peer interop run: Roadie against a Fedify-based fan server, loopback only.
#
#   bash tests/interop/run.sh
#
# Environment (all optional):
#   CARGO_TARGET_DIR  Roadie's build directory (default $HOME/.cache/roadie-target)
#   ROADIE_BIN        use this Roadie binary instead of building one
#   STEP_TIMEOUT_MS   how long the scenario waits for each asynchronous arrival (default 20000)
#   FAN_ED25519=1     give the fan an Ed25519 key too (Fedify then adds FEP-8b32 proofs)
#   INTEROP_BUDGET    hard limit for the whole run in seconds (default 300)
#
# Prints "ok - name" / "not ok - name: reason" per check, then exactly one line
# "N passed, M failed"; exits non-zero when M > 0.
set -euo pipefail
exec </dev/null

# The hard limit: the whole run, clean-up included, lives under `timeout`. Each step inside also
# gets only what is left of a slightly smaller budget, so the run normally ends by itself and
# still prints its summary.
LIMIT="${INTEROP_BUDGET:-300}"
if [ -z "${INTEROP_UNDER_TIMEOUT:-}" ]; then
    INTEROP_UNDER_TIMEOUT=1 exec timeout --kill-after=5 "$LIMIT" bash "${BASH_SOURCE[0]}" "$@"
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
FEDIFY_DIR="$HERE/fedify"
CAPTURE_DIR="$HERE/captured"
LOG_DIR="$HERE/.last-run"
BUDGET=$((LIMIT - 20))
START=$SECONDS
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/roadie-target}"

PASSED=0
FAILED=0
ROADIE_PID=""
SCENARIO_PID=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/roadie-interop.XXXXXX")"
mkdir -p "$LOG_DIR"

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $1: $2"; }
note() { echo "# $*"; }
# Seconds left of the hard budget (at least 1, so `timeout` always gets a valid number).
left() { local l=$((BUDGET - (SECONDS - START))); [ "$l" -lt 1 ] && l=1; echo "$l"; }

stop() {
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}
finish() {
    local rc=$?
    trap - EXIT INT TERM
    stop "$SCENARIO_PID"
    stop "$ROADIE_PID"
    cp -f "$WORK"/*.log "$LOG_DIR"/ 2>/dev/null || true
    rm -rf "$WORK"
    if [ "$PASSED" -eq 0 ] && [ "$FAILED" -eq 0 ]; then
        fail "interop run" "stopped before any check ran (exit $rc)"
    fi
    note "logs: $LOG_DIR (roadie.log, fedify.log, scenario.log); fixtures: $CAPTURE_DIR"
    note "time: $((SECONDS - START)) s"
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0 || exit 1
}
trap finish EXIT
trap 'note "interrupted"; exit 130' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# --- Tools ------------------------------------------------------------------------------------
command -v node >/dev/null || { fail "node is installed" "node not found"; exit 1; }
note "node $(node --version), npm $(npm --version)"

# --- Fedify (npm) -----------------------------------------------------------------------------
if [ ! -d "$FEDIFY_DIR/node_modules/@fedify/fedify" ]; then
    note "installing the fan server's npm packages (npm ci)"
    t=$SECONDS
    if (cd "$FEDIFY_DIR" && timeout "$(left)" npm ci --no-audit --no-fund >"$WORK/npm.log" 2>&1); then
        note "npm ci took $((SECONDS - t)) s"
    else
        fail "npm ci in tests/interop/fedify" "$(tail -5 "$WORK/npm.log" | tr '\n' ' ')"
        exit 1
    fi
fi
FEDIFY_VERSION="$(node -p 'require(process.argv[1]).version' "$FEDIFY_DIR/node_modules/@fedify/fedify/package.json")"
note "peer: @fedify/fedify $FEDIFY_VERSION"

# --- Roadie -----------------------------------------------------------------------------------
if [ -n "${ROADIE_BIN:-}" ]; then
    ROADIE="$ROADIE_BIN"
else
    t=$SECONDS
    if (cd "$REPO" && timeout "$(left)" cargo build --quiet --bin roadie >"$WORK/build.log" 2>&1); then
        note "cargo build took $((SECONDS - t)) s"
    else
        fail "build roadie" "$(tail -5 "$WORK/build.log" | tr '\n' ' ')"
        exit 1
    fi
    ROADIE="$CARGO_TARGET_DIR/debug/roadie"
fi
[ -x "$ROADIE" ] || { fail "roadie binary" "$ROADIE is not executable"; exit 1; }
# A private copy: the shared target directory may be rebuilt by someone else during the run.
cp "$ROADIE" "$WORK/roadie"
ROADIE="$WORK/roadie"
note "roadie: $(cd "$REPO" && git log -1 --format='%h %s' 2>/dev/null | cut -c1-70)$(cd "$REPO" && git diff --quiet HEAD -- src migrations Cargo.toml Cargo.lock 2>/dev/null || echo ' (+ uncommitted changes)')"

ROADIE_PORT="$(free_port)"
FAN_PORT="$(free_port)"
while [ "$FAN_PORT" = "$ROADIE_PORT" ]; do FAN_PORT="$(free_port)"; done

export ROADIE_DOMAIN="localhost:$ROADIE_PORT"
export ROADIE_BIND="127.0.0.1:$ROADIE_PORT"
export ROADIE_PROTOCOL=http
export ROADIE_DANGER_ALLOW_PRIVATE_NETWORK=true
export ROADIE_DATABASE_URL="sqlite://$WORK/roadie.db"
export RUST_LOG="${RUST_LOG:-info,roadie=debug}"

if ! timeout "$(left)" "$ROADIE" admin artist create band --name "The Band" >"$WORK/admin.log" 2>&1; then
    fail "roadie admin artist create" "$(tail -3 "$WORK/admin.log" | tr '\n' ' ')"
    exit 1
fi
if ! TOKEN="$(timeout "$(left)" "$ROADIE" admin token create band 2>>"$WORK/admin.log" | tail -n 1)" || [ -z "$TOKEN" ]; then
    fail "roadie admin token create" "$(tail -3 "$WORK/admin.log" | tr '\n' ' ')"
    exit 1
fi

t=$SECONDS
"$ROADIE" serve >"$WORK/roadie.log" 2>&1 &
ROADIE_PID=$!
ROADIE_ORIGIN="http://localhost:$ROADIE_PORT"
up=""
for _ in $(seq 1 150); do
    [ "$(left)" -gt 1 ] || break
    if ! kill -0 "$ROADIE_PID" 2>/dev/null; then break; fi
    if curl -sf --max-time 2 "$ROADIE_ORIGIN/.well-known/webfinger?resource=acct:band@localhost:$ROADIE_PORT" >/dev/null 2>&1; then
        up=yes
        break
    fi
    sleep 0.2
done
if [ -z "$up" ]; then
    fail "roadie serve starts" "not answering on $ROADIE_ORIGIN after $((SECONDS - t)) s: $(tail -5 "$WORK/roadie.log" | sed "s/\x1b\[[0-9;]*m//g" | tr "\n" " ")"
    exit 1
fi
note "roadie on $ROADIE_ORIGIN (pid $ROADIE_PID), fan server on http://localhost:$FAN_PORT"

# --- Scenario (starts the fan server in the same Node process) ---------------------------------
rm -rf "$CAPTURE_DIR"
mkdir -p "$CAPTURE_DIR"
: >"$WORK/fedify.log"
(
    cd "$FEDIFY_DIR"
    ROADIE_ORIGIN="$ROADIE_ORIGIN" ROADIE_TOKEN="$TOKEN" ROADIE_USER=band FAN_PORT="$FAN_PORT" \
        CAPTURE_DIR="$CAPTURE_DIR" FEDIFY_LOG="$WORK/fedify.log" \
        exec timeout --kill-after=5 "$(left)" node scenario.mjs
) >"$WORK/scenario.log" 2>&1 &
SCENARIO_PID=$!
set +e
wait "$SCENARIO_PID"
SCENARIO_RC=$?
set -e
SCENARIO_PID=""

# Echo the scenario's output and count its checks.
while IFS= read -r line; do
    case "$line" in
        "ok - "*) PASSED=$((PASSED + 1)); echo "$line" ;;
        "not ok - "*) FAILED=$((FAILED + 1)); echo "$line" ;;
        "# fan inbox: "*) ;; # per-delivery chatter; kept in scenario.log
        *) echo "# ${line#\# }" ;;
    esac
done <"$WORK/scenario.log"
if [ "$SCENARIO_RC" -eq 124 ] || [ "$SCENARIO_RC" -eq 137 ]; then
    fail "scenario finished within the ${BUDGET} s budget" "killed by timeout"
elif [ "$SCENARIO_RC" -ne 0 ] && [ "$SCENARIO_RC" -ne 1 ]; then
    fail "scenario ran to the end" "node exited $SCENARIO_RC"
fi
ROADIE_PROBLEMS="$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/roadie.log" | grep -E ' (ERROR|WARN) ' | grep -v 'DANGER_ALLOW_PRIVATE_NETWORK' || true)"
if [ -n "$ROADIE_PROBLEMS" ]; then
    note "Roadie logged warnings/errors:"
    echo "$ROADIE_PROBLEMS" | head -20 | sed 's/^/#   /'
fi
