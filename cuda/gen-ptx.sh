#!/usr/bin/env bash
# Regenerates the committed PTX from the CUDA sources. Run from anywhere: cuda/gen-ptx.sh
# Needs nvcc (any CUDA >= 12; tested with 13.0). Machines without nvcc build from the committed PTX.
#
# For each cuda/src/main/cuda/NAME.cu this writes cuda/src/main/resources/dev/e8q/cuda/NAME.ptx:
#   nvcc -ptx -arch=compute_80 -O3 -o NAME.ptx NAME.cu
# then
#   1. lowers the ".version" directive to PTX ISA 8.0 (CUDA 12.0), so that every CUDA 12 driver
#      (which JCuda 12.6 needs anyway) can JIT it; nvcc 13 writes 9.0, which 12.x drivers reject;
#   2. checks with ptxas (when present) that the lowered PTX assembles for sm_80 and sm_90 — ptxas
#      refuses instructions newer than the declared ISA version, so this proves the lowering is sound;
#   3. prepends "// e8q-source-sha256: <sha256 of NAME.cu>", which PtxResourceTest compares with the
#      source so a stale PTX fails the build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src/main/cuda"
dst="$here/src/main/resources/dev/e8q/cuda"
NVCC="${NVCC:-nvcc}"
PTX_ISA="8.0"
command -v "$NVCC" >/dev/null || { echo "gen-ptx.sh: nvcc not found (set NVCC=/path/to/nvcc)" >&2; exit 1; }
mkdir -p "$dst"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for cu in "$src"/*.cu; do
  name="$(basename "$cu" .cu)"
  "$NVCC" -ptx -arch=compute_80 -O3 -o "$tmp/$name.raw.ptx" "$cu"
  sed -E "s/^\.version [0-9]+\.[0-9]+$/.version $PTX_ISA/" "$tmp/$name.raw.ptx" > "$tmp/$name.ptx"
  grep -q "^\.version $PTX_ISA$" "$tmp/$name.ptx" || { echo "gen-ptx.sh: no .version line in $name.ptx" >&2; exit 1; }
  if command -v ptxas >/dev/null; then
    for sm in sm_80 sm_90; do ptxas -arch=$sm -o "$tmp/$name.$sm.cubin" "$tmp/$name.ptx"; done
  else
    echo "gen-ptx.sh: ptxas not found; skipped the assembly check" >&2
  fi
  sha="$(sha256sum "$cu" | cut -d' ' -f1)"
  {
    echo "// e8q-source-sha256: $sha"
    echo "// Generated from cuda/src/main/cuda/$name.cu by cuda/gen-ptx.sh ($("$NVCC" --version | tail -1 | tr -s ' ')); do not edit."
    cat "$tmp/$name.ptx"
  } > "$dst/$name.ptx"
  echo "wrote $dst/$name.ptx ($(grep -c '^\.visible \.entry' "$dst/$name.ptx") entries)"
done
