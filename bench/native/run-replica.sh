#!/usr/bin/env bash
# The exact 2-bit kernel three ways, side by side on one thread: the Java kernel (KernelLoop), and its C replica
# (pair-replica.c) with and without the index wrap C2 puts before every selectFrom.
# Usage: bench/native/run-replica.sh [rows cols [iterations]]   (default 4096 4096 300)
# Needs gcc and an AVX-512 VBMI/BITALG CPU; build the bench jar first:
#   ./build -q -De8q.out=target-bench -pl bench -am package -DskipTests
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$here/scripts/find-jdk.sh"
rows="${1:-4096}" cols="${2:-4096}" iters="${3:-300}"
jar="$here/bench/target-bench/benchmarks.jar"
[ -f "$jar" ] || { echo "$jar not found; build it first" >&2; exit 1; }
command -v gcc >/dev/null || { echo "gcc not found" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
gcc -O2 -march=native -o "$out/pair-replica" "$here/bench/native/pair-replica.c"
for round in 1 2; do
  java --add-modules jdk.incubator.vector -cp "$jar" dev.e8q.bench.KernelLoop "$rows" "$cols" 2 "$iters" 1 2>&1 | grep -v WARNING
  "$out/pair-replica" "$rows" "$cols" "$iters"
done
