#!/usr/bin/env bash
# Host instructions (callgrind) that the wasmtime CLI spends running integer
# workloads on a friscy component: a deterministic A/B measure of the
# dispatch loop's compiled code, usable on a loaded machine where wall
# times are noise. Not a speed figure: branch mispredictions do not show.
#
#   bench/tools/host-insns.sh [COMPONENT]   (default dist/friscy.wasm)
#
# Needs `just bench` to have built bench/out/ once, and valgrind.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
wasm=${1:-$root/dist/friscy.wasm}
out=$root/bench/out
[ -f "$out/rootfs.tar" ] || { echo "host-insns: $out/rootfs.tar is missing: run \`just bench\` once" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "host-insns: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Compiled under valgrind, so that the code uses only CPU features
# valgrind emulates (no AVX-512).
valgrind -q --tool=none wasmtime compile "$wasm" -o "$tmp/c.cwasm"
printf '%-10s %6s %14s\n' workload scale host-insns
for spec in "sort 1" "hash 2" "crc 10" "sieve 1" "recursion 1" "strfmt 4000"; do
    set -- $spec
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        wasmtime run --allow-precompiled --dir "$out" "$tmp/c.cwasm" \
        --image "$out/rootfs.tar" -- "/bench/$1" "$2" 2>&1 >/dev/null |
        sed -n 's/.*I *refs: *//p' | tr -d ,)
    printf '%-10s %6s %14s\n' "$1" "$2" "$n"
done
