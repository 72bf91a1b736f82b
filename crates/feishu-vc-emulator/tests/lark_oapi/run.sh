#!/usr/bin/env bash
# The official Python SDK (lark-oapi, from PyPI, into a venv of its own under target/) receives a
# meeting event from the emulator over the long connection, with the demo credentials the
# emulator prints. Run by `cargo xtask test`; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
source crates/feishu-vc-emulator/tests/serve.sh
venv=target/lark-oapi-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
timeout 300 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'lark-oapi==1.7.5'
serve_emulator target/lark-oapi-emulator.log
timeout 90 "$venv/bin/python" crates/feishu-vc-emulator/tests/lark_oapi/longconn.py \
  "$base_url" "$app_id" "$app_secret" ou_3ec3f6a28a0d08c45d895276e8e5e19b
