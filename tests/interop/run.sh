#!/usr/bin/env bash
# Real-peer interop run: Roadie against third-party fan servers, loopback only.
#
#   bash tests/interop/run.sh [fedify|bovine|all]      (default: all)
#
# fedify: a fan server on Fedify (npm); bovine: a fan server on bovine (PyPI). Each peer gets its
# own Roadie (fresh database, fresh ports) and runs the same scenario.
#
# Environment (all optional):
#   CARGO_TARGET_DIR  Roadie's build directory (default $HOME/.cache/roadie-target)
#   ROADIE_BIN        use this Roadie binary instead of building one
#   STEP_TIMEOUT_MS   how long the scenario waits for each asynchronous arrival (default 20000)
#   FAN_ED25519=1     give the fan an Ed25519 key too (Fedify then adds FEP-8b32 proofs)
#   INTEROP_BUDGET    hard limit for the whole run in seconds (default 300)
#   BOVINE_VENV       the bovine venv (default $HOME/.cache/roadie-interop/bovine-<requirements hash>)
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

PEER="${1:-all}"
case "$PEER" in
    fedify | bovine) PEERS=("$PEER") ;;
    all) PEERS=(fedify bovine) ;;
    *) echo "usage: run.sh [fedify|bovine|all]" >&2; exit 2 ;;
esac
wants() { [[ " ${PEERS[*]} " == *" $1 "* ]]; }
# With several peers, each check line names its peer.
tag() { [ "${#PEERS[@]}" -gt 1 ] && echo "$1: " || true; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
FEDIFY_DIR="$HERE/fedify"
BOVINE_DIR="$HERE/bovine"
CAPTURE_DIR="$HERE/captured"
BOVINE_CAPTURE_DIR="$BOVINE_DIR/captured"
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
    note "logs: $LOG_DIR (roadie.log, fedify.log, scenario.log; roadie-bovine.log, bovine-scenario.log); fixtures: $CAPTURE_DIR, $BOVINE_CAPTURE_DIR"
    note "time: $((SECONDS - START)) s"
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0 || exit 1
}
trap finish EXIT
trap 'note "interrupted"; exit 130' INT TERM

free_port() {
    if command -v node >/dev/null; then
        node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
    else
        "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    fi
}

# --- Tools ------------------------------------------------------------------------------------
if wants fedify; then
    command -v node >/dev/null || { fail "node is installed" "node not found"; exit 1; }
    note "node $(node --version), npm $(npm --version)"
fi
PYTHON=""
if wants bovine; then
    # bovine needs Python >= 3.11.
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            PYTHON="$(command -v "$candidate")"
            break
        fi
    done
    [ -n "$PYTHON" ] || { fail "Python >= 3.11 is installed" "no python3.11+ found"; exit 1; }
    note "$("$PYTHON" --version)"
fi

# --- Fedify (npm) -----------------------------------------------------------------------------
if wants fedify; then
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
fi

# --- bovine (PyPI) ----------------------------------------------------------------------------
# A venv per version of requirements.txt, outside the clone so CI's fresh clones reuse it. It
# counts as installed only once the marker file is written.
if wants bovine; then
    REQ_HASH="$(sha256sum "$BOVINE_DIR/requirements.txt" | cut -c1-12)"
    BOVINE_VENV="${BOVINE_VENV:-$HOME/.cache/roadie-interop/bovine-$REQ_HASH}"
    if [ ! -f "$BOVINE_VENV/.installed" ]; then
        note "installing bovine into $BOVINE_VENV (pip, pinned by requirements.txt)"
        t=$SECONDS
        rm -rf "$BOVINE_VENV"
        mkdir -p "$(dirname "$BOVINE_VENV")"
        if timeout "$(left)" "$PYTHON" -m venv "$BOVINE_VENV" >"$WORK/pip.log" 2>&1 &&
            timeout "$(left)" "$BOVINE_VENV/bin/python" -m pip install --disable-pip-version-check \
                --no-input -q -r "$BOVINE_DIR/requirements.txt" >>"$WORK/pip.log" 2>&1; then
            touch "$BOVINE_VENV/.installed"
            note "bovine install took $((SECONDS - t)) s"
        else
            fail "pip install -r tests/interop/bovine/requirements.txt" "$(tail -5 "$WORK/pip.log" | tr '\n' ' ')"
            exit 1
        fi
    fi
    note "peer: bovine $("$BOVINE_VENV/bin/python" -c 'from importlib.metadata import version; print(version("bovine"))')"
fi

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

export ROADIE_PROTOCOL=http
export ROADIE_DANGER_ALLOW_PRIVATE_NETWORK=true
export RUST_LOG="${RUST_LOG:-info,roadie=debug}"

# Starts a Roadie with its own database and an artist `band`; sets ROADIE_ORIGIN, TOKEN,
# FAN_PORT and ROADIE_PID. $1 names its files (roadie.log, roadie-bovine.log, …).
start_roadie() {
    local name="$1" port
    port="$(free_port)"
    FAN_PORT="$(free_port)"
    while [ "$FAN_PORT" = "$port" ]; do FAN_PORT="$(free_port)"; done
    export ROADIE_DOMAIN="localhost:$port"
    export ROADIE_BIND="127.0.0.1:$port"
    export ROADIE_DATABASE_URL="sqlite://$WORK/$name.db"
    if ! timeout "$(left)" "$ROADIE" admin artist create band --name "The Band" >"$WORK/admin-$name.log" 2>&1; then
        fail "$(tag "$2")roadie admin artist create" "$(tail -3 "$WORK/admin-$name.log" | tr '\n' ' ')"
        return 1
    fi
    if ! TOKEN="$(timeout "$(left)" "$ROADIE" admin token create band 2>>"$WORK/admin-$name.log" | tail -n 1)" || [ -z "$TOKEN" ]; then
        fail "$(tag "$2")roadie admin token create" "$(tail -3 "$WORK/admin-$name.log" | tr '\n' ' ')"
        return 1
    fi
    local t=$SECONDS up=""
    "$ROADIE" serve >"$WORK/$name.log" 2>&1 &
    ROADIE_PID=$!
    ROADIE_ORIGIN="http://localhost:$port"
    for _ in $(seq 1 150); do
        [ "$(left)" -gt 1 ] || break
        if ! kill -0 "$ROADIE_PID" 2>/dev/null; then break; fi
        if curl -sf --max-time 2 "$ROADIE_ORIGIN/.well-known/webfinger?resource=acct:band@localhost:$port" >/dev/null 2>&1; then
            up=yes
            break
        fi
        sleep 0.2
    done
    if [ -z "$up" ]; then
        fail "$(tag "$2")roadie serve starts" "not answering on $ROADIE_ORIGIN after $((SECONDS - t)) s: $(tail -5 "$WORK/$name.log" | sed "s/\x1b\[[0-9;]*m//g" | tr "\n" " ")"
        return 1
    fi
    note "roadie on $ROADIE_ORIGIN (pid $ROADIE_PID), fan server on http://localhost:$FAN_PORT"
}

# Echoes a scenario's output with its peer's tag and counts its checks.
count_checks() {
    local peer="$1" log="$2" rc="$3" line
    while IFS= read -r line; do
        case "$line" in
            "ok - "*) PASSED=$((PASSED + 1)); echo "ok - $(tag "$peer")${line#ok - }" ;;
            "not ok - "*) FAILED=$((FAILED + 1)); echo "not ok - $(tag "$peer")${line#not ok - }" ;;
            "# fan inbox: "*) ;; # per-delivery chatter; kept in the scenario log
            *) echo "# ${line#\# }" ;;
        esac
    done <"$log"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail "$(tag "$peer")scenario finished within the ${BUDGET} s budget" "killed by timeout"
    elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        fail "$(tag "$peer")scenario ran to the end" "exited $rc"
    fi
}

roadie_problems() {
    local problems
    problems="$(sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E ' (ERROR|WARN) ' | grep -v 'DANGER_ALLOW_PRIVATE_NETWORK' || true)"
    if [ -n "$problems" ]; then
        note "Roadie logged warnings/errors:"
        echo "$problems" | head -20 | sed 's/^/#   /'
    fi
}

# --- Scenarios --------------------------------------------------------------------------------
run_fedify() {
    start_roadie roadie fedify || return 0
    rm -rf "$CAPTURE_DIR"
    mkdir -p "$CAPTURE_DIR"
    : >"$WORK/fedify.log"
    # The scenario starts the fan server in the same Node process.
    (
        cd "$FEDIFY_DIR"
        ROADIE_ORIGIN="$ROADIE_ORIGIN" ROADIE_TOKEN="$TOKEN" ROADIE_USER=band FAN_PORT="$FAN_PORT" \
            CAPTURE_DIR="$CAPTURE_DIR" FEDIFY_LOG="$WORK/fedify.log" \
            exec timeout --kill-after=5 "$(left)" node scenario.mjs
    ) >"$WORK/scenario.log" 2>&1 &
    SCENARIO_PID=$!
    local rc=0
    wait "$SCENARIO_PID" || rc=$?
    SCENARIO_PID=""
    count_checks fedify "$WORK/scenario.log" "$rc"
    stop "$ROADIE_PID"
    ROADIE_PID=""
    roadie_problems "$WORK/roadie.log"
}

run_bovine() {
    start_roadie roadie-bovine bovine || return 0
    rm -rf "$BOVINE_CAPTURE_DIR"
    mkdir -p "$BOVINE_CAPTURE_DIR"
    # The scenario starts the fan server in the same Python process.
    ROADIE_ORIGIN="$ROADIE_ORIGIN" ROADIE_TOKEN="$TOKEN" ROADIE_USER=band FAN_PORT="$FAN_PORT" \
        CAPTURE_DIR="$BOVINE_CAPTURE_DIR" TMPDIR="$WORK" PYTHONDONTWRITEBYTECODE=1 \
        timeout --kill-after=5 "$(left)" "$BOVINE_VENV/bin/python" "$BOVINE_DIR/scenario.py" \
        >"$WORK/bovine-scenario.log" 2>&1 &
    SCENARIO_PID=$!
    local rc=0
    wait "$SCENARIO_PID" || rc=$?
    SCENARIO_PID=""
    count_checks bovine "$WORK/bovine-scenario.log" "$rc"
    stop "$ROADIE_PID"
    ROADIE_PID=""
    roadie_problems "$WORK/roadie-bovine.log"
}

for peer in "${PEERS[@]}"; do
    t=$SECONDS
    "run_$peer"
    note "$peer scenario: $((SECONDS - t)) s"
done
