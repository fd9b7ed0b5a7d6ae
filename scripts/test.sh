#!/usr/bin/env bash
# Builds the workspace once and runs every test from that build: formatting, lints, unit tests,
# the published vectors (../shared), property tests, and the end-to-end tests that run the real
# `tally` binary and Go's golang.org/x/mod against each other, and the app's interface tests and
# end-to-end tests of its real window.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# The S3-compatible store of the tests of publishing to S3 (installed by setup.sh).
export TALLY_WEED="$PWD/target/seaweedfs-venv/bin/weed"

if [ ! -d ../shared/vectors ]; then
  echo "test: ../shared (the public test vectors) must sit beside this checkout" >&2
  exit 1
fi

cargo fmt --all -- --check
# The app's interface first: lint, strict type check, unit tests, then the build into ui/dist,
# which tauri's generate_context! embeds in the app binary (clippy and the build need it).
(
  cd ui
  npm run --silent lint
  npm run --silent typecheck
  npm run --silent test
  npx vite build --logLevel warn
)
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests run target/debug/tally and target/debug/tally-app (the app's real window
# under Xvfb, driven through WebKitWebDriver): build every binary first, in the test profile.
cargo build --workspace --bins --locked
cargo test --workspace --locked
# The bookkeeper and light-client suites, and the network suite of real `tally` processes
# (convergence, catch-up, kill -9 under load, rewritten history, bad input), again with every test
# network's logs in PostgreSQL (a real server each test network starts and stops,
# `tally_testnet::STORAGE`; `tally network up --storage`), from the same build.
TALLY_TEST_STORAGE=postgres cargo test -p tally-bookkeeper -p tally-client --tests --locked
TALLY_TEST_STORAGE=postgres cargo test -p tally-e2e --test network --locked
