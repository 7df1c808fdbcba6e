#!/usr/bin/env bash
# Coverage-guided fuzzing of one e8q fuzz target with Jazzer (docs/robustness.md).
#   scripts/fuzz.sh <TestClass> [duration, default 10m]      e.g. scripts/fuzz.sh SafetensorsFuzzTest 10m
# Builds into <module>/target-fuzzrun (so other builds in the checkout are not disturbed), runs the
# target until the duration is up or it finds a crash, then prints libFuzzer's summary. Crashing inputs
# land in the target's seed directory (src/test/resources/.../<TestClass>Inputs/fuzz/crash-*), where
# `mvn test` replays them from then on; the growing corpus is kept in <module>/.cifuzz-corpus (ignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cls="${1:?usage: scripts/fuzz.sh <TestClass> [duration]}"
dur="${2:-10m}"
src=$(cd "$here" && ls */src/test/java/dev/e8q/*/fuzz/"$cls".java 2>/dev/null | head -1)
[ -n "$src" ] || { echo "no fuzz target $cls under */src/test/java/dev/e8q/*/fuzz/" >&2; exit 2; }
module="${src%%/*}"
out="${E8Q_FUZZ_OUT:-target-fuzzrun}"
cd "$here"
set +e
JAZZER_FUZZ=1 ./build -q -De8q.out="$out" -pl "$module" -am test -Dtest="$cls" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.max_duration="$dur" -De8q.jazzer.hooks=true "${@:3}"
rc=$?
set -e
log=$(ls "$module/$out"/surefire-reports/*"$cls"-output.txt 2>/dev/null | head -1)
if [ -n "$log" ]; then
  echo "== $cls ($module), libFuzzer log: $log"
  grep -E '^(#[0-9]+ *(INITED|DONE))|^Done [0-9]+ runs|^==[0-9]+== |artifact_prefix|Test unit written|^Base64' "$log" | tail -8
fi
exit $rc
