"""virtioctl vs the kernel's virtio_net vs DPDK's virtio PMD, on one NIC.

One guest (tests/vm's harness: `-accel tcg`, q35, one vCPU, 1 GiB, `-cpu
qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt`) with one virtio-net-pci, a modern
PCIe endpoint behind a root port, whose frames go to a UDP socket of this
process (-netdev socket,udp=, guest_drivers.FrameCounter).  Debian's DPDK
is built for the corei7 baseline (SSE4.2, POPCNT): its EAL refuses to
start on the harness's default qemu64 CPU, so the guest gets qemu64 with
those instruction sets added (TCG emulates them), and otherwise the CPU
the guest benchmark has (see GUEST_CPU for why not -cpu Nehalem).

Each round runs three sides on the same device, in the order V K D in odd
rounds and D K V in even ones (drift on the host hits all sides alike):

  V. the device unbound (driver_override "none"): `virtioctl --json bench
     NET --duration MS` (workload net-tx-60-qd128: 60-byte frames);
  K. the kernel's virtio_net bound (driver_override "virtio-pci"), IPv6 off
     and no address: bench/kread.c -m packet, 60-byte frames through an
     AF_PACKET socket for MS;
  D. the device on uio_pci_generic (driver_override) and dpdk-testpmd in
     txonly mode with 60-byte frames (`set txpkts 60`), fed commands on
     stdin: start, 1 s to settle, `show port stats 0`, MS, `show port
     stats 0`, stop, `show port stats 0`, 1 s for QEMU to drain the
     ring, quit (each command once testpmd has printed its prompt
     again).  The rate is testpmd's own "Tx-pps" of the second show: the
     frames the port sent since the first show over the TSC cycles
     between the two.  The guest's uptime when the two shows were sent
     is kept too, as a check of testpmd's clock.

Why uio_pci_generic and not vfio-pci in no-IOMMU mode: the guest has no
IOMMU, and Debian's kernel is built without CONFIG_VFIO_NOIOMMU (vfio has no
enable_unsafe_noiommu_mode parameter).  uio_pci_generic gives DPDK the
device's config space and BARs (sysfs resource files) with no IOMMU, as
virtioctl and the kernel have it; DPDK then uses physical addresses
(/proc/self/pagemap) of 2 MiB hugepages.

testpmd needs a forwarding lcore besides the main one: `--lcores=0@0,1@0`
puts both on the one vCPU (the main lcore sleeps in read() on stdin).

The DPDK binaries come from Debian with `apt-get download` (nothing is
installed on the host) into $CACHE/dpdk/VERSION/debs and are unpacked there
with `dpkg -x`: dpdk-dev (it holds dpdk-testpmd), the two plugins EAL must
load (librte-net-virtio23, librte-mempool-ring23), and every package whose
library `ldd` reports missing (librte_X.so.23 -> librte-X23, a few others by
name, SONAME_PACKAGES); a library that is neither on the host nor known
fails the run with one line naming it.

What makes the numbers trustworthy (the run fails otherwise):
  - every side's frame count equals the datagrams the host socket received
    (plus those its queue dropped) between the checkpoints around the run:
    virtioctl's ops, kread's ops, testpmd's TX-packets at stop;
  - every datagram the host received is 60 bytes (FrameCounter.sizes), and
    testpmd's TX-bytes / TX-packets is 60 (a third `show port stats 0`
    after stop, when the counters are at rest);
  - testpmd's port 0 is the benched device (`show port info 0`: its PCI
    address and driver net_virtio), and its TX-packets grew between the
    two shows;
  - testpmd's window (frames between the shows / Tx-pps) is within 10% of
    the guest's uptime between sending the two shows (EAL estimates the
    TSC's frequency itself);
  - QEMU shows the device reset (status 0) after virtioctl's and after
    testpmd's run; the kernel's run had the device on virtio-pci (its
    interface is the one under the device).

Results: medians over rounds of each side's frames/s, the ratios
virtioctl/kernel and virtioctl/DPDK (above 1: virtioctl is faster), and
the host CPUs QEMU used per run.
"""

import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VM_DIR = os.path.join(os.path.dirname(HERE), "tests", "vm")
sys.path.insert(0, VM_DIR)

import guest_drivers                                      # noqa: E402
from guest_drivers import _json, pin, qemu_cpu_seconds            # noqa: E402
from vmharness import HarnessError, assets, features       # noqa: E402
from vmharness.scenario import Device, Scenario           # noqa: E402

FRAME = guest_drivers.FRAME
TESTPMD = "usr/bin/dpdk-testpmd"
LIBDIR = "usr/lib/x86_64-linux-gnu"
# EAL loads drivers that nothing links as plugins: the virtio PMD and the
# default mempool handler (ring_mp_mc).  Named with -d, not found through
# the default plugin directory (which holds every Debian PMD).
PLUGINS = [LIBDIR + "/librte_net_virtio.so.23", LIBDIR + "/librte_mempool_ring.so.23"]
FIRST_PACKAGES = ["dpdk-dev", "librte-net-virtio23", "librte-mempool-ring23"]
# Libraries of the closure that are not librte_*: their Debian packages,
# fetched only when the host does not have the library itself.
SONAME_PACKAGES = {
    "libmlx5.so.1": "ibverbs-providers", "libpcap.so.0.8": "libpcap0.8",
    "libibverbs.so.1": "libibverbs1", "libnuma.so.1": "libnuma1",
    "libfdt.so.1": "libfdt1", "libjansson.so.4": "libjansson4",
    "libbsd.so.0": "libbsd0", "libelf.so.1": "libelf1", "libmd.so.0": "libmd0",
    "libnl-3.so.200": "libnl-3-200", "libnl-route-3.so.200": "libnl-route-3-200",
}
# The harness's default CPU (qemu64) plus what Debian's DPDK build needs
# (corei7: SSSE3, SSE4.1, SSE4.2, POPCNT).  Not a named Intel model such as
# Nehalem: the guest kernel turns on page-table isolation on those (meltdown:
# "Mitigation: PTI"), two CR3 writes per syscall and interrupt, which under
# TCG cost the kernel's row 5x (11,811 frames/s against 58,515 here).
GUEST_CPU = "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt"
HUGEPAGES = 128         # 2 MiB each: 256 MiB of the guest's 1 GiB
MBUFS = 2048            # testpmd's pool: the rx ring (256) and tx bursts in flight
SIDES = ("v", "k", "d")
SIDE_NAME = {"v": "virtioctl", "k": "kernel", "d": "dpdk"}


# --------------------------------------------------------------------------
# The DPDK binaries, from Debian, into the cache

def rte_package(soname):
    """Debian's package of librte_X.so.23: librte-X23, or librte-X-23 when X
    ends in a digit (librte-common-mlx5-23)."""
    m = re.match(r"librte_(\w+)\.so\.(\d+)$", soname)
    if not m:
        return None
    base = m.group(1).replace("_", "-")
    return "librte-%s%s%s" % (base, "-" if base[-1].isdigit() else "", m.group(2))


def _ldd(path, root):
    """(resolved paths, missing sonames) of path's closure, with root's
    library directory searched before the host's."""
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(root, LIBDIR))
    r = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env)
    if r.returncode != 0 and "not found" not in r.stdout:
        raise SystemExit("bench: ldd %s failed: %s" % (path, r.stderr.strip()))
    found, missing = [], []
    for line in r.stdout.splitlines():
        line = line.strip()
        m = re.match(r"(\S+) => not found", line)
        if m:
            missing.append(m.group(1))
            continue
        m = re.match(r"\S+ => (/\S+) \(0x", line) or re.match(r"(/\S+) \(0x", line)
        if m:
            found.append(m.group(1))
    return found, missing


def _download(pkg, version, debdir, root):
    """apt-get download (once per cache) and dpkg -x into root."""
    have = glob.glob(os.path.join(debdir, pkg + "_*.deb"))
    if not have:
        assets.log("downloading %s (apt-get download, into %s)" % (pkg, debdir))
        try:
            have = [assets.apt_download(pkg, version, debdir)]
        except HarnessError as e:
            raise SystemExit("bench: cannot download Debian package %s%s: %s" % (
                pkg, "=" + version if version else "", " ".join(str(e).split())[:300]))
    r = subprocess.run(["dpkg", "-x", have[0], root], stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("bench: dpkg -x %s failed: %s" % (have[0], r.stderr.strip()))


def prepare_dpdk(cache):
    """Fetches and unpacks testpmd and its closure; returns (version, root,
    packages).  Keyed by dpdk-dev's version; reused while apt's candidate is
    the same, or when apt knows nothing and the cache has a complete tree."""
    base = os.path.join(cache, "dpdk")
    os.makedirs(base, exist_ok=True)
    ver = assets.apt_candidate("dpdk-dev")
    if ver is None:
        done = sorted(glob.glob(os.path.join(base, "*", "packages.txt")), key=os.path.getmtime)
        if not done:
            raise SystemExit("bench: apt-cache does not know dpdk-dev and %s has no "
                             "unpacked DPDK (run apt-get update)" % base)
        ver_dir = os.path.dirname(done[-1])
        assets.log("warning: apt-cache does not know dpdk-dev; using %s" % ver_dir)
    else:
        ver_dir = os.path.join(base, ver.replace(":", "%3a"))
    root = os.path.join(ver_dir, "root")
    marker = os.path.join(ver_dir, "packages.txt")
    if os.path.exists(marker):
        with open(marker) as f:
            return os.path.basename(ver_dir), root, f.read().split()
    debdir = os.path.join(ver_dir, "debs")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(debdir, exist_ok=True)
    pkgs = []
    want = list(FIRST_PACKAGES)
    for _ in range(10):
        for p in want:
            _download(p, ver if p.startswith(("librte-", "dpdk")) else None, debdir, root)
            pkgs.append(p)
        want, unknown = [], []
        for t in [TESTPMD] + PLUGINS:
            if not os.path.isfile(os.path.join(root, t)):
                raise SystemExit("bench: %s is not in the DPDK packages (%s)"
                                 % (t, " ".join(pkgs)))
            for so in _ldd(os.path.join(root, t), root)[1]:
                p = rte_package(so) or SONAME_PACKAGES.get(so)
                if p is None:
                    unknown.append("%s (needed by %s)" % (so, os.path.basename(t)))
                elif p not in want and p not in pkgs:
                    want.append(p)
        if unknown:
            raise SystemExit("bench: DPDK needs libraries this host lacks and the "
                             "benchmark cannot name a package for: " + ", ".join(unknown))
        if not want:
            break
    else:
        raise SystemExit("bench: DPDK's libraries still missing after 10 rounds of "
                         "downloads: " + " ".join(want))
    with open(marker + ".tmp", "w") as f:
        f.write("\n".join(pkgs) + "\n")
    os.replace(marker + ".tmp", marker)
    return os.path.basename(ver_dir), root, pkgs


def guest_files(root):
    """{guest path: host path}: testpmd, the plugins and their closure.
    Everything from root is made non-executable (the script sets testpmd's
    mode in the guest): the harness runs the host's plain ldd on executables
    it is given, which does not search root."""
    files = {}
    for t in [TESTPMD] + PLUGINS:
        host = os.path.join(root, t)
        found, missing = _ldd(host, root)
        if missing:
            raise SystemExit("bench: %s: libraries not found: %s" % (t, " ".join(missing)))
        for p in [host] + found:
            real = os.path.realpath(p)
            rel = os.path.relpath(p, root)
            guest = "/" + rel if not rel.startswith("..") else p
            files[guest] = real
    # glibc dlopens libgcc_s for pthread_cancel (EAL cancels its threads at
    # exit): from the directory the host's libc came from
    libc = [p for p in files if os.path.basename(p) == "libc.so.6"]
    gcc_s = os.path.join(os.path.dirname(libc[0]) if libc else "/lib", "libgcc_s.so.1")
    if not os.path.exists(gcc_s):
        raise SystemExit("bench: %s is missing (package libgcc-s1)" % gcc_s)
    files[gcc_s] = os.path.realpath(gcc_s)
    for real in set(files.values()):
        if real.startswith(os.path.realpath(root) + os.sep):
            os.chmod(real, 0o644)
    return files


# --------------------------------------------------------------------------
# The guest

# testpmd, fed its commands through stdin (interactive mode); the guest's
# uptime when each show is written goes to /tmp/testpmd.times, printed last.
TESTPMD_SH = r'''a=$1; ms=$2
# testpmd writes its prompt with write() (its other output is buffered):
# each command is sent once the previous one is done, the first when
# EAL's start-up (seconds under TCG) is over.
prompts() { grep -o 'testpmd> ' /tmp/testpmd.out | wc -l; }
wait_prompt() {
	_t=0
	while [ "$(prompts)" -lt $1 ]; do
		# testpmd gone or stuck: end the feed (testpmd then reads end of file)
		[ $_t -lt 600 ] || { echo "@@TIMEOUT at prompt $1" >> /tmp/testpmd.times; exit 1; }
		usleep 50000; _t=$((_t + 1))
	done
}
feed() {
	wait_prompt 1
	echo "set txpkts %(frame)d"; wait_prompt 2
	echo "show port info 0"; wait_prompt 3
	echo start; wait_prompt 4
	sleep 1
	echo "@@T0 $(cut -d' ' -f1 /proc/uptime)" >> /tmp/testpmd.times
	echo "show port stats 0"; wait_prompt 5
	usleep $((ms * 1000))
	echo "@@T1 $(cut -d' ' -f1 /proc/uptime)" >> /tmp/testpmd.times
	echo "show port stats 0"; wait_prompt 6
	echo stop; wait_prompt 7
	echo "show port stats 0"; wait_prompt 8
	sleep 1
	echo quit
}
rm -f /tmp/testpmd.times
: > /tmp/testpmd.out
feed | dpdk-testpmd --lcores=0@0,1@0 -a $a %(plugins)s --huge-dir /dev/hugepages \
	--no-telemetry -- -i --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=%(mbufs)d \
	--forward-mode=txonly --no-lsc-interrupt --no-rmv-interrupt --no-mlockall \
	> /tmp/testpmd.out 2>&1
rc=$?
cat /tmp/testpmd.out /tmp/testpmd.times
exit $rc
'''

SCRIPT = r'''
D=%(duration)d
VM_CMD_TIMEOUT=%(cmd_timeout)d
N=$(vm_addr net0)
echo none > /sys/bus/pci/devices/$N/driver_override
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
vm_modprobe virtio_pci virtio_net uio_pci_generic
mkdir -p /dev/hugepages /var/run
mount -t hugetlbfs nodev /dev/hugepages
echo %(hugepages)d > /proc/sys/vm/nr_hugepages
chmod 755 /usr/bin/dpdk-testpmd
# EAL loads no plugin from a path with a world-writable directory in it,
# and the initramfs's root is one
chmod 755 /
cat > /tmp/testpmd.sh <<'TESTPMD_END'
%(testpmd_sh)sTESTPMD_END
# The device to driver $1 ("none": nobody).
to_driver() {
	[ -e /sys/bus/pci/devices/$N/driver ] && echo $N > /sys/bus/pci/devices/$N/driver/unbind
	echo $1 > /sys/bus/pci/devices/$N/driver_override
	[ $1 = none ] && return 0
	echo $N > /sys/bus/pci/drivers_probe
	vm_wait_bound 30 net0 || vm_log "net0 did not get bound to $1"
}
vm_sh info "uname -r; grep -m1 'model name' /proc/cpuinfo; grep -m1 '^flags' /proc/cpuinfo; grep MemTotal /proc/meminfo; grep HugePages_Total /proc/meminfo; echo meltdown: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown)"
%(rounds)s
'''

V_PART = r'''
# ---- round %(r)d: virtioctl on the unbound device ----
to_driver none
vm_checkpoint r%(r)d-v-start
vm_run r%(r)d-v virtioctl --json bench $N --duration $D
vm_checkpoint r%(r)d-v-done
'''

K_PART = r'''
# ---- round %(r)d: the kernel's virtio_net ----
to_driver virtio-pci
_t=0
while [ -z "$(ls /sys/bus/pci/devices/$N/virtio*/net/ 2>/dev/null)" ] && [ $_t -lt 300 ]; do
	sleep 0.1; _t=$((_t + 1))
done
NIF=$(ls /sys/bus/pci/devices/$N/virtio*/net/ | head -n 1)
# no IPv6 (router solicitations, DAD) and no address: only kread's frames
echo 1 > /proc/sys/net/ipv6/conf/$NIF/disable_ipv6
ip link set $NIF up
vm_sh r%(r)d-k-info "echo nif $NIF; echo driver \$(basename \$(readlink /sys/bus/pci/devices/$N/driver))"
vm_checkpoint r%(r)d-k-start
vm_run r%(r)d-k kread -m packet -b %(frame)d -d $D -w net-tx-60 $NIF
vm_checkpoint r%(r)d-k-done
'''

D_PART = r'''
# ---- round %(r)d: DPDK's virtio PMD (testpmd txonly) ----
to_driver uio_pci_generic
vm_checkpoint r%(r)d-d-start
vm_run r%(r)d-d sh /tmp/testpmd.sh $N $D
vm_checkpoint r%(r)d-d-done
'''

PARTS = {"v": V_PART, "k": K_PART, "d": D_PART}


def order(r):
    return "vkd" if r % 2 else "dkv"


def rounds_script(rounds):
    return "".join(PARTS[s] % {"r": r, "frame": FRAME}
                   for r in range(1, rounds + 1) for s in order(r))


def parse_testpmd(text):
    """What the checks and the rows need from testpmd's output."""
    out = {"shows": [], "times": [float(t) for t in re.findall(r"^@@T\d (\S+)$", text, re.M)]}
    for block in text.split("NIC statistics for port")[1:]:
        m = re.search(r"TX-packets:\s*(\d+)\s+TX-errors:\s*(\d+)\s+TX-bytes:\s*(\d+)", block)
        pps = re.search(r"Tx-pps:\s*(\d+)", block)
        if m and pps:
            out["shows"].append({"tx_packets": int(m.group(1)), "tx_errors": int(m.group(2)),
                                 "tx_bytes": int(m.group(3)), "tx_pps": int(pps.group(1))})
    acc = text.split("Accumulated forward statistics")
    m = re.search(r"TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)", acc[-1]) if len(acc) > 1 else None
    if m:
        out["stop_tx_packets"], out["stop_tx_dropped"] = int(m.group(1)), int(m.group(2))
    for key, pat in (("device", r"Device name:\s*(\S+)"), ("driver", r"Driver name:\s*(\S+)")):
        m = re.search(pat, text)
        out[key] = m.group(1) if m else None
    if len(out["shows"]) == 3 and len(out["times"]) == 2:
        a, b = out["shows"][:2]
        out["window_packets"] = b["tx_packets"] - a["tx_packets"]
        out["guest_window_seconds"] = out["times"][1] - out["times"][0]
        out["ops_per_second"] = b["tx_pps"]
    return out


class Collected:
    def __init__(self):
        self.results = {}
        self.frames = {}        # checkpoint -> frames QEMU sent to the host socket
        self.qemu_cpu = {}      # checkpoint -> (monotonic s, QEMU's CPU s so far)
        self.derived = {}
        self.failures = []
        self.pinned = False


def make_scenario(rounds, duration_ms, kread, files, out, frames, qemu_cpus=None):
    plugins = " ".join("-d /" + p for p in PLUGINS)
    script = SCRIPT % {
        "duration": duration_ms, "cmd_timeout": 3 * duration_ms // 1000 + 90,
        "hugepages": HUGEPAGES, "rounds": rounds_script(rounds),
        "testpmd_sh": TESTPMD_SH % {"frame": FRAME, "plugins": plugins, "mbufs": MBUFS}}

    def record(ctx):
        """At every checkpoint: the frames QEMU sent and QEMU's CPU time."""
        ck = ctx.checkpoints[-1]
        if qemu_cpus and not out.pinned:
            pin(ctx.machine.proc.pid, qemu_cpus)
            out.pinned = True
        out.frames[ck] = frames.count()
        cpu = qemu_cpu_seconds(ctx.machine.proc.pid)
        if cpu is not None:
            out.qemu_cpu[ck] = (time.monotonic(), cpu)
        return []

    def window(ctx, r, s):
        """(frames the host received, QEMU host CPUs) during run r-s."""
        a, b = "r%d-%s-start" % (r, s), "r%d-%s-done" % (r, s)
        n = None
        if out.frames.get(a) is None or out.frames.get(b) is None:
            ctx.fail("round %d %s: no frame count at %s or %s" % (r, SIDE_NAME[s], a, b))
        else:
            n = out.frames[b] - out.frames[a]
        c = None
        if a in out.qemu_cpu and b in out.qemu_cpu:
            (t0, c0), (t1, c1) = out.qemu_cpu[a], out.qemu_cpu[b]
            c = (c1 - c0) / (t1 - t0) if t1 > t0 else None
        return n, c

    def reset_after(ctx, r, s):
        st = ctx.snapshots.get("r%d-%s-done" % (r, s), {}).get("net0")
        if st is None or features.status_of(st["status"]) != 0:
            ctx.fail("round %d: net0 not reset after %s's run (QEMU status %s)" % (
                r, SIDE_NAME[s], features.status_of(st["status"]) if st else "unknown"))

    def check_run(ctx, r, s, addr):
        """The side's frames/s, or None; fails on anything that makes it wrong."""
        res = ctx.result("r%d-%s" % (r, s))
        if res is None:
            return None
        if res.rc != 0:
            ctx.fail("round %d: %s exited %s: %s" % (
                r, SIDE_NAME[s], res.rc, (res.text + res.stderr.decode("utf-8", "replace"))
                [-800:]))
            return None
        n, cpus = window(ctx, r, s)
        out.derived["r%d-%s-qemu-host-cpus" % (r, s)] = cpus
        if s == "v":
            rows = [x for x in (_json(res) or {}).get("results", [])
                    if x.get("workload") == "net-tx-60-qd128"]
            if len(rows) != 1:
                ctx.fail("round %d: virtioctl bench: no net-tx-60-qd128 result: %r"
                         % (r, res.text[:300]))
                return None
            ops, rate = rows[0]["ops"], rows[0]["ops_per_second"]
            reset_after(ctx, r, s)
        elif s == "k":
            doc = _json(res)
            if not doc:
                ctx.fail("round %d: kread: not JSON: %r" % (r, res.text[:300]))
                return None
            ops, rate = doc["ops"], doc["ops_per_second"]
            info = ctx.result("r%d-k-info" % r)
            if info is None or "driver virtio-pci" not in info.text:
                ctx.fail("round %d: net0 was not on virtio-pci for the kernel's run: %r"
                         % (r, info.text if info else None))
        else:
            t = parse_testpmd(res.text)
            out.derived["r%d-d-testpmd" % r] = t
            if t.get("device") != addr or t.get("driver") != "net_virtio":
                ctx.fail("round %d: testpmd's port 0 is %s (%s), not net0 %s on net_virtio"
                         % (r, t.get("device"), t.get("driver"), addr))
            if "ops_per_second" not in t or "stop_tx_packets" not in t:
                ctx.fail("round %d: testpmd's output lacks its port stats: %r"
                         % (r, res.text[-800:]))
                return None
            # the third show, after stop: the counters are at rest (during
            # a burst the PMD's byte count runs ahead of its frame count)
            sh = t["shows"][2]
            if t["window_packets"] <= 0 or sh["tx_bytes"] != FRAME * sh["tx_packets"] or \
                    sh["tx_packets"] != t["stop_tx_packets"]:
                ctx.fail("round %d: testpmd sent %d frames in the window; after stop %d "
                         "bytes in %d frames (not %d-byte frames), %d frames at stop"
                         % (r, t["window_packets"], sh["tx_bytes"], sh["tx_packets"], FRAME,
                            t["stop_tx_packets"]))
            g, pps = t["guest_window_seconds"], t["ops_per_second"]
            if not pps or g <= 0 or not 0.9 < t["window_packets"] / pps / g < 1.1:
                ctx.fail("round %d: testpmd's Tx-pps %d over %d frames is not the guest's "
                         "window of %.3f s" % (r, t["ops_per_second"], t["window_packets"], g))
            ops, rate = t["stop_tx_packets"], t["ops_per_second"]
            reset_after(ctx, r, s)
        if n is not None and n != ops:
            ctx.fail("round %d: %s counted %d frames; QEMU sent %d to the host socket"
                     % (r, SIDE_NAME[s], ops, n))
        out.derived["r%d-%s-frames" % (r, s)] = {"counted": ops, "host_received": n}
        return rate

    def check(ctx):
        addr = ctx.addresses.get("net0")
        for r in range(1, rounds + 1):
            for s in SIDES:
                out.derived["r%d-%s" % (r, s)] = check_run(ctx, r, s, addr)
        if out.frames.get("boot"):
            ctx.fail("QEMU sent %d frames before the first run" % out.frames["boot"])
        sizes = dict(frames.sizes)
        if set(sizes) - {FRAME}:
            ctx.fail("the host received frames of other sizes than %d bytes: %r"
                     % (FRAME, sizes))
        out.results.update(ctx.results)
        out.failures = ctx.failures

    hooks = {"r%d-%s-%s" % (r, s, w): record for r in range(1, rounds + 1)
             for s in SIDES for w in ("start", "done")}
    hooks["boot"] = record
    return Scenario(
        name="bench-dpdk",
        description="virtioctl bench vs virtio_net vs DPDK's virtio PMD (bench/)",
        modules=["virtio_pci", "virtio_net", "uio_pci_generic"],
        devices=[
            Device("net0", "virtio-net-pci,netdev=n0,romfile=", 0x02, port=True,
                   backend=["-netdev", "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:0"
                            % frames.port]),
        ],
        script=script,
        checks=[check],
        hooks=hooks,
        qemu_args=["-cpu", GUEST_CPU],
        memory="1G",
        files=dict(files, **{"/usr/bin/kread": kread}),
        timeout=rounds * (3 * duration_ms // 1000 + 150) + 180,
    )


# --------------------------------------------------------------------------
# Results

def summarize(out, rounds):
    vals = {s: [out.derived.get("r%d-%s" % (r, s)) for r in range(1, rounds + 1)]
            for s in SIDES}
    med = {s: statistics.median(v) if v and all(vals[s]) else None
           for s, v in vals.items()}

    def ratio(a, b):
        return a / b if a and b else None
    return {
        "unit": "frames/s",
        "medians": med,
        "rounds": vals,
        "ratio_virtioctl_kernel": ratio(med["v"], med["k"]),
        "ratio_virtioctl_dpdk": ratio(med["v"], med["d"]),
        "ratio_rounds_virtioctl_kernel": [ratio(a, b) for a, b in zip(vals["v"], vals["k"])],
        "ratio_rounds_virtioctl_dpdk": [ratio(a, b) for a, b in zip(vals["v"], vals["d"])],
    }


def _fmt(x):
    return "-" if x is None else "{:,}".format(int(round(x)))


def print_table(res, f=sys.stdout):
    rows = res["rows"]
    print("%-26s %12s   %s" % ("net tx, 60-byte frames", "frames/s", "per round"), file=f)
    for s in SIDES:
        print("%-26s %12s   %s" % (SIDE_NAME[s] if s != "d" else "dpdk (testpmd txonly)",
                                    _fmt(rows["medians"][s]),
                                    " ".join(_fmt(x) for x in rows["rounds"][s])), file=f)
    for key, what in (("virtioctl_kernel", "virtioctl / kernel"),
                      ("virtioctl_dpdk", "virtioctl / dpdk")):
        m = rows["ratio_" + key]
        print("%-26s %12s   %s" % (what, "%.2f" % m if m else "-", " ".join(
            "%.2f" % x if x else "-" for x in rows["ratio_rounds_" + key])), file=f)
    print("medians over %d round(s); ratio above 1: virtioctl is faster" % res["rounds"], file=f)
    d = res["derived"]
    for r in range(1, res["rounds"] + 1):
        bits = ["order %s" % " ".join(SIDE_NAME[s] for s in order(r))]
        bits.append("QEMU host CPUs: " + ", ".join(
            "%s %.2f" % (SIDE_NAME[s], d["r%d-%s-qemu-host-cpus" % (r, s)]) for s in SIDES
            if d.get("r%d-%s-qemu-host-cpus" % (r, s)) is not None))
        t = d.get("r%d-d-testpmd" % r) or {}
        if "guest_window_seconds" in t:
            bits.append("testpmd window %d frames, %.3f s of guest uptime (%s/s by it)" % (
                t["window_packets"], t["guest_window_seconds"],
                _fmt(t["window_packets"] / t["guest_window_seconds"])
                if t["guest_window_seconds"] > 0 else "-"))
        print("round %d: %s" % (r, "; ".join(bits)), file=f)


def run(a, virtioctl, kread, cache):
    """Boots the guest, returns a dict for the JSON report."""
    if a.rounds < 1 or a.duration < 100:
        raise SystemExit("bench: --rounds >= 1, --duration >= 100")
    dver, root, pkgs = prepare_dpdk(cache)
    files = guest_files(root)
    out = Collected()
    qcpus, frames = guest_drivers.host_side(a)
    sc = make_scenario(a.rounds, a.duration, kread, files, out, frames, qcpus)
    ok, ast, qv, wall = guest_drivers.boot(a, sc, virtioctl, cache, frames, lambda kver, qv: (
        "guest kernel %s, QEMU %s, DPDK %s (%d packages, %d files in the initramfs); "
        "%d round(s) of %d ms per side" % (kver, qv, dver, len(pkgs), len(files), a.rounds,
                                           a.duration)))
    return dict(guest_drivers.report(a, ok, out, ast, qv, qcpus, frames, wall), **{
        "guest_cpu": GUEST_CPU,
        "dpdk": dver,
        "dpdk_packages": pkgs,
        "frames": out.frames,
        "raw": {k: (_json(v) if not k.endswith("-d") else v.text) for k, v in
                out.results.items() if re.match(r"r\d+-[vkd]$", k)},
        "rows": summarize(out, a.rounds),
    })
