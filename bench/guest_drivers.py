"""virtioctl vs the Linux drivers, on the same devices in the same QEMU guest.

One guest (tests/vm's harness: `-accel tcg`, q35, one vCPU) with a
virtio-rng and a virtio-blk (a disk of a few MiB), each a modern PCIe
endpoint behind its own root port.  Per round:

  1. both devices unbound (driver_override "none" before virtio_pci is
     loaded, or after unbinding the kernel's driver in later rounds);
     `virtioctl --json bench DEVICE --duration MS` on each: polled,
     one queue, no interrupts;
  2. the kernel drivers bound to the same devices (driver_override
     cleared, drivers_probe, virtio_rng and virtio_blk); the same
     workloads through them with bench/kread.c (virtioctl-bench-kread):
     entropy as read() of 4 KiB from /dev/hwrng, block as 4 KiB O_DIRECT
     reads over the first MiB at queue depth 1 (pread) and 32 (Linux AIO).

QEMU's own used index (QMP x-query-virtio-queue-status) is read before and
after every kernel workload: for the disk it must have advanced by exactly
the number of reads kread counted (proof that O_DIRECT reached the device);
for the RNG it shows how many device requests the kernel made.  After each
virtioctl run QEMU must show the device reset (status 0).

Results: the median over rounds of each side, and the ratio
virtioctl/kernel (above 1: virtioctl is faster).
"""

import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VM_DIR = os.path.join(os.path.dirname(HERE), "tests", "vm")
sys.path.insert(0, VM_DIR)

from vmharness import HarnessError, assets, features       # noqa: E402
from vmharness.scenario import Device, Disk, Scenario     # noqa: E402

# (workload, the kread invocation, what is compared)
WORKLOADS = [
    ("entropy-4k", "rng", "bytes_per_second"),
    ("read-4k-qd1", "blk", "ops_per_second"),
    ("read-4k-qd32", "blk", "ops_per_second"),
]
UNITS = {"bytes_per_second": "bytes/s", "ops_per_second": "ops/s"}
SPAN = 1 << 20          # virtioctl's bench reads cycle through the first MiB

ROUND = r'''
# ---- round %(r)d: virtioctl on unbound devices ----
vm_run r%(r)d-v-rng virtioctl --json bench $R --duration $D
vm_run r%(r)d-v-blk virtioctl --json bench $B --duration $D
vm_checkpoint r%(r)d-v-done

# ---- round %(r)d: the kernel drivers on the same devices ----
for a in $R $B; do
	echo > /sys/bus/pci/devices/$a/driver_override
	echo $a > /sys/bus/pci/drivers_probe
done
vm_wait_bound 30 rng0 blk0 || vm_log "round %(r)d: devices did not get bound"
_t=0
while { [ ! -c /dev/hwrng ] || [ -z "$(ls /sys/bus/pci/devices/$B/virtio*/block/ 2>/dev/null)" ]; } \
	&& [ $_t -lt 300 ]; do sleep 0.1; _t=$((_t + 1)); done
DISK=$(ls /sys/bus/pci/devices/$B/virtio*/block/ | head -n 1)
Q=/sys/class/misc/hw_random
# khwrngd (the kernel thread feeding the entropy pool) would compete for
# the device: quality 0 stops it.
[ -w $Q/rng_quality ] && echo 0 > $Q/rng_quality
vm_sh r%(r)d-k-info "echo rng_current \$(cat $Q/rng_current); echo rng_quality \$(cat $Q/rng_quality 2>/dev/null); echo disk $DISK; echo sectors \$(cat /sys/block/$DISK/size); echo scheduler \$(cat /sys/block/$DISK/queue/scheduler); echo nr_hw_queues \$(ls -d /sys/block/$DISK/mq/* | wc -l); echo driver_rng \$(basename \$(readlink /sys/bus/pci/devices/$R/driver)); echo driver_blk \$(basename \$(readlink /sys/bus/pci/devices/$B/driver))"
vm_checkpoint r%(r)d-k-rng-0
vm_run r%(r)d-k-entropy-4k kread -m read -b 4096 -d $D -w entropy-4k /dev/hwrng
vm_checkpoint r%(r)d-k-rng-1
vm_run r%(r)d-k-read-4k-qd1 kread -m pread -b 4096 -s %(span)d -d $D -w read-4k-qd1 /dev/$DISK
vm_checkpoint r%(r)d-k-qd1-1
vm_run r%(r)d-k-read-4k-qd32 kread -m aio -q 32 -b 4096 -s %(span)d -d $D -w read-4k-qd32 /dev/$DISK
vm_checkpoint r%(r)d-k-qd32-1
vm_sh r%(r)d-k-dd "dd if=/dev/$DISK of=/dev/null bs=4096 count=256 iflag=direct 2>&1"
vm_sh r%(r)d-k-irqs "grep -i virtio /proc/interrupts"

# ---- back to unbound for the next round ----
for a in $R $B; do
	echo $a > /sys/bus/pci/devices/$a/driver/unbind
	echo none > /sys/bus/pci/devices/$a/driver_override
done
'''

SCRIPT = r'''
D=%(duration)d
VM_CMD_TIMEOUT=%(cmd_timeout)d
R=$(vm_addr rng0)
B=$(vm_addr blk0)
for a in $R $B; do
	echo none > /sys/bus/pci/devices/$a/driver_override
done
vm_modprobe virtio_pci virtio_rng virtio_blk
vm_sh info "uname -r; grep -m1 'model name' /proc/cpuinfo; grep MemTotal /proc/meminfo"
%(rounds)s
'''


class Collected:
    """What the scenario's check hands back to the runner."""

    def __init__(self):
        self.results = {}
        self.snapshots = {}
        self.queue_snapshots = {}
        self.failures = []
        self.notes = []


def _used_idx(ctx, ck, dev):
    q = ctx.queue_snapshots.get(ck, {}).get(dev) or []
    return q[0].get("used-idx") if q else None


def make_scenario(rounds, duration_ms, disk_mib, kread, out):
    cmd_timeout = 3 * duration_ms // 1000 + 60
    body = "".join(ROUND % {"r": r, "span": SPAN} for r in range(1, rounds + 1))
    script = SCRIPT % {"duration": duration_ms, "cmd_timeout": cmd_timeout,
                       "rounds": body}

    def check(ctx):
        """Gathers the numbers; fails on anything that makes them wrong."""
        rng, blk = ctx.scenario.device("rng0"), ctx.scenario.device("blk0")
        for r in range(1, rounds + 1):
            st = ctx.snapshots.get("r%d-v-done" % r, {})
            for dev in (rng, blk):
                if dev.id in st and features.status_of(st[dev.id]["status"]) != 0:
                    ctx.fail("round %d: device not reset after virtioctl bench" % r,
                             device=dev, field="status",
                             qemu=features.status_of(st[dev.id]["status"]))
            for name in ("v-rng", "v-blk"):
                res = ctx.result("r%d-%s" % (r, name))
                if res is not None and res.rc != 0:
                    ctx.fail("round %d: virtioctl bench (%s) exited %s: %s" % (
                        r, name, res.rc, res.stderr.decode("utf-8", "replace")[-500:]))
            info = ctx.result("r%d-k-info" % r)
            if info is not None and "rng_current virtio_rng" not in info.text:
                ctx.fail("round %d: /dev/hwrng is not virtio_rng: %r" % (r, info.text))
            for w, _, _ in WORKLOADS:
                res = ctx.result("r%d-k-%s" % (r, w))
                if res is not None and res.rc != 0:
                    ctx.fail("round %d: kread %s exited %s: %s" % (
                        r, w, res.rc, res.stderr.decode("utf-8", "replace")[-500:]))
            # The disk: every read kread counted reached the device.
            for w, before, after in (("read-4k-qd1", "k-rng-1", "k-qd1-1"),
                                     ("read-4k-qd32", "k-qd1-1", "k-qd32-1")):
                res = ctx.results.get("r%d-k-%s" % (r, w))
                a = _used_idx(ctx, "r%d-%s" % (r, before), "blk0")
                b = _used_idx(ctx, "r%d-%s" % (r, after), "blk0")
                if res is None or res.rc != 0 or a is None or b is None:
                    continue
                ops = json.loads(res.text)["ops"]
                if (b - a) % 65536 != ops % 65536:
                    ctx.fail("round %d %s: kread counted %d reads, QEMU's used index "
                             "moved by %d (mod 65536)" % (r, w, ops, (b - a) % 65536),
                             device=blk, field="used-idx")
            a = _used_idx(ctx, "r%d-k-rng-0" % r, "rng0")
            b = _used_idx(ctx, "r%d-k-rng-1" % r, "rng0")
            if a is not None and b is not None:
                out.notes.append("round %d: kernel entropy: %d virtio-rng requests "
                                 "(QMP used-idx delta, mod 65536)" % (r, (b - a) % 65536))
                out.results["r%d-k-rng-requests" % r] = (b - a) % 65536
        out.results.update({k: v for k, v in ctx.results.items()})
        out.snapshots = ctx.snapshots
        out.queue_snapshots = ctx.queue_snapshots
        out.failures = ctx.failures

    return Scenario(
        name="bench",
        description="virtioctl bench vs the kernel drivers (bench/)",
        modules=["virtio_pci", "virtio_rng", "virtio_blk"],
        devices=[
            Device("rng0", "virtio-rng-pci", 0x02, port=True),
            Device("blk0", "virtio-blk-pci,drive=d0", 0x03, port=True,
                   backend=["-drive", "file={disk_d0},format=raw,if=none,id=d0"]),
        ],
        disks=[Disk("d0", size=disk_mib << 20)],
        script=script,
        checks=[check],
        files={"usr/bin/kread": kread},
        timeout=rounds * (8 * duration_ms // 1000 + 60) + 120,
    )


def _result_json(res):
    try:
        return json.loads(res.text)
    except (ValueError, AttributeError):
        return None


def summarize(out, rounds):
    rows = []
    for w, kind, metric in WORKLOADS:
        v_vals, k_vals = [], []
        for r in range(1, rounds + 1):
            doc = _result_json(out.results.get("r%d-v-%s" % (r, kind)))
            if doc:
                for row in doc.get("results", []):
                    if row.get("workload") == w:
                        v_vals.append(row)
            doc = _result_json(out.results.get("r%d-k-%s" % (r, w)))
            if doc:
                k_vals.append(doc)
        v = statistics.median(x[metric] for x in v_vals) if v_vals else None
        k = statistics.median(x[metric] for x in k_vals) if k_vals else None
        rows.append({
            "workload": w, "metric": metric, "unit": UNITS[metric],
            "virtioctl": v, "kernel": k,
            "ratio": (v / k) if v and k else None,
            "virtioctl_rounds": v_vals, "kernel_rounds": k_vals,
        })
    return rows


def _fmt(x):
    if x is None:
        return "-"
    return "{:,}".format(int(round(x)))


def print_table(rows, f=sys.stdout):
    print("%-13s %-8s %14s %14s %9s" % ("workload", "unit", "virtioctl", "kernel",
                                         "ratio"), file=f)
    for row in rows:
        print("%-13s %-8s %14s %14s %9s" % (
            row["workload"], row["unit"], _fmt(row["virtioctl"]), _fmt(row["kernel"]),
            "%.2f" % row["ratio"] if row["ratio"] else "-"), file=f)
    print("ratio = virtioctl / kernel (median over rounds; above 1: virtioctl is faster)",
          file=f)


def add_arguments(ap):
    ap.add_argument("--duration", type=int, default=3000, metavar="MS",
                    help="each workload's duration, both sides (default 3000)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="virtioctl-then-kernel rounds in the one guest (default 2)")
    ap.add_argument("--disk-mib", type=int, default=4,
                    help="virtio-blk disk size in MiB (default 4; reads use the first MiB)")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--keep", action="store_true", help="keep the guest's temp dir")
    ap.add_argument("--log-dir", help="keep the guest's console log here")


class _HarnessArgs:
    """The options tests/vm/run.py's run_scenario() reads."""

    def __init__(self, a, virtioctl):
        self.virtioctl = virtioctl
        self.qemu = a.qemu
        self.append = ""
        self.log_dir = a.log_dir
        self.timeout = 0
        self.interactive = False
        self.no_script = False
        self.verbose = a.verbose
        self.keep = a.keep
        self.dump_qmp = None


def run(a, virtioctl, kread, cache):
    """Boots the guest, returns a dict for the JSON report (rows, details)."""
    import run as vmrun     # tests/vm/run.py: the harness's entry points
    import shutil
    import signal
    import time

    if a.rounds < 1 or a.duration < 100 or a.disk_mib < 1:
        raise SystemExit("bench: --rounds >= 1, --duration >= 100, --disk-mib >= 1")
    if shutil.which(a.qemu) is None:
        raise SystemExit("bench: %s not found (package qemu-system-x86)" % a.qemu)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, vmrun._on_signal)
    vmrun.remove_stale_tmpdirs()
    out = Collected()
    sc = make_scenario(a.rounds, a.duration, a.disk_mib, kread, out)
    try:
        ast = assets.prepare(cache, sc.modules)
    except HarnessError as e:
        raise SystemExit("bench: guest assets: %s" % e)
    print("[bench] guest kernel %s, QEMU %s; %d round(s) of %d ms per workload"
          % (ast.kver, qemu_version(a.qemu), a.rounds, a.duration), flush=True)
    t0 = time.monotonic()
    ok = vmrun.run_scenario(sc, _HarnessArgs(a, virtioctl), ast)
    rows = summarize(out, a.rounds)
    info = {}
    for r in range(1, a.rounds + 1):
        res = out.results.get("r%d-k-info" % r)
        if res is not None:
            info["round%d" % r] = dict(line.split(" ", 1) for line in res.text.splitlines()
                                       if " " in line)
    extra = {}
    for r in range(1, a.rounds + 1):
        for k in ("k-dd", "k-irqs"):
            res = out.results.get("r%d-%s" % (r, k))
            if res is not None:
                extra["r%d-%s" % (r, k)] = res.text.strip()
        if "r%d-k-rng-requests" % r in out.results:
            extra["r%d-kernel-rng-requests" % r] = out.results["r%d-k-rng-requests" % r]
    g = out.results.get("info")
    return {
        "ok": ok and not out.failures,
        "failures": out.failures,
        "guest_kernel": ast.kver,
        "guest_kernel_package": ast.pkgver,
        "guest_info": g.text.strip().splitlines() if g is not None else None,
        "qemu": qemu_version(a.qemu),
        "accel": "tcg",
        "duration_ms": a.duration,
        "rounds": a.rounds,
        "disk_mib": a.disk_mib,
        "kernel_side": info,
        "details": extra,
        "wall_seconds": round(time.monotonic() - t0, 1),
        "rows": rows,
    }


def qemu_version(qemu):
    import subprocess
    try:
        r = subprocess.run([qemu, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=30)
        return r.stdout.splitlines()[0].replace("QEMU emulator version ", "")
    except (OSError, IndexError, subprocess.SubprocessError):
        return None
