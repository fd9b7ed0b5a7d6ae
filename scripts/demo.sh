#!/usr/bin/env bash
# The demo (the README's first command): a local network of three bookkeepers, both supply chains
# recorded and verified, then the failure cases, each with its verdict. When there is a display,
# the network is kept with its data and the Tally app opens on it (its labels to open with "Open a
# photo" are in DIR/labels/, the warehouse device's key and certification in DIR/); closing the app
# stops the network. Without a display, the headless demo alone.
#   scripts/demo.sh [DIR]     (default: a temporary directory, removed at the end when headless)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  cargo build --quiet --release --locked -p tally-cli
  if [ $# -gt 0 ]; then
    exec target/release/tally demo --dir "$1"
  fi
  exec target/release/tally demo
fi

dir=${1:-$(mktemp -d /tmp/tally-demo.XXXXXX)}
(cd ui && npx vite build --logLevel warn)
cargo build --quiet --release --locked -p tally-cli -p tally-app
target/release/tally demo --keep --dir "$dir"
trap 'target/release/tally network down --dir "$dir/net" >/dev/null || true' EXIT
policy=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["policy"])' "$dir/demo.json")
echo "demo: the app opens on $dir (labels in $dir/labels; warehouse key $dir/warehouse.key)" >&2
target/release/tally-app --data-dir "$dir/app" --policy "$policy"
