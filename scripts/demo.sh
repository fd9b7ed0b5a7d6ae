#!/usr/bin/env bash
# The demo (the README's first command): a local network of three bookkeepers, both supply chains
# recorded and verified, then the failure cases, each with its verdict.
#   scripts/demo.sh [DIR]     (default: a temporary directory, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --quiet --release --locked -p tally-cli
if [ $# -gt 0 ]; then
  exec target/release/tally demo --dir "$1"
fi
exec target/release/tally demo
