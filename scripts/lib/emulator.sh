# Shared by scripts/test, scripts/demo and scripts/bench: the moto server in .venv/.
# Source it, then call ensure_venv and start_emulator; the emulator is stopped on exit.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
REQS="$ROOT/scripts/requirements-emulator.txt"

# Creates .venv/ and installs the pinned emulator when missing or when the pins changed.
ensure_venv() {
  local stamp="$VENV/.protoctl-reqs"
  if [ -x "$VENV/bin/moto_server" ] && [ -f "$stamp" ] && cmp -s "$REQS" "$stamp"; then
    return 0
  fi
  echo "emulator: installing $(grep -v '^#' "$REQS" | tr '\n' ' ')into .venv/" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS"
  cp "$REQS" "$stamp"
}

# Fake credentials and isolated config/data dirs, so nothing of the user's leaks in or out.
isolate_aws_env() {
  local home="$1"
  mkdir -p "$home"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_CONFIG_FILE="$home/aws-config" AWS_SHARED_CREDENTIALS_FILE="$home/aws-credentials"
  export AWS_EC2_METADATA_DISABLED=true
  export XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache"
  unset AWS_PROFILE AWS_ENDPOINT_URL
}

stop_emulator() {
  if [ -n "${EMULATOR_PID:-}" ]; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    EMULATOR_PID=""
  fi
}

# Starts moto on a free 127.0.0.1 port, waits for it, configures Lambda without Docker,
# and exports EMULATOR_URL. The caller's EXIT trap must call stop_emulator.
start_emulator() {
  local log="${1:-$ROOT/target/emulator.log}"
  mkdir -p "$(dirname "$log")"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  EMULATOR_PID=$!
  EMULATOR_URL="http://127.0.0.1:$port"
  export EMULATOR_URL
  local i
  for i in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('$EMULATOR_URL/moto-api/', timeout=1)" 2>/dev/null; then
      break
    fi
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
      echo "emulator: moto_server exited; see $log" >&2
      return 1
    fi
    sleep 0.2
  done
  python3 - "$EMULATOR_URL" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/moto-api/config", data=json.dumps({"lambda": {"use_docker": False}}).encode(), method="POST", headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=5).read()
PY
  echo "emulator: moto on $EMULATOR_URL (pid $EMULATOR_PID, log $log)" >&2
}
