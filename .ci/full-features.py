#!/usr/bin/env python3
"""Fails unless each workspace crate's `full` feature turns on every feature
but `linkme` (the alternative registry backend) and `default`: the README's
test command is `cargo test --workspace --features full`, so that the suite
tests the default backend and still covers every other feature."""
import json
import subprocess
import sys

meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--no-deps"]))
bad = []
for pkg in meta["packages"]:
    feats = pkg["features"]
    if not feats:
        continue
    covered, todo = set(), ["full"]
    while todo:
        for item in feats.get(todo.pop(), []):
            if item in feats and item not in covered:
                covered.add(item)
                todo.append(item)
    missing = sorted(f for f in feats if f not in covered | {"full", "default", "linkme"})
    if "full" not in feats or missing:
        bad.append(f"{pkg['name']}: `full` lacks {missing or 'itself'}")
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
