#!/usr/bin/env bash
# The official Python SDK (lark-oapi, from PyPI, into a venv of its own under target/) receives a
# meeting event from the emulator over the long connection. Run by .ci/run; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
venv=target/lark-oapi-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check 'lark-oapi==1.7.5'
cargo build --quiet -p feishu-vc-cli
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/debug/feishu-vc emulator --port "$port" > target/lark-oapi-emulator.log 2>&1 &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
timeout 90 "$venv/bin/python" crates/feishu-vc-emulator/tests/lark_oapi/longconn.py \
  "http://127.0.0.1:$port" cli_demo demo-secret ou_3ec3f6a28a0d08c45d895276e8e5e19b
