#!/usr/bin/python3
"""Fails when a source file under src/ includes a header of a layer it may
not use. The layers and what each may include are the table below, the
same as docs/architecture.md and the link_with lists of src/*/meson.build;
a folder missing from the table fails too, so a new one must be placed.
Below src/cli no string names a command-line option ("--path"): options
exist only in the CLI, which adds their names to lower layers' messages
(verr_prefix, verr_append)."""
import os
import re
import sys

# folder -> folders its files may include (besides their own)
ALLOWED = {
    "util": set(),
    "format": {"util"},
    "pci": {"util"},
    "pci/backend": {"pci", "util"},
    "linux": {"pci", "util"},
    "dma": {"pci/backend", "pci", "util"},
    "virtio": {"dma", "pci", "format", "util"},
    "sim": {"dma", "pci", "util"},
    "conform": {"virtio", "linux", "dma", "pci", "format", "util"},
    "cli": {"conform", "sim", "virtio", "dma", "linux", "pci/backend", "pci", "format", "util"},
}

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = os.path.join(top, "src")
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
comment = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
literal = re.compile(r'"(?:[^"\\\n]|\\.)*"')
option = re.compile(r'(?<![\w-])--[a-z][a-z-]*')
bad = []
checked = 0
for root, _, names in os.walk(src):
    layer = os.path.relpath(root, src)
    for n in sorted(names):
        if not n.endswith((".c", ".h")):
            continue
        path = os.path.join(root, n)
        rel = os.path.relpath(path, top)
        if layer not in ALLOWED:
            bad.append("%s: folder %s is not in the layer table" % (rel, layer))
            continue
        checked += 1
        text = open(path, encoding="utf-8").read()
        if layer != "cli":
            for lit in literal.findall(comment.sub(" ", text)):
                for o in option.findall(lit):
                    bad.append("%s: names the option %s in %s (only the CLI names options)"
                               % (rel, o, lit))
        for h in inc.findall(text):
            target = os.path.dirname(h)
            if "/" not in h:
                bad.append("%s: includes \"%s\" without its folder" % (rel, h))
            elif target != layer and target not in ALLOWED[layer]:
                bad.append("%s: %s may not include %s" % (rel, layer, h))
print("%d files checked, %d layering violations" % (checked, len(bad)))
for b in bad:
    print(b)
sys.exit(1 if bad or checked == 0 else 0)
