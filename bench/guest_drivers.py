"""virtioctl vs the Linux drivers, on the same devices in the same QEMU guest.

One guest (tests/vm's harness: `-accel tcg`, q35, one vCPU) with a
virtio-rng and a virtio-blk (a disk of a few MiB), each a modern PCIe
endpoint behind its own root port.  Each round has two halves, in the
order V K in odd rounds and K V in even ones (drift on the host then
hits both sides alike, and the devices change hands only between halves):

  V. both devices unbound (driver_override "none" before virtio_pci is
     loaded, or after unbinding the kernel's driver); `virtioctl --json
     bench DEVICE --duration MS` on each: polled, one queue, no interrupts;
  K. the kernel drivers bound to the same devices (driver_override
     cleared, drivers_probe; virtio_rng and virtio_blk loaded); the same
     workloads through them with bench/kread.c (virtioctl-bench-kread):
     entropy as read() of 4 KiB from /dev/hwrng, block as 4 KiB O_DIRECT
     reads cycling through the first MiB at queue depth 1 (pread) and 32
     (Linux AIO); then busybox `dd iflag=direct` as a cross-check of QD1.

At every checkpoint the host also reads QEMU's CPU time (/proc/PID/stat):
how many host CPUs QEMU kept busy during each side's workloads.

What makes the numbers trustworthy, checked by QEMU's side (QMP):
  - every block read either side counted is in QEMU's own counters
    (query-blockstats rd_operations and rd_bytes, read at checkpoints
    around each run: they must have moved by exactly the reads counted);
  - after each virtioctl run QEMU shows the device reset (status 0);
  - /dev/hwrng is virtio_rng (rng_current), with khwrngd stopped
    (rng_quality 0) so that nothing else reads the device;
  - the kernel's device requests for entropy are counted from the RNG's
    interrupt count (/proc/interrupts) and checked against QEMU's used
    index (x-query-virtio-queue-status, modulo 65536).

Results: the median over rounds of each side, and the ratio
virtioctl/kernel (above 1: virtioctl is faster).
"""

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VM_DIR = os.path.join(os.path.dirname(HERE), "tests", "vm")
sys.path.insert(0, VM_DIR)

from vmharness import HarnessError, assets, features       # noqa: E402
from vmharness.scenario import Device, Disk, Scenario     # noqa: E402

# (workload, virtioctl run it comes from, what is compared)
WORKLOADS = [
    ("entropy-4k", "rng", "bytes_per_second"),
    ("entropy-4k", "rng", "requests_per_second"),
    ("read-4k-qd1", "blk", "ops_per_second"),
    ("read-4k-qd32", "blk", "ops_per_second"),
]
UNITS = {"bytes_per_second": "bytes/s", "ops_per_second": "reads/s",
         "requests_per_second": "requests/s"}
SPAN = 1 << 20          # virtioctl's bench reads cycle through the first MiB

# Guest helper: dd iflag=direct over the first MiB (256 reads per dd, four
# dd per time check) until MS have passed; prints "reads t0 t1" (uptime s).
DDLOOP = r'''dev=$1; ms=$2; n=0
t0=$(cut -d' ' -f1 /proc/uptime)
while :; do
	for i in 1 2 3 4; do
		dd if=$dev of=/dev/null bs=4096 count=256 iflag=direct 2>/dev/null || exit 1
	done
	n=$((n + 1024))
	t=$(cut -d' ' -f1 /proc/uptime)
	awk -v a="$t" -v b="$t0" -v d="$ms" 'BEGIN { exit !((a - b) * 1000 >= d) }' && break
done
echo "$n $t0 $t"
'''

# Rounds alternate the order, V K, K V, V K, ...: the devices change hands
# only between rounds' halves, and drift on the host hits both sides alike.
VIRTIOCTL_PART = r'''
# ---- round %(r)d: virtioctl on the unbound devices ----
vm_run r%(r)d-vstat-0 head -n 1 /proc/stat
vm_checkpoint r%(r)d-v-start
vm_run r%(r)d-v-rng virtioctl --json bench $R --duration $D
vm_checkpoint r%(r)d-v-0
vm_run r%(r)d-vstat-1 head -n 1 /proc/stat
vm_run r%(r)d-v-blk virtioctl --json bench $B --duration $D
vm_checkpoint r%(r)d-v-done
vm_run r%(r)d-vstat-2 head -n 1 /proc/stat
'''

BIND = r'''
# ---- the kernel drivers take the devices ----
for a in $R $B; do
	echo > /sys/bus/pci/devices/$a/driver_override
	echo $a > /sys/bus/pci/drivers_probe
done
vm_wait_bound 30 rng0 blk0 || vm_log "devices did not get bound"
_t=0
while { [ ! -c /dev/hwrng ] || [ -z "$(ls /sys/bus/pci/devices/$B/virtio*/block/ 2>/dev/null)" ]; } \
	&& [ $_t -lt 300 ]; do sleep 0.1; _t=$((_t + 1)); done
DISK=$(ls /sys/bus/pci/devices/$B/virtio*/block/ | head -n 1)
Q=/sys/class/misc/hw_random
# khwrngd (the kernel thread feeding the entropy pool) would compete for
# the device: quality 0 stops it.
[ -w $Q/rng_quality ] && echo 0 > $Q/rng_quality
'''

KERNEL_PART = r'''
# ---- round %(r)d: the kernel drivers on the same devices ----
vm_sh r%(r)d-k-info "echo rng_current \$(cat $Q/rng_current); echo rng_quality \$(cat $Q/rng_quality 2>/dev/null); echo disk $DISK; echo sectors \$(cat /sys/block/$DISK/size); echo scheduler \$(cat /sys/block/$DISK/queue/scheduler); echo nr_hw_queues \$(ls -d /sys/block/$DISK/mq/* | wc -l); echo driver_rng \$(basename \$(readlink /sys/bus/pci/devices/$R/driver)); echo driver_blk \$(basename \$(readlink /sys/bus/pci/devices/$B/driver)); echo virtio_rng \$(basename /sys/bus/pci/devices/$R/virtio*); echo virtio_blk \$(basename /sys/bus/pci/devices/$B/virtio*)"
vm_run r%(r)d-irq-0 cat /proc/interrupts /proc/stat
vm_checkpoint r%(r)d-k-rng-0
vm_run r%(r)d-k-entropy-4k kread -m read -b 4096 -d $D -w entropy-4k /dev/hwrng
vm_checkpoint r%(r)d-k-rng-1
vm_run r%(r)d-irq-1 cat /proc/interrupts /proc/stat
vm_run r%(r)d-k-read-4k-qd1 kread -m pread -b 4096 -s %(span)d -d $D -w read-4k-qd1 /dev/$DISK
vm_checkpoint r%(r)d-k-qd1-1
vm_run r%(r)d-irq-2 cat /proc/interrupts /proc/stat
vm_run r%(r)d-k-read-4k-qd32 kread -m aio -q 32 -b 4096 -s %(span)d -d $D -w read-4k-qd32 /dev/$DISK
vm_checkpoint r%(r)d-k-qd32-1
vm_run r%(r)d-irq-3 cat /proc/interrupts /proc/stat
vm_run r%(r)d-k-dd sh /tmp/ddloop.sh /dev/$DISK $D
vm_checkpoint r%(r)d-k-dd-1
'''

UNBIND = r'''
# ---- the devices back to nobody ----
for a in $R $B; do
	echo $a > /sys/bus/pci/devices/$a/driver/unbind
	echo none > /sys/bus/pci/devices/$a/driver_override
done
'''


def rounds_script(rounds):
    parts, bound = [], False
    for r in range(1, rounds + 1):
        for side in ("vk" if r % 2 else "kv"):
            if side == "v":
                if bound:
                    parts.append(UNBIND)
                    bound = False
                parts.append(VIRTIOCTL_PART % {"r": r})
            else:
                if not bound:
                    parts.append(BIND)
                    bound = True
                parts.append(KERNEL_PART % {"r": r, "span": SPAN})
    return "".join(parts)

SCRIPT = r'''
D=%(duration)d
VM_CMD_TIMEOUT=%(cmd_timeout)d
cat > /tmp/ddloop.sh <<'DDLOOP_END'
%(ddloop)sDDLOOP_END
R=$(vm_addr rng0)
B=$(vm_addr blk0)
for a in $R $B; do
	echo none > /sys/bus/pci/devices/$a/driver_override
done
vm_modprobe virtio_pci virtio_rng virtio_blk
vm_sh info "uname -r; grep -m1 'model name' /proc/cpuinfo; grep MemTotal /proc/meminfo"
%(rounds)s
'''


def checkpoint_names(r):
    return ["r%d-%s" % (r, n) for n in ("v-start", "v-0", "v-done", "k-rng-0", "k-rng-1", "k-qd1-1",
                                        "k-qd32-1", "k-dd-1")]


class Collected:
    """What the scenario's check hands back to the runner."""

    def __init__(self):
        self.results = {}
        self.blockstats = {}    # checkpoint -> (rd_operations, rd_bytes) of drive d0
        self.qemu_cpu = {}      # checkpoint -> (monotonic s, QEMU's CPU s so far)
        self.derived = {}       # name -> value computed by the check
        self.failures = []
        self.notes = []


def _used_idx(ctx, ck, dev):
    q = ctx.queue_snapshots.get(ck, {}).get(dev) or []
    return q[0].get("used-idx") if q else None


def parse_interrupts(text):
    """{action name (e.g. virtio0-input): total count} from /proc/interrupts."""
    out = {}
    lines = text.splitlines()
    if not lines:
        return out
    ncpu = len(lines[0].split())
    for line in lines[1:]:
        parts = line.split()
        if not parts or not parts[0].endswith(":") or not parts[0][:-1].isdigit():
            continue
        counts = parts[1:1 + ncpu]
        if not all(c.isdigit() for c in counts):
            continue
        out[parts[-1]] = sum(int(c) for c in counts)
    return out


def guest_cpu(text):
    """(busy, total) jiffies from the "cpu" line of /proc/stat, or None."""
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "cpu":
            v = [int(x) for x in f[1:]]
            idle = v[3] + (v[4] if len(v) > 4 else 0)
            return sum(v) - idle, sum(v)
    return None


def busy_fraction(a, b):
    if not a or not b or b[1] == a[1]:
        return None
    return (b[0] - a[0]) / (b[1] - a[1])


def _json(res):
    try:
        return json.loads(res.text)
    except (ValueError, AttributeError):
        return None


def make_scenario(rounds, duration_ms, disk_mib, kread, out):
    cmd_timeout = 3 * duration_ms // 1000 + 60
    body = rounds_script(rounds)
    script = SCRIPT % {"duration": duration_ms, "cmd_timeout": cmd_timeout,
                       "rounds": body, "ddloop": DDLOOP}

    def record(ctx):
        """At every checkpoint: QEMU's read counters of the disk, and the
        host CPU time QEMU has used (all its threads: vCPU, main loop, I/O
        workers)."""
        ck = ctx.checkpoints[-1]
        for s in ctx.qmp.command("query-blockstats"):
            if s.get("device") == "d0":
                st = s["stats"]
                out.blockstats[ck] = (st["rd_operations"], st["rd_bytes"])
        try:
            with open("/proc/%d/stat" % ctx.machine.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            out.qemu_cpu[ck] = (time.monotonic(), cpu)
        except (OSError, ValueError, IndexError, AttributeError):
            pass
        return []

    def cpus(a, b):
        """Host CPUs QEMU kept busy between two checkpoints (1.0: one core)."""
        if a in out.qemu_cpu and b in out.qemu_cpu:
            (t0, c0), (t1, c1) = out.qemu_cpu[a], out.qemu_cpu[b]
            return (c1 - c0) / (t1 - t0) if t1 > t0 else None
        return None

    def blk_delta(ctx, a, b):
        if a not in out.blockstats or b not in out.blockstats:
            ctx.fail("no query-blockstats at %s or %s" % (a, b))
            return None
        return tuple(y - x for x, y in zip(out.blockstats[a], out.blockstats[b]))

    def check(ctx):
        """Gathers the numbers; fails on anything that makes them wrong."""
        rng, blk = ctx.scenario.device("rng0"), ctx.scenario.device("blk0")
        for r in range(1, rounds + 1):
            p = "r%d-" % r
            st = ctx.snapshots.get(p + "v-done", {})
            for dev in (rng, blk):
                if dev.id in st and features.status_of(st[dev.id]["status"]) != 0:
                    ctx.fail("round %d: device not reset after virtioctl bench" % r,
                             device=dev, field="status",
                             qemu=features.status_of(st[dev.id]["status"]))
            docs = {}
            for name in ("v-rng", "v-blk", "k-entropy-4k", "k-read-4k-qd1",
                         "k-read-4k-qd32", "k-dd"):
                res = ctx.result(p + name)
                if res is None:
                    continue
                if res.rc != 0:
                    ctx.fail("round %d: %s exited %s: %s" % (
                        r, name, res.rc, res.stderr.decode("utf-8", "replace")[-500:]))
                elif name != "k-dd":
                    docs[name] = _json(res)
                    if docs[name] is None:
                        ctx.fail("round %d: %s: not JSON: %r" % (r, name, res.text[:300]))
            info = ctx.result(p + "k-info")
            kinfo = dict(line.split(" ", 1) for line in (info.text if info else "").splitlines()
                         if " " in line)
            if kinfo.get("rng_current") != "virtio_rng.0":
                ctx.fail("round %d: /dev/hwrng is not virtio_rng: %r" % (r, kinfo))
            # virtioctl's block reads, both workloads, all in QEMU's counters
            vb = docs.get("v-blk")
            d = blk_delta(ctx, p + "v-0", p + "v-done")
            if vb and d:
                ops = sum(x["ops"] for x in vb.get("results", []))
                nbytes = sum(x["bytes"] for x in vb.get("results", []))
                if d != (ops, nbytes):
                    ctx.fail("round %d: virtioctl bench counted %d reads, %d bytes; QEMU's "
                             "blockstats moved by %d reads, %d bytes" % (r, ops, nbytes, *d),
                             device=blk)
            # the kernel's, per workload
            for w, a, b in (("read-4k-qd1", "k-rng-1", "k-qd1-1"),
                            ("read-4k-qd32", "k-qd1-1", "k-qd32-1")):
                k = docs.get("k-" + w)
                d = blk_delta(ctx, p + a, p + b)
                if k and d and d != (k["ops"], k["bytes"]):
                    ctx.fail("round %d %s: kread counted %d reads, %d bytes; QEMU's "
                             "blockstats moved by %d reads, %d bytes"
                             % (r, w, k["ops"], k["bytes"], *d), device=blk)
            dd = ctx.results.get(p + "k-dd")
            d = blk_delta(ctx, p + "k-qd32-1", p + "k-dd-1")
            if dd and dd.rc == 0 and d:
                n, t0, t1 = dd.text.split()
                if int(n) != d[0]:
                    ctx.fail("round %d: dd read %s blocks, QEMU counted %d" % (r, n, d[0]),
                             device=blk)
                out.derived[p + "dd-qd1"] = {"ops": int(n),
                                             "seconds": float(t1) - float(t0),
                                             "ops_per_second": int(n) / (float(t1) - float(t0))}
            # the kernel's entropy requests: interrupts, checked with QEMU's used index
            irq = [parse_interrupts(ctx.result(p + "irq-%d" % i).text)
                   if ctx.results.get(p + "irq-%d" % i) else {} for i in range(4)]
            vname = kinfo.get("virtio_rng", "?")
            ke = docs.get("k-entropy-4k")
            a, b = _used_idx(ctx, p + "k-rng-0", "rng0"), _used_idx(ctx, p + "k-rng-1", "rng0")
            rng_irq = [sum(v for k, v in m.items() if k.startswith(vname + "-")) for m in irq]
            if ke and a is not None and b is not None and irq[0] and irq[1]:
                reqs = rng_irq[1] - rng_irq[0]
                if reqs % 65536 != (b - a) % 65536:
                    ctx.fail("round %d: %d RNG interrupts, but QEMU's used index moved by "
                             "%d (mod 65536)" % (r, reqs, (b - a) % 65536), device=rng)
                sec = ke["microseconds"] / 1e6
                out.derived[p + "k-entropy-requests"] = {
                    "requests": reqs, "seconds": sec, "requests_per_second": reqs / sec,
                    "bytes_per_request": ke["bytes"] / reqs if reqs else None}
            bname = kinfo.get("virtio_blk", "?")
            blk_irq = [sum(v for k, v in m.items() if k.startswith(bname + "-")) for m in irq]
            for w, i in (("read-4k-qd1", 1), ("read-4k-qd32", 2)):
                k = docs.get("k-" + w)
                if k and irq[i] and irq[i + 1]:
                    n = blk_irq[i + 1] - blk_irq[i]
                    out.derived["%sk-%s-interrupts" % (p, w)] = {
                        "interrupts": n, "per_read": n / k["ops"] if k["ops"] else None}
            out.derived[p + "kernel-info"] = kinfo
            vs = [guest_cpu(ctx.results[p + "vstat-%d" % i].text)
                  if p + "vstat-%d" % i in ctx.results else None for i in range(3)]
            ks = [guest_cpu(ctx.results[p + "irq-%d" % i].text)
                  if p + "irq-%d" % i in ctx.results else None for i in range(4)]
            out.derived[p + "guest-cpu-busy"] = {
                "virtioctl-entropy": busy_fraction(vs[0], vs[1]),
                "virtioctl-block": busy_fraction(vs[1], vs[2]),
                "kernel-entropy": busy_fraction(ks[0], ks[1]),
                "kernel-block": busy_fraction(ks[1], ks[3])}
            out.derived[p + "qemu-host-cpus"] = {
                "virtioctl-entropy": cpus(p + "v-start", p + "v-0"),
                "virtioctl-block": cpus(p + "v-0", p + "v-done"),
                "kernel-entropy": cpus(p + "k-rng-0", p + "k-rng-1"),
                "kernel-block": cpus(p + "k-rng-1", p + "k-qd32-1")}
        out.results.update(ctx.results)
        out.failures = ctx.failures

    hooks = {ck: record for r in range(1, rounds + 1) for ck in checkpoint_names(r)}
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
        hooks=hooks,
        files={"usr/bin/kread": kread},
        timeout=rounds * (8 * duration_ms // 1000 + 60) + 120,
    )


def summarize(out, rounds):
    rows = []
    for w, kind, metric in WORKLOADS:
        v_vals, k_vals = [], []
        for r in range(1, rounds + 1):
            doc = _json(out.results.get("r%d-v-%s" % (r, kind)))
            for row in (doc or {}).get("results", []):
                if row.get("workload") == w:
                    # one device request per op on virtioctl's side
                    v_vals.append(dict(row, requests_per_second=row["ops_per_second"]))
            if metric == "requests_per_second":
                k = out.derived.get("r%d-k-entropy-requests" % r)
            else:
                k = _json(out.results.get("r%d-k-%s" % (r, w)))
            if k:
                k_vals.append(k)
        v = statistics.median(x[metric] for x in v_vals) if v_vals else None
        k = statistics.median(x[metric] for x in k_vals) if k_vals else None
        rows.append({
            "workload": w, "metric": metric, "unit": UNITS[metric],
            "virtioctl": v, "kernel": k,
            "ratio": (v / k) if v and k else None,
            "virtioctl_rounds": [x[metric] for x in v_vals],
            "kernel_rounds": [x[metric] for x in k_vals],
        })
    return rows


def _fmt(x):
    if x is None:
        return "-"
    return "{:,}".format(int(round(x)))


def print_table(res, f=sys.stdout):
    rows = res["rows"]
    print("%-13s %-11s %14s %14s %8s" % ("workload", "unit", "virtioctl", "kernel",
                                          "ratio"), file=f)
    for row in rows:
        print("%-13s %-11s %14s %14s %8s" % (
            row["workload"], row["unit"], _fmt(row["virtioctl"]), _fmt(row["kernel"]),
            "%.2f" % row["ratio"] if row["ratio"] else "-"), file=f)
    print("ratio = virtioctl / kernel, medians over %d round(s); above 1: virtioctl is "
          "faster" % res["rounds"], file=f)
    d = res["derived"]
    for r in range(1, res["rounds"] + 1):
        p = "r%d-" % r
        bits = []
        e = d.get(p + "k-entropy-requests")
        if e and e["bytes_per_request"]:
            bits.append("kernel RNG: %d bytes/request" % round(e["bytes_per_request"]))
        for w in ("read-4k-qd1", "read-4k-qd32"):
            i = d.get("%sk-%s-interrupts" % (p, w))
            if i and i["per_read"] is not None:
                bits.append("%s: %.2f interrupts/read" % (w, i["per_read"]))
        dd = d.get(p + "dd-qd1")
        if dd:
            bits.append("dd iflag=direct QD1: %s reads/s" % _fmt(dd["ops_per_second"]))
        for key, what in (("guest-cpu-busy", "guest vCPU busy"),
                          ("qemu-host-cpus", "QEMU's host CPUs")):
            c = d.get(p + key)
            if c and all(v is not None for v in c.values()):
                bits.append("%s (entropy, block): virtioctl %.2f, %.2f; kernel %.2f, %.2f"
                            % (what, c["virtioctl-entropy"], c["virtioctl-block"],
                               c["kernel-entropy"], c["kernel-block"]))
        if bits:
            print("round %d: %s" % (r, "; ".join(bits)), file=f)


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
    """Boots the guest, returns a dict for the JSON report."""
    import run as vmrun     # tests/vm/run.py: the harness's entry points
    import shutil
    import signal

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
    qv = qemu_version(a.qemu)
    print("[bench] guest kernel %s, QEMU %s; %d round(s) of %d ms per workload"
          % (ast.kver, qv, a.rounds, a.duration), file=sys.stderr, flush=True)
    t0 = time.monotonic()
    try:
        ok = vmrun.run_scenario(sc, _HarnessArgs(a, virtioctl), ast)
    except (vmrun.Interrupted, KeyboardInterrupt) as e:
        raise SystemExit("bench: interrupted (%s)" % e)
    g = out.results.get("info")
    return {
        "ok": bool(ok) and not out.failures,
        "failures": out.failures,
        "guest_kernel": ast.kver,
        "guest_kernel_package": ast.pkgver,
        "guest_info": g.text.strip().splitlines() if g is not None else None,
        "qemu": qv,
        "accel": "tcg",
        "duration_ms": a.duration,
        "rounds": a.rounds,
        "disk_mib": a.disk_mib,
        "derived": out.derived,
        "raw": {k: _json(v) for k, v in out.results.items()
                if k.split("-", 1)[-1] in ("v-rng", "v-blk", "k-entropy-4k", "k-read-4k-qd1",
                                           "k-read-4k-qd32")},
        "wall_seconds": round(time.monotonic() - t0, 1),
        "rows": summarize(out, a.rounds),
    }


def qemu_version(qemu):
    import subprocess
    try:
        r = subprocess.run([qemu, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=30)
        return r.stdout.splitlines()[0].replace("QEMU emulator version ", "")
    except (OSError, IndexError, subprocess.SubprocessError):
        return None
