# Sourced by the official SDKs' interop scripts: serves `feishu-vc emulator` (built first) on a
# free loopback port with the given extra flags, logging to $1, and sets `base_url`, `app_id` and
# `app_secret` from the banner it prints, exactly as a user copies them. Stopped on exit.
# `feishu_vc_bin` is the built command, in CARGO_TARGET_DIR when that is set (as cargo puts it).
serve_emulator() {
  local log=$1
  shift
  cargo build --quiet -p feishu-vc-cli
  local target=${CARGO_TARGET_DIR:-target}
  case $target in /*) ;; *) target=$PWD/$target ;; esac
  feishu_vc_bin=$target/debug/feishu-vc
  "$feishu_vc_bin" emulator --port 0 "$@" > "$log" 2>&1 &
  emulator_pid=$!
  trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    if grep -q -- '--app-id' "$log"; then break; fi
    sleep 0.1
  done
  base_url=$(sed -n 's/.*emulator serving at \([^;]*\);.*/\1/p' "$log" | head -1)
  app_id=$(sed -n 's/.*--app-id \([^ ]*\) --app-secret \([^ ]*\).*/\1/p' "$log" | head -1)
  app_secret=$(sed -n 's/.*--app-id \([^ ]*\) --app-secret \([^ ]*\).*/\2/p' "$log" | head -1)
  if [ -z "$base_url" ] || [ -z "$app_id" ] || [ -z "$app_secret" ]; then
    echo "the emulator printed no address or demo credentials:" >&2
    cat "$log" >&2
    exit 1
  fi
}
