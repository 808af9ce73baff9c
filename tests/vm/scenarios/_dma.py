"""Helpers for the DMA scenarios (dma_sysfs, dma_vfio): delivering the
dma_probe test program into the guest and reading its "key value" output.

The probe (tests/unit/dma_probe.c) is built next to virtioctl in the build
tree; the guest fetches it at checkpoint "probe" as base64 of its gzip in
the reply lines, so the harness needs no extra files mechanism."""

import base64
import gzip
import os
import shutil
import subprocess

# Guest side: fetch the probe, then add a non-root user for the pagemap test.
FETCH = r'''
vm_checkpoint probe
base64 -d /tmp/vm/reply.probe | gunzip > /usr/bin/dma_probe && chmod 755 /usr/bin/dma_probe
grep -q '^nobody:' /etc/passwd || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
'''


def probe_path(ctx):
    return os.path.join(os.path.dirname(ctx.virtioctl), "tests", "unit", "dma_probe")


def send_probe(ctx):
    """Hook for checkpoint "probe": the probe binary as reply lines."""
    path = probe_path(ctx)
    if not os.path.isfile(path):
        ctx.fail("no %s: build the tree first (ninja builds tests/unit/dma_probe)" % path)
        return []
    # Stripped it is a quarter of the size: the serial line is slow.
    small = os.path.join(ctx.tmpdir, "dma_probe")
    if shutil.which("strip") and subprocess.run(
            ["strip", "-o", small, path], stderr=subprocess.DEVNULL).returncode == 0:
        path = small
    with open(path, "rb") as f:
        data = gzip.compress(f.read(), 9)
    b64 = base64.b64encode(data).decode()
    return [b64[i:i + 76] for i in range(0, len(b64), 76)]


def parse(ctx, name):
    """{key: value string} from a probe run's stdout ("buf" lines as a list
    under "bufs"), or None when it did not run."""
    r = ctx.results.get(name)
    if r is None:
        ctx.fail("guest command %s did not run" % name)
        return None
    out = {"_rc": r.rc, "_stderr": r.stderr.decode("utf-8", "replace"), "bufs": [],
           "fails": []}
    for line in r.text.splitlines():
        key, _, val = line.partition(" ")
        if key == "buf":
            out["bufs"].append(val)
        elif key == "fail":
            out["fails"].append(val)
        else:
            out[key] = val
    return out


def hexint(p, key):
    try:
        return int(p.get(key, ""), 0)
    except ValueError:
        return None


def expect_pass(ctx, name, p, what):
    if p is None:
        return False
    if p["_rc"] != 0 or p.get("result") != "pass":
        ctx.fail("%s (%s): probe failed rc=%s: %s %s %s" % (
            name, what, p["_rc"], "; ".join(p["fails"]), p.get("dma_error", ""),
            p.get("open_error", "") + p["_stderr"][-300:]))
        return False
    return True


def expect_master_cycle(ctx, name, p):
    """Bus mastering (bit 2) and memory decoding (bit 1) on while DMA was
    open; the command register back to its old value afterwards."""
    before, during, after = (hexint(p, k) for k in ("cmd_before", "cmd_open", "cmd_after"))
    if None in (before, during, after):
        ctx.fail("%s: command register not reported: %r" % (name, p))
        return
    if during & 0x6 != 0x6:
        ctx.fail("%s: command register 0x%04x while DMA open: bus mastering or memory "
                 "decoding off" % (name, during))
    if after != before:
        ctx.fail("%s: command register 0x%04x after dma_close, was 0x%04x" % (
            name, after, before))


def expect_rng(ctx, name, p, length=64):
    if hexint(p, "rng_len") != length:
        ctx.fail("%s: the device wrote %s bytes, want %d" % (name, p.get("rng_len"), length))
    elif set(p.get("rng_bytes", "")) <= {"0"}:
        ctx.fail("%s: the device reported %d bytes but the buffer is all zero: it "
                 "wrote elsewhere" % (name, length))
