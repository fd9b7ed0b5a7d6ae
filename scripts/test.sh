#!/usr/bin/env bash
# Builds the workspace once and runs every test from that build: formatting, lints, unit tests,
# the published vectors (../shared), property tests, and the end-to-end tests that run the real
# `tally` binary and Go's golang.org/x/mod against each other.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

if [ ! -d ../shared/vectors ]; then
  echo "test: ../shared (the public test vectors) must sit beside this checkout" >&2
  exit 1
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests run target/debug/tally: build every binary first, in the test profile.
cargo build --workspace --bins --locked
cargo test --workspace --locked
