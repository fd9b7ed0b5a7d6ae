#!/usr/bin/env bash
# Installs what Tally needs on a fresh Debian machine with a Rust toolchain: the Debian packages for
# the Go interoperability test (Go's own golang.org/x/mod signed-note code, from Debian), the C
# toolchain that -sys crates build with, cmake for the bundled zxing-cpp (QR decoding, C++17) and
# poppler-utils (pdftoppm) for the test that prints a PDF label sheet and scans it back.
# Idempotent: installs only what is missing.
set -euo pipefail

packages=(build-essential pkg-config golang-go golang-golang-x-mod-dev cmake poppler-utils)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install a Rust toolchain (rustup)" >&2; exit 1; }
echo "setup: ok ($(cargo --version), $(go version 2>/dev/null || echo 'no go'))" >&2
