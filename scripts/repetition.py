#!/usr/bin/env python3
# Greedy generations with and without each penalty, and the share of repeated 4-word sequences (docs/runtime.md, "Sampling").
# Run from the repository root: python3 scripts/repetition.py MODEL
import subprocess, sys
def run(extra):
    out = subprocess.run(["./e8q","generate","--model",sys.argv[1],"--prompt","Once upon a time","--temperature","0","--steps","300"]+extra,
                         capture_output=True, text=True)
    words = out.stdout.split()
    grams = [tuple(words[i:i+4]) for i in range(len(words)-3)]
    rep = 1 - len(set(grams))/max(1,len(grams))
    return len(words), rep, out.stderr.strip().splitlines()[-1]
for extra in ([], ["--repeat-penalty","1.3"], ["--frequency-penalty","0.5"], ["--presence-penalty","0.5"]):
    n, rep, err = run(extra)
    print(" ".join(extra) or "none", n, "words, repeated 4-grams %.3f" % rep, "|", err)
