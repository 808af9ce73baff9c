"""virtioctl vs the Linux drivers, on the same devices in the same QEMU guest.

One guest (tests/vm's harness: `-accel tcg`, q35, one vCPU) with a
virtio-rng, a virtio-blk, a virtio-blk with packed=on, a virtio-scsi with
one scsi-hd and a virtio-net whose frames go to a UDP socket of this
process (-netdev socket,udp=), each a modern PCIe endpoint behind its own
root port and each disk a few MiB.  Each round has two halves, in the order
V K in odd rounds and K V in even ones (drift on the host then hits both
sides alike, and the devices change hands only between halves):

  V. the devices unbound (driver_override "none" before virtio_pci is
     loaded, or after unbinding the kernel's driver); `virtioctl --json
     bench DEVICE --workload W --duration MS` for each workload W of each
     device, one run per workload (--ring packed on the packed disk),
     with bench's default spin budget (pure polling); then again on the
     rng and the split disk with --spin 20 --backoff sleep --sleep-us 1
     (look briefly, then short sleeps);
  K. the kernel drivers bound to the same devices (driver_override
     cleared, drivers_probe); the same workloads through them with
     bench/kread.c (virtioctl-bench-kread): entropy as read() of 4 KiB from
     /dev/hwrng (64-byte device requests), block and SCSI as 4 KiB O_DIRECT
     reads cycling through the first MiB at queue depth 1 (pread) and 32
     (Linux AIO), net as 60-byte frames sent on an AF_PACKET socket; then
     busybox `dd iflag=direct` as a cross-check of QD1.

At every checkpoint the host also reads QEMU's CPU time (/proc/PID/stat):
how many host CPUs QEMU kept busy during each run; and each QEMU thread's
run time and run-queue wait (/proc/PID/task/TID/schedstat), split into the
vCPU thread and the others (the device side), printed per op.  --qemu-cpus holds
QEMU's threads to given host CPUs (the contended case).

What makes the numbers trustworthy, checked by QEMU's side (QMP) and the
host:
  - every block or SCSI read either side counted is in QEMU's own counters
    of that drive (query-blockstats rd_operations and rd_bytes, read at
    checkpoints around each run: they must have moved by exactly the reads
    counted), and runs on other devices moved no drive;
  - every frame either side counted reached the host: the UDP socket's
    datagrams (received + dropped by its queue) moved by exactly the frames
    counted;
  - after each virtioctl run QEMU shows the device reset (status 0);
  - the kernel's virtio_blk negotiated RING_PACKED on the packed disk;
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

# Rows: (row name, virtioctl run and workload, kernel run key, metric).
# The kernel's key names a kread result ("k-NAME") or, for entropy
# requests, the count derived from the RNG's interrupts.
ROWS = [
    ("entropy-64 requests/s", ("rng", "entropy-64"), "k-entropy-requests",
     "requests_per_second"),
    ("entropy-64-qd32 requests/s", ("rng", "entropy-64-qd32"), "k-entropy-requests",
     "requests_per_second"),
    ("entropy bytes/s (qd32)", ("rng", "entropy-64-qd32"), "k-entropy", "bytes_per_second"),
    ("read-4k-qd1", ("blk", "read-4k-qd1"), "k-read-4k-qd1", "ops_per_second"),
    ("read-4k-qd32", ("blk", "read-4k-qd32"), "k-read-4k-qd32", "ops_per_second"),
    ("packed read-4k-qd1", ("blkp", "read-4k-qd1"), "k-p-read-4k-qd1", "ops_per_second"),
    ("packed read-4k-qd32", ("blkp", "read-4k-qd32"), "k-p-read-4k-qd32", "ops_per_second"),
    ("scsi read-4k-qd1", ("scsi", "scsi-read-4k-qd1"), "k-s-read-4k-qd1", "ops_per_second"),
    ("scsi read-4k-qd32", ("scsi", "scsi-read-4k-qd32"), "k-s-read-4k-qd32",
     "ops_per_second"),
    ("net tx frames/s (60 B)", ("net", "net-tx-60-qd128"), "k-net-tx-60", "ops_per_second"),
    # virtioctl with 20 looks then 1 us sleeps, same kernel
    ("sleep: entropy-64 req/s", ("rng-sleep", "entropy-64"), "k-entropy-requests",
     "requests_per_second"),
    ("sleep: entropy-64-qd32 req/s", ("rng-sleep", "entropy-64-qd32"), "k-entropy-requests",
     "requests_per_second"),
    ("sleep: read-4k-qd1", ("blk-sleep", "read-4k-qd1"), "k-read-4k-qd1", "ops_per_second"),
    ("sleep: read-4k-qd32", ("blk-sleep", "read-4k-qd32"), "k-read-4k-qd32",
     "ops_per_second"),
]
SPAN = 1 << 20          # virtioctl's bench reads cycle through the first MiB
FRAME = 60              # bench's and kread's frames: minimum Ethernet, no FCS
DRIVES = {"blk": "d0", "blkp": "d1", "scsi": "d2", "blk-sleep": "d0"}   # by device set

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

# The alternative spin budget the benchmark also measures: 20 looks, then
# 1 us sleeps (bench's default is pure polling).
SLEEP = "--spin 20 --backoff sleep --sleep-us 1"

# virtioctl's runs: each device set (name, device variable, QEMU id,
# extra options) runs each of its workloads in a `bench --workload` of its
# own, so that every checkpoint (and QEMU's thread times read there)
# covers one workload.  A run is named SET.WORKLOAD.
V_SETS = [("rng", "$R", "rng0", "", ("entropy-64", "entropy-64-qd32")),
          ("blk", "$B", "blk0", "", ("read-4k-qd1", "read-4k-qd32")),
          ("blkp", "$P", "blkp0", "--ring packed", ("read-4k-qd1", "read-4k-qd32")),
          ("scsi", "$S", "scsi0", "", ("scsi-read-4k-qd1", "scsi-read-4k-qd32")),
          ("net", "$N", "net0", "", ("net-tx-60-qd128",)),
          ("rng-sleep", "$R", "rng0", SLEEP, ("entropy-64", "entropy-64-qd32")),
          ("blk-sleep", "$B", "blk0", SLEEP, ("read-4k-qd1", "read-4k-qd32"))]
V_RUNS = [("%s.%s" % (vset, w), dev, ("%s --workload %s" % (extra, w)).strip())
          for vset, dev, _, extra, loads in V_SETS for w in loads]
V_DEVICE = {"%s.%s" % (vset, w): qid for vset, _, qid, _, loads in V_SETS for w in loads}


def vset_of(run):
    return run.split(".", 1)[0]


# The kernel's, each followed by a checkpoint "k-NAME" and /proc/interrupts.
K_RUNS = [
    ("entropy", "kread -m read -b 4096 -d $D -w entropy-4k /dev/hwrng"),
    ("read-4k-qd1", "kread -m pread -b 4096 -s %(span)d -d $D -w read-4k-qd1 /dev/$DISK"),
    ("read-4k-qd32",
     "kread -m aio -q 32 -b 4096 -s %(span)d -d $D -w read-4k-qd32 /dev/$DISK"),
    ("p-read-4k-qd1", "kread -m pread -b 4096 -s %(span)d -d $D -w read-4k-qd1 /dev/$PDISK"),
    ("p-read-4k-qd32",
     "kread -m aio -q 32 -b 4096 -s %(span)d -d $D -w read-4k-qd32 /dev/$PDISK"),
    ("s-read-4k-qd1", "kread -m pread -b 4096 -s %(span)d -d $D -w scsi-read-4k-qd1 /dev/$SDISK"),
    ("s-read-4k-qd32",
     "kread -m aio -q 32 -b 4096 -s %(span)d -d $D -w scsi-read-4k-qd32 /dev/$SDISK"),
    ("net-tx-60", "kread -m packet -b %(frame)d -d $D -w net-tx-60 $NIF"),
]


def virtioctl_part(r):
    out = ["\n# ---- round %d: virtioctl on the unbound devices ----" % r,
           "vm_run r%d-vstat-0 head -n 1 /proc/stat" % r,
           "vm_checkpoint r%d-v-start" % r]
    for i, (name, dev, extra) in enumerate(V_RUNS):
        out.append("vm_run r%d-v-%s virtioctl --json bench %s --duration $D %s"
                   % (r, name, dev, extra))
        out.append("vm_checkpoint r%d-v-%s-done" % (r, name))
        out.append("vm_run r%d-vstat-%d head -n 1 /proc/stat" % (r, i + 1))
    return "\n".join(out) + "\n"


DEVS = "$R $B $P $S $N"

BIND = r'''
# ---- the kernel drivers take the devices ----
for a in %(devs)s; do
	echo > /sys/bus/pci/devices/$a/driver_override
	echo $a > /sys/bus/pci/drivers_probe
done
vm_wait_bound 30 rng0 blk0 blkp0 scsi0 net0 || vm_log "devices did not get bound"
_t=0
while { [ ! -c /dev/hwrng ] || [ -z "$(ls /sys/bus/pci/devices/$B/virtio*/block/ 2>/dev/null)" ] \
	|| [ -z "$(ls /sys/bus/pci/devices/$P/virtio*/block/ 2>/dev/null)" ] \
	|| [ -z "$(ls /sys/bus/pci/devices/$S/virtio*/host*/target*/*/block/ 2>/dev/null)" ] \
	|| [ -z "$(ls /sys/bus/pci/devices/$N/virtio*/net/ 2>/dev/null)" ]; } \
	&& [ $_t -lt 300 ]; do sleep 0.1; _t=$((_t + 1)); done
DISK=$(ls /sys/bus/pci/devices/$B/virtio*/block/ | head -n 1)
PDISK=$(ls /sys/bus/pci/devices/$P/virtio*/block/ | head -n 1)
SDISK=$(ls /sys/bus/pci/devices/$S/virtio*/host*/target*/*/block/ | head -n 1)
NIF=$(ls /sys/bus/pci/devices/$N/virtio*/net/ | head -n 1)
# No IPv6 (router solicitations, DAD) and no address: the interface sends
# only kread's frames, so that QEMU's count is kread's.
echo 1 > /proc/sys/net/ipv6/conf/$NIF/disable_ipv6
ip link set $NIF up
Q=/sys/class/misc/hw_random
# khwrngd (the kernel thread feeding the entropy pool) would compete for
# the device: quality 0 stops it.
[ -w $Q/rng_quality ] && echo 0 > $Q/rng_quality
''' % {"devs": DEVS}


def kernel_part(r):
    out = ["\n# ---- round %d: the kernel drivers on the same devices ----" % r,
           r'''vm_sh r%d-k-info "echo rng_current \$(cat $Q/rng_current); echo rng_quality \$(cat $Q/rng_quality 2>/dev/null); echo disk $DISK; echo pdisk $PDISK; echo sdisk $SDISK; echo nif $NIF; echo scheduler \$(cat /sys/block/$DISK/queue/scheduler); echo sscheduler \$(cat /sys/block/$SDISK/queue/scheduler); echo qdisc \$(cat /sys/class/net/$NIF/tx_queue_len); echo virtio_rng \$(basename /sys/bus/pci/devices/$R/virtio*); echo virtio_blk \$(basename /sys/bus/pci/devices/$B/virtio*); echo virtio_blkp \$(basename /sys/bus/pci/devices/$P/virtio*); echo virtio_scsi \$(basename /sys/bus/pci/devices/$S/virtio*); echo virtio_net \$(basename /sys/bus/pci/devices/$N/virtio*)"''' % r,
           "vm_run r%d-irq-0 cat /proc/interrupts /proc/stat" % r,
           "vm_checkpoint r%d-k-start" % r]
    for i, (name, cmd) in enumerate(K_RUNS):
        out.append("vm_run r%d-k-%s %s" % (r, name, cmd % {"span": SPAN, "frame": FRAME}))
        out.append("vm_checkpoint r%d-k-%s-done" % (r, name))
        out.append("vm_run r%d-irq-%d cat /proc/interrupts /proc/stat" % (r, i + 1))
    out.append("vm_run r%d-k-dd sh /tmp/ddloop.sh /dev/$DISK $D" % r)
    out.append("vm_checkpoint r%d-k-dd-done" % r)
    return "\n".join(out) + "\n"


UNBIND = r'''
# ---- the devices back to nobody ----
for a in %(devs)s; do
	echo $a > /sys/bus/pci/devices/$a/driver/unbind
	echo none > /sys/bus/pci/devices/$a/driver_override
done
''' % {"devs": DEVS}


def rounds_script(rounds):
    parts, bound = [], False
    for r in range(1, rounds + 1):
        for side in ("vk" if r % 2 else "kv"):
            if side == "v":
                if bound:
                    parts.append(UNBIND)
                    bound = False
                parts.append(virtioctl_part(r))
            else:
                if not bound:
                    parts.append(BIND)
                    bound = True
                parts.append(kernel_part(r))
    return "".join(parts)

SCRIPT = r'''
D=%(duration)d
VM_CMD_TIMEOUT=%(cmd_timeout)d
cat > /tmp/ddloop.sh <<'DDLOOP_END'
%(ddloop)sDDLOOP_END
R=$(vm_addr rng0)
B=$(vm_addr blk0)
P=$(vm_addr blkp0)
S=$(vm_addr scsi0)
N=$(vm_addr net0)
for a in %(devs)s; do
	echo none > /sys/bus/pci/devices/$a/driver_override
done
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
# A request a driver never gets back leaves its reader blocked where no
# timeout can kill it: the kernel says so after 30 s, with the stack, on
# the console (kept with --log-dir).
echo 30 > /proc/sys/kernel/hung_task_timeout_secs
echo 7 > /proc/sys/kernel/printk
vm_modprobe virtio_pci virtio_rng virtio_blk virtio_scsi sd_mod virtio_net
vm_sh info "uname -r; grep -m1 'model name' /proc/cpuinfo; grep -m1 '^flags' /proc/cpuinfo; grep MemTotal /proc/meminfo"
%(rounds)s
'''


def checkpoint_names(r):
    return (["r%d-v-start" % r] + ["r%d-v-%s-done" % (r, n) for n, _, _ in V_RUNS] +
            ["r%d-k-start" % r] + ["r%d-k-%s-done" % (r, n) for n, _ in K_RUNS] +
            ["r%d-k-dd-done" % r])


class Collected:
    """What the scenario's check hands back to the runner."""

    def __init__(self):
        self.results = {}
        self.blockstats = {}    # checkpoint -> {drive: (rd_operations, rd_bytes)}
        self.frames = {}        # checkpoint -> frames QEMU sent to the host socket
        self.qemu_cpu = {}      # checkpoint -> (monotonic s, QEMU's CPU s so far)
        self.derived = {}       # name -> value computed by the check
        self.failures = []
        self.notes = []
        self.pinned = False
        self.threads = {}       # checkpoint -> (monotonic s, {tid: (comm, run s, wait s)})


class FrameCounter:
    """The host end of the guest NIC's -netdev socket,udp=: a UDP socket on
    127.0.0.1 that counts every datagram (one per frame QEMU sent), those
    the socket's queue dropped included (/proc/net/udp "drops")."""

    def __init__(self, cpus=None):
        import socket
        import threading
        self.cpus = cpus
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self.sizes = {}
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        if self.cpus:       # off the CPUs QEMU is held to
            os.sched_setaffinity(0, self.cpus)
        while True:
            try:
                d = self.sock.recv(2048)
            except OSError:
                return
            with self.lock:
                self.received += 1
                self.sizes[len(d)] = self.sizes.get(len(d), 0) + 1

    def _udp_row(self):
        """(rx_queue bytes, drops) of our socket from /proc/net/udp."""
        want = ":%04X" % self.port
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if p[1].endswith(want) and p[1].startswith("0100007F"):
                    return int(p[4].split(":")[1], 16), int(p[-1])
        return 0, 0

    def count(self):
        """Frames QEMU has sent so far: waits until the queue is drained."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            queued, drops = self._udp_row()
            if queued == 0:
                time.sleep(0.05)
                with self.lock:
                    if self._udp_row()[0] == 0:
                        return self.received + self._udp_row()[1]
            time.sleep(0.05)
        return None

    def close(self):
        self.sock.close()


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


def qemu_cpu_seconds(pid):
    """CPU seconds (user + system) every thread of pid has used, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def read_threads(pid):
    """{tid: (name, seconds run, seconds waited on a run queue)} of every
    thread of pid (/proc/PID/task/TID/schedstat; named with QEMU's
    debug-threads=on: the vCPU is "CPU 0/TCG")."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                run, wait = (int(x) for x in f.read().split()[:2])
        except (OSError, ValueError):
            continue        # the thread ended
        out[tid] = (comm, run / 1e9, wait / 1e9)
    return out


def thread_delta(a, b):
    """QEMU's thread times between two read_threads() samples (t, threads),
    as fractions of the wall time: the vCPU's and the other threads' (the
    device side: main loop, I/O workers) time running and time runnable
    but waiting for a host CPU."""
    (t0, x), (t1, y) = a, b
    if t1 <= t0:
        return None
    d = {"vcpu_run": 0.0, "vcpu_wait": 0.0, "dev_run": 0.0, "dev_wait": 0.0}
    for tid, (comm, run, wait) in y.items():
        run0, wait0 = x[tid][1:] if tid in x else (0.0, 0.0)
        side = "vcpu" if comm.startswith("CPU ") else "dev"
        d[side + "_run"] += run - run0
        d[side + "_wait"] += wait - wait0
    return {k: v / (t1 - t0) for k, v in d.items()}


def pin(pid, cpus):
    """Every thread of pid onto cpus (threads created later inherit it)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass


def make_scenario(rounds, duration_ms, disk_mib, kread, out, frames, qemu_cpus=None):
    cmd_timeout = 3 * duration_ms // 1000 + 60
    body = rounds_script(rounds)
    script = SCRIPT % {"duration": duration_ms, "cmd_timeout": cmd_timeout,
                       "rounds": body, "ddloop": DDLOOP, "devs": DEVS}

    def record(ctx):
        """At every checkpoint: QEMU's read counters of the disks, the
        frames QEMU sent, and the host CPU time QEMU has used (all its
        threads: vCPU, main loop, I/O workers)."""
        ck = ctx.checkpoints[-1]
        if qemu_cpus and not out.pinned:
            pin(ctx.machine.proc.pid, qemu_cpus)
            out.pinned = True
        out.blockstats[ck] = {}
        for s in ctx.qmp.command("query-blockstats"):
            if s.get("device") in ("d0", "d1", "d2"):
                st = s["stats"]
                out.blockstats[ck][s["device"]] = (st["rd_operations"], st["rd_bytes"])
        out.frames[ck] = frames.count()
        cpu = qemu_cpu_seconds(ctx.machine.proc.pid)
        if cpu is not None:
            out.qemu_cpu[ck] = (time.monotonic(), cpu)
            out.threads[ck] = (time.monotonic(), read_threads(ctx.machine.proc.pid))
        return []

    def cpus(a, b):
        """Host CPUs QEMU kept busy between two checkpoints (1.0: one core)."""
        if a in out.qemu_cpu and b in out.qemu_cpu:
            (t0, c0), (t1, c1) = out.qemu_cpu[a], out.qemu_cpu[b]
            return (c1 - c0) / (t1 - t0) if t1 > t0 else None
        return None

    def blk_delta(ctx, drive, a, b):
        if drive not in out.blockstats.get(a, {}) or drive not in out.blockstats.get(b, {}):
            ctx.fail("no query-blockstats of %s at %s or %s" % (drive, a, b))
            return None
        return tuple(y - x for x, y in zip(out.blockstats[a][drive], out.blockstats[b][drive]))

    def frame_delta(ctx, a, b):
        if out.frames.get(a) is None or out.frames.get(b) is None:
            ctx.fail("no frame count at %s or %s" % (a, b))
            return None
        return out.frames[b] - out.frames[a]

    def check_virtioctl(ctx, r, docs):
        p = "r%d-" % r
        prev = p + "v-start"
        for name, _, _ in V_RUNS:
            ck = p + "v-%s-done" % name
            st = ctx.snapshots.get(ck, {})
            # only the device benched (the firmware leaves the disks it
            # probed at DRIVER_OK until someone resets them)
            for dev in [ctx.scenario.device(V_DEVICE[name])]:
                if dev.id in st and features.status_of(st[dev.id]["status"]) != 0:
                    ctx.fail("round %d: %s not reset after virtioctl bench (%s)"
                             % (r, dev.id, name), device=dev, field="status",
                             qemu=features.status_of(st[dev.id]["status"]))
            doc = docs.get("v-" + name)
            rows = (doc or {}).get("results", [])
            ops = sum(x["ops"] for x in rows)
            nbytes = sum(x["bytes"] for x in rows)
            vset = vset_of(name)
            if vset in DRIVES and doc:
                d = blk_delta(ctx, DRIVES[vset], prev, ck)
                if d and d != (ops, nbytes):
                    ctx.fail("round %d: virtioctl bench %s counted %d reads, %d bytes; "
                             "QEMU's blockstats of %s moved by %d reads, %d bytes"
                             % (r, name, ops, nbytes, DRIVES[vset], *d))
            if vset == "net" and doc:
                n = frame_delta(ctx, prev, ck)
                if n is not None and n != ops:
                    ctx.fail("round %d: virtioctl bench counted %d frames; QEMU sent %d "
                             "to the host socket" % (r, ops, n))
            if vset not in DRIVES and vset != "net":
                for drv in ("d0", "d1", "d2"):
                    d = blk_delta(ctx, drv, prev, ck)
                    if d and d != (0, 0):
                        ctx.fail("round %d: %s moved %s by %s" % (r, name, drv, d))
            # the run did the one workload it was given
            if doc and [x.get("workload") for x in rows] != [name.split(".", 1)[1]]:
                ctx.fail("round %d: %s ran %r" % (r, name, [x.get("workload") for x in rows]))
            prev = ck

    def check_kernel(ctx, r, docs, kinfo):
        p = "r%d-" % r
        if kinfo.get("rng_current") != "virtio_rng.0":
            ctx.fail("round %d: /dev/hwrng is not virtio_rng: %r" % (r, kinfo))
        prev = p + "k-start"
        drives = {"read-4k-qd1": "d0", "read-4k-qd32": "d0", "p-read-4k-qd1": "d1",
                  "p-read-4k-qd32": "d1", "s-read-4k-qd1": "d2", "s-read-4k-qd32": "d2"}
        for name, _ in K_RUNS:
            ck = p + "k-%s-done" % name
            k = docs.get("k-" + name)
            if name in drives and k:
                d = blk_delta(ctx, drives[name], prev, ck)
                if d and d != (k["ops"], k["bytes"]):
                    ctx.fail("round %d %s: kread counted %d reads, %d bytes; QEMU's "
                             "blockstats of %s moved by %d reads, %d bytes"
                             % (r, name, k["ops"], k["bytes"], drives[name], *d))
            if name == "net-tx-60" and k:
                n = frame_delta(ctx, prev, ck)
                if n is not None and n != k["ops"]:
                    ctx.fail("round %d: kread sent %d frames; QEMU sent %d to the host "
                             "socket" % (r, k["ops"], n))
            prev = ck
        dd = ctx.results.get(p + "k-dd")
        d = blk_delta(ctx, "d0", prev, p + "k-dd-done")
        if dd and dd.rc == 0 and d:
            n, t0, t1 = dd.text.split()
            if int(n) != d[0]:
                ctx.fail("round %d: dd read %s blocks, QEMU counted %d" % (r, n, d[0]))
            out.derived[p + "dd-qd1"] = {"ops": int(n), "seconds": float(t1) - float(t0),
                                         "ops_per_second": int(n) / (float(t1) - float(t0))}
        # the packed device really ran packed under the kernel
        st = ctx.snapshots.get(p + "k-start", {}).get("blkp0")
        if st is not None:
            gf = features.bits_of(2, st["guest-features"])
            if not gf >> 34 & 1:
                ctx.fail("round %d: virtio_blk did not negotiate RING_PACKED on blkp0" % r)

    def check_entropy_irqs(ctx, r, docs, kinfo):
        p = "r%d-" % r
        irq = [parse_interrupts(ctx.result(p + "irq-%d" % i).text)
               if ctx.results.get(p + "irq-%d" % i) else {} for i in range(len(K_RUNS) + 1)]
        ke = docs.get("k-entropy")
        vname = kinfo.get("virtio_rng", "?")
        a = _used_idx(ctx, p + "k-start", "rng0")
        b = _used_idx(ctx, p + "k-entropy-done", "rng0")
        rng_irq = [sum(v for k, v in m.items() if k.startswith(vname + "-")) for m in irq]
        if ke and a is not None and b is not None and irq[0] and irq[1]:
            reqs = rng_irq[1] - rng_irq[0]
            if reqs % 65536 != (b - a) % 65536:
                ctx.fail("round %d: %d RNG interrupts, but QEMU's used index moved by "
                         "%d (mod 65536)" % (r, reqs, (b - a) % 65536))
            sec = ke["microseconds"] / 1e6
            out.derived[p + "k-entropy-requests"] = {
                "requests": reqs, "seconds": sec, "requests_per_second": reqs / sec,
                "bytes_per_request": ke["bytes"] / reqs if reqs else None}
        for i, (name, _) in enumerate(K_RUNS):
            key = {"read-4k-qd1": "virtio_blk", "read-4k-qd32": "virtio_blk",
                   "p-read-4k-qd1": "virtio_blkp", "p-read-4k-qd32": "virtio_blkp",
                   "s-read-4k-qd1": "virtio_scsi", "s-read-4k-qd32": "virtio_scsi",
                   "net-tx-60": "virtio_net"}.get(name)
            k = docs.get("k-" + name)
            if key and k and irq[i] and irq[i + 1]:
                vn = kinfo.get(key, "?")
                n = sum(v for kk, v in irq[i + 1].items() if kk.startswith(vn + "-")) - \
                    sum(v for kk, v in irq[i].items() if kk.startswith(vn + "-"))
                out.derived["%sk-%s-interrupts" % (p, name)] = {
                    "interrupts": n, "per_op": n / k["ops"] if k["ops"] else None}
        ks = [guest_cpu(ctx.results[p + "irq-%d" % i].text)
              if p + "irq-%d" % i in ctx.results else None for i in range(len(K_RUNS) + 1)]
        vs = [guest_cpu(ctx.results[p + "vstat-%d" % i].text)
              if p + "vstat-%d" % i in ctx.results else None for i in range(len(V_RUNS) + 1)]
        out.derived[p + "guest-cpu-busy"] = {
            "virtioctl-" + n: busy_fraction(vs[i], vs[i + 1]) for i, (n, _, _) in
            enumerate(V_RUNS)}
        out.derived[p + "guest-cpu-busy"].update({
            "kernel-" + n: busy_fraction(ks[i], ks[i + 1]) for i, (n, _) in enumerate(K_RUNS)})
        cks_v = [p + "v-start"] + [p + "v-%s-done" % n for n, _, _ in V_RUNS]
        cks_k = [p + "k-start"] + [p + "k-%s-done" % n for n, _ in K_RUNS]
        q = {"virtioctl-" + n: cpus(cks_v[i], cks_v[i + 1]) for i, (n, _, _) in
             enumerate(V_RUNS)}
        q.update({"kernel-" + n: cpus(cks_k[i], cks_k[i + 1]) for i, (n, _) in
                  enumerate(K_RUNS)})
        out.derived[p + "qemu-host-cpus"] = q

        def threads(a, b):
            if a in out.threads and b in out.threads:
                return thread_delta(out.threads[a], out.threads[b])
            return None
        t = {"virtioctl-" + n: threads(cks_v[i], cks_v[i + 1]) for i, (n, _, _) in
             enumerate(V_RUNS)}
        t.update({"kernel-" + n: threads(cks_k[i], cks_k[i + 1]) for i, (n, _) in
                  enumerate(K_RUNS)})
        out.derived[p + "qemu-threads"] = t

    def check(ctx):
        """Gathers the numbers; fails on anything that makes them wrong."""
        for r in range(1, rounds + 1):
            p = "r%d-" % r
            docs = {}
            names = ["v-" + n for n, _, _ in V_RUNS] + ["k-" + n for n, _ in K_RUNS] + ["k-dd"]
            for name in names:
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
            check_virtioctl(ctx, r, docs)
            check_kernel(ctx, r, docs, kinfo)
            check_entropy_irqs(ctx, r, docs, kinfo)
            out.derived[p + "kernel-info"] = kinfo
        out.results.update(ctx.results)
        out.failures = ctx.failures

    hooks = {ck: record for r in range(1, rounds + 1) for ck in checkpoint_names(r)}
    hooks["boot"] = record
    disk = ["-drive", "file={disk_%s},format=raw,if=none,id=%s"]
    return Scenario(
        name="bench",
        description="virtioctl bench vs the kernel drivers (bench/)",
        modules=["virtio_pci", "virtio_rng", "virtio_blk", "virtio_scsi", "sd_mod",
                 "virtio_net"],
        devices=[
            Device("rng0", "virtio-rng-pci", 0x02, port=True),
            Device("blk0", "virtio-blk-pci,drive=d0", 0x03, port=True,
                   backend=[x % ("d0", "d0") if "%" in x else x for x in disk]),
            Device("blkp0", "virtio-blk-pci,drive=d1,packed=on", 0x04, port=True,
                   backend=[x % ("d1", "d1") if "%" in x else x for x in disk]),
            Device("scsi0", "virtio-scsi-pci", 0x05, port=True,
                   backend=[x % ("d2", "d2") if "%" in x else x for x in disk],
                   children=["-device", "scsi-hd,drive=d2,bus=scsi0.0"]),
            Device("net0", "virtio-net-pci,netdev=n0,romfile=", 0x06, port=True,
                   backend=["-netdev", "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:0"
                            % frames.port]),
        ],
        disks=[Disk("d0", size=disk_mib << 20), Disk("d1", size=disk_mib << 20),
               Disk("d2", size=disk_mib << 20)],
        script=script,
        checks=[check],
        hooks=hooks,
        # thread names in /proc (the vCPU is "CPU 0/TCG"), for read_threads()
        qemu_args=["-name", "bench,debug-threads=on"],
        files={"usr/bin/kread": kread},
        timeout=rounds * (30 * duration_ms // 1000 + 120) + 120,
    )


def summarize(out, rounds):
    rows = []
    for label, (vrun, vload), kkey, metric in ROWS:
        v_vals, k_vals = [], []
        per_op = {"virtioctl": [], "kernel": []}   # QEMU's thread times, us per op
        for r in range(1, rounds + 1):
            doc = _json(out.results.get("r%d-v-%s.%s" % (r, vrun, vload)))
            for row in (doc or {}).get("results", []):
                if row.get("workload") == vload:
                    # one device request per op on virtioctl's side
                    v_vals.append(dict(row, requests_per_second=row["ops_per_second"]))
            if kkey == "k-entropy-requests":
                k = out.derived.get("r%d-k-entropy-requests" % r)
            else:
                k = _json(out.results.get("r%d-%s" % (r, kkey)))
            if k:
                k_vals.append(k)
            if metric != "bytes_per_second":
                th = out.derived.get("r%d-qemu-threads" % r) or {}
                kname = "entropy" if kkey.startswith("k-entropy") else kkey[2:]
                for side, key, vals in (("virtioctl", "virtioctl-%s.%s" % (vrun, vload), v_vals),
                                        ("kernel", "kernel-" + kname, k_vals)):
                    if th.get(key) and vals and len(vals) == r and vals[-1].get(metric):
                        per_op[side].append({n: f / vals[-1][metric] * 1e6
                                             for n, f in th[key].items()})
        v = statistics.median(x[metric] for x in v_vals) if v_vals else None
        k = statistics.median(x[metric] for x in k_vals) if k_vals else None
        rows.append({
            "row": label, "workload": vload, "metric": metric, "unit": UNITS[metric],
            "virtioctl": v, "kernel": k,
            "ratio": (v / k) if v and k else None,
            "virtioctl_rounds": [x[metric] for x in v_vals],
            "kernel_rounds": [x[metric] for x in k_vals],
            "qemu_thread_us_per_op": {
                side: {n: statistics.median(x[n] for x in v) for n in v[0]} if v else None
                for side, v in per_op.items()},
        })
    return rows


UNITS = {"bytes_per_second": "bytes/s", "ops_per_second": "ops/s",
         "requests_per_second": "requests/s"}


def _fmt(x):
    if x is None:
        return "-"
    return "{:,}".format(int(round(x)))


def print_table(res, f=sys.stdout):
    rows = res["rows"]
    print("%-30s %-11s %12s %12s %7s   %s" % ("row", "unit", "virtioctl", "kernel", "ratio",
                                             "ratio per round"), file=f)
    for row in rows:
        per = ["%.2f" % (v / k) for v, k in zip(row["virtioctl_rounds"], row["kernel_rounds"])
               if v and k]
        print("%-30s %-11s %12s %12s %7s   %s" % (
            row["row"], row["unit"], _fmt(row["virtioctl"]), _fmt(row["kernel"]),
            "%.2f" % row["ratio"] if row["ratio"] else "-", " ".join(per)), file=f)
    print("ratio = virtioctl / kernel, medians over %d round(s); above 1: virtioctl is "
          "faster" % res["rounds"], file=f)
    print("\nQEMU's threads per op, us (medians over rounds): the vCPU's run time, the other "
          "threads' (device side)\nrun time and their time runnable but waiting for a host CPU",
          file=f)
    print("%-30s %27s   %27s" % ("", "virtioctl", "kernel"), file=f)
    print("%-30s %8s %8s %9s   %8s %8s %9s" % ("row", "vCPU", "device", "dev wait", "vCPU",
                                                "device", "dev wait"), file=f)
    for row in rows:
        t = row.get("qemu_thread_us_per_op") or {}
        if not t.get("virtioctl") and not t.get("kernel"):
            continue
        cells = []
        for side in ("virtioctl", "kernel"):
            x = t.get(side)
            cells += (["%.1f" % x[n] for n in ("vcpu_run", "dev_run", "dev_wait")] if x
                      else ["-"] * 3)
        print("%-30s %8s %8s %9s   %8s %8s %9s" % (row["row"], *cells), file=f)
    d = res["derived"]
    for r in range(1, res["rounds"] + 1):
        p = "r%d-" % r
        bits = []
        e = d.get(p + "k-entropy-requests")
        if e and e["bytes_per_request"]:
            bits.append("kernel RNG: %d bytes/request" % round(e["bytes_per_request"]))
        for n, _ in K_RUNS:
            i = d.get("%sk-%s-interrupts" % (p, n))
            if i and i["per_op"] is not None:
                bits.append("%s %.2f irq/op" % (n, i["per_op"]))
        dd = d.get(p + "dd-qd1")
        if dd:
            bits.append("dd QD1 %s/s" % _fmt(dd["ops_per_second"]))
        for key, what in (("qemu-host-cpus", "QEMU host CPUs"),
                          ("guest-cpu-busy", "guest vCPU busy")):
            c = d.get(p + key) or {}
            bits.append("%s: %s" % (what, ", ".join(
                "%s %.2f" % (k, v) for k, v in c.items() if v is not None)))
        print("round %d: %s" % (r, "; ".join(bits)), file=f)


def add_arguments(ap):
    ap.add_argument("--duration", type=int, default=3000, metavar="MS",
                    help="each workload's duration, both sides (default 3000)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="virtioctl-then-kernel rounds in the one guest (default 2)")
    ap.add_argument("--disk-mib", type=int, default=4,
                    help="virtio-blk disk size in MiB (default 4; reads use the first MiB)")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--qemu-cpus", metavar="LIST",
                    help="hold QEMU (every thread) to these host CPUs, e.g. 1 (the "
                         "contended case); the host's frame counter runs on the others")
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


def host_side(a):
    """(QEMU's host CPUs or None, the frame counter): --qemu-cpus holds
    QEMU there and the counter runs on the other CPUs."""
    qcpus = {int(x) for x in a.qemu_cpus.split(",")} if a.qemu_cpus else None
    others = set(range(os.cpu_count() or 1)) - (qcpus or set())
    return qcpus, FrameCounter(others if qcpus and others else None)


def boot(a, sc, virtioctl, cache, frames, banner):
    """Runs scenario sc in tests/vm's harness (the guest assets from cache),
    printing banner(kernel version, QEMU version) first; closes frames.
    Returns (ok, assets, QEMU version, wall seconds)."""
    import run as vmrun     # tests/vm/run.py: the harness's entry points
    import shutil
    import signal

    try:
        if shutil.which(a.qemu) is None:
            raise SystemExit("bench: %s not found (package qemu-system-x86)" % a.qemu)
        for s in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, vmrun._on_signal)
        vmrun.remove_stale_tmpdirs()
        try:
            ast = assets.prepare(cache, sc.modules)
        except HarnessError as e:
            raise SystemExit("bench: guest assets: %s" % e)
        qv = qemu_version(a.qemu)
        print("[bench] " + banner(ast.kver, qv), file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            ok = vmrun.run_scenario(sc, _HarnessArgs(a, virtioctl), ast)
        except (vmrun.Interrupted, KeyboardInterrupt) as e:
            raise SystemExit("bench: interrupted (%s)" % e)
        return ok, ast, qv, round(time.monotonic() - t0, 1)
    finally:
        frames.close()


def run(a, virtioctl, kread, cache):
    """Boots the guest, returns a dict for the JSON report."""
    if a.rounds < 1 or a.duration < 100 or a.disk_mib < 1:
        raise SystemExit("bench: --rounds >= 1, --duration >= 100, --disk-mib >= 1")
    out = Collected()
    qcpus, frames = host_side(a)
    sc = make_scenario(a.rounds, a.duration, a.disk_mib, kread, out, frames, qcpus)
    ok, ast, qv, wall = boot(a, sc, virtioctl, cache, frames, lambda kver, qv: (
        "guest kernel %s, QEMU %s; %d round(s) of %d ms per workload"
        % (kver, qv, a.rounds, a.duration)))
    return dict(report(a, ok, out, ast, qv, qcpus, frames, wall), **{
        "disk_mib": a.disk_mib,
        "raw": {k: _json(v) for k, v in out.results.items()
                if k.split("-", 1)[-1] in (["v-" + n for n, _, _ in V_RUNS] +
                                           ["k-" + n for n, _ in K_RUNS])},
        "rows": summarize(out, a.rounds),
    })


def report(a, ok, out, ast, qv, qcpus, frames, wall):
    """The JSON report's keys both guest benchmarks have (out: their
    Collected, with results, failures and derived)."""
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
        "qemu_cpus": sorted(qcpus) if qcpus else None,
        "rounds": a.rounds,
        "derived": out.derived,
        "frame_sizes": frames.sizes,
        "wall_seconds": wall,
    }


def qemu_version(qemu):
    import subprocess
    try:
        r = subprocess.run([qemu, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=30)
        return r.stdout.splitlines()[0].replace("QEMU emulator version ", "")
    except (OSError, IndexError, subprocess.SubprocessError):
        return None
