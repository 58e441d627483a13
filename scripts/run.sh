#!/usr/bin/env bash
# Start Backroom for a demo or for development: the web server and a Celery worker with
# beat, side by side, on the embedded defaults (or whatever .env / the environment says).
# Ctrl-C stops both, and nothing is left running. Called by `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
VAR_DIR="${BACKROOM_VAR_DIR:-var}"
export DEBUG="${DEBUG:-1}"
export PYTHONUNBUFFERED=1

"$BIN/python" manage.py migrate --no-input

seeded="$VAR_DIR/.demo-seeded"
if [[ ! -e "$seeded" ]]; then
    if "$BIN/python" manage.py help seed_demo >/dev/null 2>&1; then
        "$BIN/python" manage.py seed_demo
        mkdir -p "$VAR_DIR" && touch "$seeded"
    else
        echo "run: the seed_demo command is not available yet; starting without demo data." >&2
    fi
fi

# Each child runs in its own process group (job control on), so the trap can stop the
# whole group: runserver's reloader child, the worker's pool processes and embedded beat.
set -m
pids=()

stop_all() {
    trap - INT TERM EXIT
    local pid
    # The worker's main process gets TERM alone (its warm shutdown stops the pool and
    # beat); the web server's whole group gets it (the reloader and its serving child).
    [[ -n "${worker:-}" ]] && kill -TERM "$worker" 2>/dev/null || true
    [[ -n "${web:-}" ]] && kill -TERM -- "-$web" 2>/dev/null || true
    # A warm shutdown finishes the task at hand; give it a moment, then make sure.
    for _ in $(seq 1 40); do
        local alive=0
        for pid in "${pids[@]}"; do
            kill -0 -- "-$pid" 2>/dev/null && alive=1
        done
        [[ $alive -eq 0 ]] && break
        sleep 0.25
    done
    for pid in "${pids[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

"$BIN/celery" -A config worker -B --loglevel=info --concurrency="${CELERY_CONCURRENCY:-2}" &
worker=$!
pids+=("$worker")
"$BIN/python" manage.py runserver "$HOST:$PORT" &
web=$!
pids+=("$web")

# Print the address once the server answers, after the start-up noise of both processes.
for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && break
    kill -0 "$web" 2>/dev/null || break
    sleep 0.25
done
cat <<MSG

  Backroom is running on http://$HOST:$PORT/
  Log in as owner / backroom-demo (also staff and warehouse, same password).
  Press Ctrl-C to stop the web server and the Celery worker.

MSG

# Whichever stops first (a crash, or Ctrl-C), stop the other one too.
set +e
wait -n
status=$?
set -e
echo "run: a process exited (status $status); stopping the others." >&2
exit "$status"
