#!/usr/bin/env bash
# The official Node SDK (@larksuiteoapi/node-sdk, from npm, installed under target/ by its lock
# file) against the emulator, with the demo credentials the emulator prints: the Open API client,
# WSClient over the long connection, EventDispatcher behind its HTTP adapter over an encrypted
# webhook, and a wrong secret. Run by `cargo xtask test`; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
source crates/feishu-vc-emulator/tests/serve.sh
here=crates/feishu-vc-emulator/tests/node_sdk
prefix=target/node-sdk
mkdir -p "$prefix"
cp "$here/package.json" "$here/package-lock.json" "$prefix/"
if ! cmp -s "$here/package-lock.json" "$prefix/node_modules/.installed-lock.json" 2>/dev/null; then
  (cd "$prefix" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$here/package-lock.json" "$prefix/node_modules/.installed-lock.json"
fi
encrypt_key=node-sdk-encrypt-key
verification_token=node-sdk-verification-token
serve_emulator target/node-sdk-emulator.log \
  --encrypt-key "$encrypt_key" --verification-token "$verification_token"
NODE_PATH="$prefix/node_modules" timeout 120 node "$here/interop.js" \
  "$base_url" "$app_id" "$app_secret" ou_3ec3f6a28a0d08c45d895276e8e5e19b \
  "$encrypt_key" "$verification_token"
