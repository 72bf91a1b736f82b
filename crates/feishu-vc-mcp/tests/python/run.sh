#!/usr/bin/env bash
# The official MCP Python SDK (`mcp` from PyPI, pinned, into a venv of its own under target/)
# drives `feishu-vc mcp` over stdio and over Streamable HTTP against a served emulator, with the
# demo credentials the emulator prints. Run by `cargo xtask test`.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
venv=target/mcp-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
timeout 300 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'mcp==1.30.0'
mkdir -p target/tmp
work=$(mktemp -d target/tmp/mcp-python.XXXXXX)
# shellcheck source=../../../feishu-vc-emulator/tests/serve.sh
. crates/feishu-vc-emulator/tests/serve.sh
serve_emulator "$work/emulator.log"
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
timeout 180 "$venv/bin/python" crates/feishu-vc-mcp/tests/python/client.py \
  "$feishu_vc_bin" "$base_url" "$app_id" "$app_secret" "$PWD/$work" \
  ou_3ec3f6a28a0d08c45d895276e8e5e19b
