#!/usr/bin/env bash
# The demo: a local network of three bookkeepers with the demo data (a NZ milk-powder journey, a
# seafood journey, cloned and recalled labels), then the Tally app opened on it when there is a
# display; without one, the headless demo (`tally demo`) alone. Ctrl-C or closing the app stops the
# network. Labels to open with the app's "Open a photo" are in $DIR/labels/.
#   scripts/demo.sh [DIR]     (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-$(mktemp -d /tmp/tally-demo.XXXXXX)}
scripts/setup.sh

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: no display; running the headless demo" >&2
  cargo build --quiet --release -p tally-cli
  exec target/release/tally demo --dir "$dir"
fi

(cd ui && npx vite build --logLevel warn)
cargo build --quiet --release -p tally-cli -p tally-app
target/release/tally demo --keep --dir "$dir"
trap 'target/release/tally network down --dir "$dir/net" >/dev/null || true' EXIT
echo "demo: labels in $dir/labels; the warehouse device key is $dir/warehouse.key" >&2
target/release/tally-app --data-dir "$dir/app" --policy "$dir/net/policy.json"
