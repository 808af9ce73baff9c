#!/usr/bin/python3
"""Fails when a C file of the project is not formatted as .clang-format says
(run `clang-format -i FILE` to fix)."""
import os
import subprocess
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
files = []
for d in ("src", "tests", "bench"):
    for root, _, names in os.walk(os.path.join(top, d)):
        if "/tests/vm/cache" in root:
            continue
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith((".c", ".h"))]
p = subprocess.run(["clang-format", "--dry-run", "--Werror", *files],
                   capture_output=True, text=True)
bad = sorted({l.split(":")[0] for l in p.stderr.splitlines() if ": error:" in l})
for f in bad:
    print("not formatted: %s" % os.path.relpath(f, top))
print("%d files checked, %d not formatted" % (len(files), len(bad)))
sys.exit(1 if bad or p.returncode else 0)
