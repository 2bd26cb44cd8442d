#!/usr/bin/env python3
"""Keeps a fuzz corpus small: at most 200 files and 1 MB, covering as many edges as possible.

libFuzzer's own minimization (-merge / -set_cover_merge) keeps every file that adds a feature,
which for a parser is a thousand files or more. This reads a merge control file (which records
the edges each input covers), keeps every `regression-*` file, then greedily adds the file that
covers the most new edges (weighted lightly by size) until the budget is spent.

    cd fuzz
    mkdir -p /tmp/empty && /path/to/fuzz/target/x86_64-unknown-linux-gnu/release/parse_check \\
        /tmp/empty corpus/parse_check work/parse_check -merge=1 -merge_control_file=/tmp/ctl
    python3 minimize.py /tmp/ctl /tmp/parse_check_min && rm -r corpus/parse_check \\
        && mv /tmp/parse_check_min corpus/parse_check
"""

import os
import shutil
import sys

MAX_FILES, MAX_BYTES, SIZE_WEIGHT = 200, 1_000_000, 20_000


def main(control, out):
    lines = open(control).read().split("\n")
    n = int(lines[0])
    paths = lines[2 : 2 + n]
    cov = {}
    for line in lines[2 + n :]:
        parts = line.split()
        if parts and parts[0] == "COV":
            cov[int(parts[1])] = set(parts[2:])
    sizes = [os.path.getsize(p) for p in paths]
    chosen, covered, total = [], set(), 0
    for i, p in enumerate(paths):
        if os.path.basename(p).startswith("regression-"):
            chosen.append(i)
            covered |= cov.get(i, set())
            total += sizes[i]
    while len(chosen) < MAX_FILES:
        best, score = None, 0.0
        for i in range(n):
            if i in chosen or total + sizes[i] > MAX_BYTES:
                continue
            new = len(cov.get(i, set()) - covered)
            if new and new / (sizes[i] + SIZE_WEIGHT) > score:
                best, score = i, new / (sizes[i] + SIZE_WEIGHT)
        if best is None:
            break
        chosen.append(best)
        covered |= cov[best]
        total += sizes[best]
    every = set().union(*cov.values()) if cov else set()
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for i in chosen:
        shutil.copy(paths[i], out)
    print(f"{len(chosen)} files, {total} bytes, {len(covered)} of {len(every)} edges")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
