"""The shell and scripts (issue 5) on devices that answer.

- The self-test scripts of tests/vm/scripts/ run with `virtioctl -f FILE
  DEVICE` and pass: entropy (text and JSON Lines), block (its poll's data
  is the disk image's first 4 KiB, then the status byte 0).
- The entropy script with one deliberately wrong `expect` fails with exit
  status 7 and names that line; the device is reset on the way out.
- `virtioctl shell DEVICE` reading a FIFO: SIGINT (what Ctrl-C sends)
  while `poll` waits cancels the poll and the shell goes on with the
  device still live; end of input (Ctrl-D) leaves the shell, which resets
  the device it gave a queue to. QMP confirms each state.
"""

import hashlib
import json
import os

from vmharness import features
from vmharness.scenario import Device, Disk, Scenario
from scenarios._common import drive

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(os.path.dirname(HERE), "scripts")
WRONG = ("expect used.len >= 16", "expect used.len >= 100000")

SCRIPT = r'''
export XDG_STATE_HOME=/tmp/state
R=$(vm_addr rng0)
B=$(vm_addr blk0)

vm_run st-entropy virtioctl -f /vctl/selftest-entropy.vctl $R
vm_run st-entropy-json virtioctl --json -f /vctl/selftest-entropy.vctl $R
vm_run st-block virtioctl --json -f /vctl/selftest-block.vctl $B
vm_checkpoint selftests

sed 's/^%(wrong_from)s$/%(wrong_to)s/' /vctl/selftest-entropy.vctl > /tmp/wrong.vctl
vm_run st-wrong virtioctl -f /tmp/wrong.vctl $R
vm_checkpoint wrong

# wait_for FILE TEXT: up to 30 s until FILE holds TEXT.
wait_for() {
	_t=0
	while ! grep -qF -- "$2" "$1" && [ $_t -lt 300 ]; do sleep 0.1; _t=$((_t + 1)); done
}
mkfifo /tmp/in
virtioctl shell $R < /tmp/in > /tmp/shell.out 2> /tmp/shell.err &
SPID=$!
exec 4> /tmp/in
printf '%%s\n' "status reset" "status ack" "status driver" "features negotiate" \
	"status features-ok" "vring setup 0 8" "status driver-ok" \
	"poll 0 --timeout 120000" >&4
wait_for /tmp/shell.out "poll 0 --timeout 120000"
sleep 2
vm_checkpoint polling
kill -INT $SPID
wait_for /tmp/shell.err "interrupted"
echo "status" >&4
wait_for /tmp/shell.out "Status source"
vm_checkpoint after-int
# End of input: the shell's Ctrl-D.
exec 4>&-
wait $SPID
echo "exit $?" >> /tmp/shell.err
vm_run shell-out cat /tmp/shell.out
vm_run shell-err cat /tmp/shell.err
vm_checkpoint after-eof
''' % {"wrong_from": WRONG[0], "wrong_to": WRONG[1]}


def _status(ctx, ck, dev):
    snap = ctx.snapshots.get(ck)
    if snap is None or dev not in snap:
        ctx.fail("no QMP snapshot of %s at %s" % (dev, ck))
        return None
    return features.status_of(snap[dev]["status"])


def _want_status(ctx, ck, dev, want, why):
    got = _status(ctx, ck, dev)
    if got is not None and got != want:
        ctx.fail("%s (at %s)" % (why, ck), device=ctx.scenario.device(dev), field="status",
                 virtioctl="0x%02x expected" % want, qemu="0x%02x" % got)


def _ok(ctx, name):
    r = ctx.result(name)
    if r is None:
        ctx.fail("%s: no result" % name)
    elif r.rc != 0:
        ctx.fail("%s: exit %s, stderr %r" % (name, r.rc, r.stderr[-500:]))
    else:
        return r
    return None


def _polls(ctx, name, r):
    """The documents of `poll` in a JSON Lines output."""
    docs = []
    for line in r.text.splitlines():
        try:
            docs.append(json.loads(line))
        except ValueError:
            ctx.fail("%s: a line that is not JSON: %r" % (name, line[:200]))
    return [d for d in docs if isinstance(d, dict) and "used" in d and "count" in d]


def check_selftests(ctx):
    _ok(ctx, "st-entropy")
    r = _ok(ctx, "st-entropy-json")
    if r:
        polls = _polls(ctx, "st-entropy-json", r)
        if len(polls) != 1 or not 16 <= polls[0]["used"]["len"] <= 64:
            ctx.fail("entropy script: poll documents %r" % polls)
    r = _ok(ctx, "st-block")
    if r:
        polls = _polls(ctx, "st-block", r)
        data = bytes.fromhex(polls[0]["used"]["data"]) if len(polls) == 1 else b""
        got = hashlib.sha256(data[:4096]).hexdigest()
        if len(data) != 4097 or got != ctx.disks["d0"].sha256_4k or data[4096] != 0:
            ctx.fail("block script: read data", device=ctx.scenario.device("blk0"),
                     field="sha256 of the first 4096 bytes, status byte",
                     virtioctl="%s, %d bytes" % (got, len(data)),
                     qemu="%s (the disk image)" % ctx.disks["d0"].sha256_4k)
    for dev in ("rng0", "blk0"):
        _want_status(ctx, "selftests", dev, 0, "device not reset after its script")


def check_wrong_expect(ctx):
    lines = open(os.path.join(SCRIPTS, "selftest-entropy.vctl")).read().splitlines()
    lineno = lines.index(WRONG[0]) + 1
    r = ctx.result("st-wrong")
    want = "/tmp/wrong.vctl:%d: %s: used.len is " % (lineno, WRONG[1])
    if r is None or r.rc != 7 or want not in r.stderr.decode():
        ctx.fail("wrong expect: exit %s (want 7), stderr %r (want %r)" % (
            r and r.rc, r and r.stderr[-300:], want))
    _want_status(ctx, "wrong", "rng0", 0, "device not reset after the failed script")


def check_shell(ctx):
    rng = ctx.scenario.device("rng0")
    _want_status(ctx, "polling", "rng0", 0x0f, "device not live while poll waits")
    # Ctrl-C cancelled the poll only: the shell and its queue are still there.
    _want_status(ctx, "after-int", "rng0", 0x0f, "device changed by Ctrl-C in the shell")
    q = ctx.queue_snapshots.get("after-int", {}).get("rng0", [{}])
    if not q or not q[0].get("vring-desc"):
        ctx.fail("queue 0 gone after Ctrl-C", device=rng)
    _want_status(ctx, "after-eof", "rng0", 0, "device not reset when the shell ended")
    q = ctx.queue_snapshots.get("after-eof", {}).get("rng0", [{}])
    if q and q[0].get("vring-desc", 0) != 0:
        ctx.fail("queue 0 still has a ring after the shell ended", device=rng,
                 qemu=q[0].get("vring-desc"))
    out, err = ctx.result("shell-out"), ctx.result("shell-err")
    out = out.text if out else ""
    err = err.text if err else ""
    if "interrupted" not in err or "exit 0" not in err:
        ctx.fail("shell: stderr %r (want the poll interrupted, then exit 0)" % err[-500:])
    after = out.split("poll 0 --timeout 120000", 1)[-1]
    if "virtioctl 0000:" not in after or "Status source" not in after:
        ctx.fail("shell: no prompt and `status` output after Ctrl-C: %r" % after[-800:])


SCENARIO = Scenario(
    name="shell",
    description="self-test scripts with -f, a wrong expect, Ctrl-C during poll in the shell",
    devices=[
        Device("rng0", "virtio-rng-pci", 0x02, port=True),
        Device("blk0", "virtio-blk-pci,drive=d0", 0x03, port=True, backend=drive("d0", "d0")),
    ],
    disks=[Disk("d0")],
    files={"/vctl/selftest-entropy.vctl": os.path.join(SCRIPTS, "selftest-entropy.vctl"),
           "/vctl/selftest-block.vctl": os.path.join(SCRIPTS, "selftest-block.vctl")},
    script=SCRIPT,
    checks=[check_selftests, check_wrong_expect, check_shell],
    timeout=300,
)
