#!/usr/bin/python3
"""Keeps the table of checks in docs/checks.md equal to the binary's.

The part of docs/checks.md between
    <!-- BEGIN GENERATED checks -->
    <!-- END GENERATED checks -->
is written from `virtioctl --json check --list` (src/conform/table.c): one
section per area, one row per check. Everything outside the markers is
written by hand (what the levels mean, QEMU's deviations).

    docs/checks.py VIRTIOCTL [CHECKS_MD]           rewrite the generated part
    docs/checks.py --check VIRTIOCTL [CHECKS_MD]   exit 1 with a diff when it differs

`ninja -C build checks-sync` runs the first; the test suite runs the second.
"""

import difflib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN = "<!-- BEGIN GENERATED checks -->"
END = "<!-- END GENERATED checks -->"
AREAS = [("pci", "PCI identity"), ("caps", "Capabilities"), ("msix", "MSI-X"),
         ("regs", "Registers"), ("config", "Device configuration"), ("linux", "Linux"),
         ("active", "Active (`--active`)")]


def cell(text):
    return text.replace("|", "\\|")


def generate(checks):
    lines = ["%d checks: %d MUST, %d SHOULD; %d of them active." % (
        len(checks), sum(c["level"] == "MUST" for c in checks),
        sum(c["level"] == "SHOULD" for c in checks), sum(c["active"] for c in checks))]
    known = {a for a, _ in AREAS}
    for c in checks:
        if c["area"] not in known:
            raise SystemExit("checks.py: area '%s' has no title here" % c["area"])
    for area, title in AREAS:
        rows = [c for c in checks if c["area"] == area]
        if not rows:
            continue
        lines += ["", "### " + title, "", "| id | level | section | description |",
                  "|---|---|---|---|"]
        for c in rows:
            lines.append("| `%s` | %s | %s | %s |" % (c["id"], c["level"], c["section"],
                                                    cell(c["description"])))
    return lines


def splice(text, part):
    head, sep, rest = text.partition(BEGIN)
    if not sep or END not in rest:
        raise SystemExit("checks.md: no %s ... %s markers" % (BEGIN, END))
    return head + BEGIN + "\n" + "\n".join(part) + "\n" + END + rest.split(END, 1)[1]


def main(argv):
    check = bool(argv) and argv[0] == "--check"
    args = argv[1:] if check else argv
    if not args:
        raise SystemExit(__doc__)
    doc = args[1] if len(args) > 1 else os.path.join(HERE, "checks.md")
    p = subprocess.run([args[0], "--json", "check", "--list"], capture_output=True, text=True,
                       check=True)
    old = open(doc, encoding="utf-8").read()
    new = splice(old, generate(json.loads(p.stdout)["checks"]))
    if not check:
        if new != old:
            open(doc, "w", encoding="utf-8").write(new)
        return 0
    if new == old:
        return 0
    sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                               doc, "generated"))
    print("\n%s differs from the table of checks: run 'ninja -C BUILD checks-sync' "
          "(docs/checks.py BUILD/virtioctl) and review the diff." % doc)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
