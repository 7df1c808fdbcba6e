#!/usr/bin/env bash
# Builds the cuda module (and what it needs) into target-cuda/ and runs dev.e8q.cuda.CudaBench.
#   cuda/bench.sh                         # 4096x4096, 11008x4096, 16384x16384 at 2/3/4 bits + FP16 cuBLAS
#   cuda/bench.sh --shapes 8192x8192 --bits 2 --iters 500 --batch 1 --peak-gbps 3350
# Needs a CUDA GPU (compute capability >= 8.0, driver for CUDA >= 12.0); the FP16 baseline also needs
# libcublas.so.12 on LD_LIBRARY_PATH, or CUDA 13's cuBLAS with cuda/retarget-jcublas.py and
# E8Q_JAVA_OPTS="-Xmx8g -Djava.library.path=DIR" (docs/cuda.md). Without cuBLAS the E8P rows are still measured.
# Without a GPU it prints why and exits with status 2.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/find-jdk.sh"
cd "$here"
./build -q -De8q.out=target-cuda -pl cuda -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target-cuda/classpath.txt >&2
cp="cuda/target-cuda/classes:$(cat cuda/target-cuda/classpath.txt)"
exec "$JAVA_HOME/bin/java" ${E8Q_JAVA_OPTS:--Xmx8g} --add-modules jdk.incubator.vector \
  --enable-native-access=ALL-UNNAMED -cp "$cp" dev.e8q.cuda.CudaBench "$@"
