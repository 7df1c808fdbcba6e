#!/usr/bin/env bash
# Coverage-guided fuzzing of one e8q fuzz target with Jazzer (docs/robustness.md).
#   scripts/fuzz.sh <TestClass> [duration, default 10m] [extra maven args]   e.g. scripts/fuzz.sh SafetensorsFuzzTest 10m
# Builds into <module>/target-fuzzrun ($E8Q_FUZZ_OUT overrides; other builds in the checkout are not
# disturbed), runs the target until the duration is up or it finds a crash, then prints libFuzzer's
# summary. Crashing inputs land in the target's seed directory
# (src/test/resources/.../<TestClass>Inputs/fuzz/crash-*), where `mvn test` replays them from then on;
# the growing corpus is kept in <module>/.cifuzz-corpus (git-ignored). Exit status: Maven's (0 = no finding).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cls="${1:?usage: scripts/fuzz.sh <TestClass> [duration]}"
dur="${2:-10m}"
cd "$here"
src=$(ls */src/test/java/dev/e8q/*/fuzz/"$cls".java 2>/dev/null | head -1)
[ -n "$src" ] || { echo "no fuzz target $cls under */src/test/java/dev/e8q/*/fuzz/" >&2; exit 2; }
module="${src%%/*}"
out="${E8Q_FUZZ_OUT:-target-fuzzrun}"
mkdir -p "$module/$out"
log="$module/$out/fuzz-$cls.log"
JAZZER_FUZZ=1 ./build -q -De8q.out="$out" -pl "$module" -am test -Dtest="$cls" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.max_duration="$dur" -De8q.jazzer.hooks=true "${@:3}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo "== $cls ($module), rc=$rc, log $log: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
grep -E 'Test unit written|FuzzTestFinding' "$log" | head -3
exit "$rc"
