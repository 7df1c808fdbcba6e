#!/usr/bin/env bash
# Kernel report: triad bandwidth + JMH matvec/batched timings for FP32, BF16, F16, Q8_0, Q4_0 and e8q 2/3/4 bit
# (exact, and E8Qb_A8 with int8 activations).
# Usage: bench/run-report.sh [--out DIR] [--quick] [--shapes ...] [--formats ...] [--threads 1,2] ...
# Build first: ./build -q -De8q.out=target-bench -pl bench -am package -DskipTests
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/find-jdk.sh"
jar="${E8Q_BENCH_JAR:-}"
if [ -z "$jar" ]; then
  for cand in "$here"/bench/target-bench/benchmarks.jar "$here"/bench/target/benchmarks.jar; do
    [ -f "$cand" ] && { jar="$cand"; break; }
  done
fi
[ -n "$jar" ] || { echo "benchmarks.jar not found; build it first" >&2; exit 1; }
exec java ${E8Q_BENCH_JVM:--Xmx12g} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Djava.awt.headless=true -XX:+UseParallelGC -cp "$jar" dev.e8q.bench.KernelReport "$@"
