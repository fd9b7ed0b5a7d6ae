#!/usr/bin/env bash
# The headless walkthrough of Tally's verification core, on real public data: a real Sigsum
# checkpoint with eight real witness cosignatures, its inclusion proof, a GS1 Digital Link label,
# an EPCIS 2.0 shipment with its CBV 2.0 event hash, and fresh keys signing and verifying a note.
# (The bookkeeper network and `tally demo` arrive with the bookkeeper and light-client work.)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared

cargo build --quiet --release -p tally-cli
tally=target/release/tally
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. A real transparency-log checkpoint (Sigsum test log), log signature + 8 of 8 witnesses"
cp_json=$shared/vectors/sigsum/sigsum-test-checkpoint.json
log_key=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["log_vkey"])' "$cp_json")
witness_args=$(python3 -c 'import json,sys;print(" ".join("--witness "+k for k in json.load(open(sys.argv[1]))["witness_vkeys"]))' "$cp_json")
# shellcheck disable=SC2086
$tally checkpoint verify --log "$log_key" $witness_args --witness-threshold 8 < $shared/vectors/sigsum/sigsum-test-checkpoint.txt

say "2. The same checkpoint with one cosignature timestamp altered: refused (exit 1)"
sed 's/rDC+YQAAAABpgwCb/rDC+YQAAAABpgwCc/' $shared/vectors/sigsum/sigsum-test-checkpoint.txt > "$work/forged.txt"
# shellcheck disable=SC2086
$tally checkpoint verify --log "$log_key" $witness_args --witness-threshold 8 < "$work/forged.txt" || echo "exit $?: refused, as it must be"

say "3. An RFC 6962 inclusion proof from the transparency-dev vectors"
incl=$shared/vectors/transparency-dev-merkle/testdata/inclusion/1/happy-path.json
args=$(python3 -c 'import json,sys;v=json.load(open(sys.argv[1]));print(v["treeSize"],v["root"],v["leafIdx"],v["leafHash"],",".join(v["proof"]))' "$incl")
read -r size root idx leaf proof <<<"$args"
$tally proof inclusion --size "$size" --root "$root" --index "$idx" --leaf-hash "$leaf" --proof "$proof"

say "4. A GS1 Digital Link from a milk-powder can, as a scanner returns it"
$tally gs1 parse 'https://example.com/01/09506000134352/10/LOT-2026-11/21/SER1001?17=281130'

say "5. An EPCIS 2.0 shipment: schema-valid, and its CBV 2.0 Event Hash ID"
$tally epcis validate $shared/gs1/epcis/example-milk-powder-shipping.jsonld && echo "valid against the GS1 EPCIS 2.0 schema"
$tally epcis hash $shared/gs1/epcis/example-milk-powder-shipping.jsonld
echo "expected: $(head -1 $shared/gs1/epcis/example-milk-powder-shipping.hashes)"

say "6. Fresh keys: a log signs a note, a witness cosigns it, both verify"
$tally keygen --name demo.tally.example/log --out "$work" >/dev/null
$tally keygen --name demo-witness --cosignature --out "$work" >/dev/null
printf 'demo.tally.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n' \
  | $tally note sign --key "$work/demo.tally.example_log.key" \
  | $tally note sign --add --key "$work/demo-witness.key" > "$work/checkpoint"
cat "$work/checkpoint"
$tally checkpoint verify --log "$work/demo.tally.example_log.pub" --witness "$work/demo-witness.pub" --witness-threshold 1 < "$work/checkpoint"
