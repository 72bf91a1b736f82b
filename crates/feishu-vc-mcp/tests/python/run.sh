#!/usr/bin/env bash
# The official MCP Python SDK (`mcp` from PyPI, pinned, into a venv of its own under target/)
# drives `feishu-vc mcp` over stdio against a served emulator. Run by `cargo xtask test`.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
venv=target/mcp-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check 'mcp==1.30.0'
cargo build --quiet -p feishu-vc-cli
work=$(mktemp -d)
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/debug/feishu-vc emulator --port "$port" > "$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
timeout 120 "$venv/bin/python" crates/feishu-vc-mcp/tests/python/client.py \
  "$PWD/target/debug/feishu-vc" "http://127.0.0.1:$port" "$work/ledger.sqlite3" \
  ou_3ec3f6a28a0d08c45d895276e8e5e19b
