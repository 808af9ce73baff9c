"""virtioctl's read-only commands vs lspci across many PCI functions, in
one QEMU guest per size (issue 13).

Each guest (tests/vm's harness: `-accel tcg`, q35, one vCPU) has q35's
four built-in functions (host bridge, LPC, SATA, SMBus) and N - 4 virtio
functions on the root bus (conventional PCI: transitional where QEMU
offers a legacy interface, modern-only types modern), a mix of block,
net (hub port: no network), entropy, console, SCSI, input, 9p (a local
directory), balloon, crypto (builtin backend) and GPU, taken in an
interleaved order so every size has a similar mix. The guest's drivers
are loaded (virtio_pci and the type drivers) and bound, as on a
production guest; what `list` shows (eth0, vda, ...) comes from them.

In each guest, in rounds of alternating order, each command runs K times
in a row, timed with /proc/uptime around the K runs:

  list      `virtioctl --json list`        vs  lspci       `lspci`
  metrics   `virtioctl metrics`            vs  lspci-vvv   `lspci -vvv`
  dump-all  `virtioctl --json dump --all`  vs  lspci-vvv

(plus `virtioctl --json list` against `lspci -vvv` for reference). The
ratio is taken per round (same-round values), then the median over
rounds. Before timing, each command runs once with its output checked:
`list` has every virtio function QEMU has, `lspci -vvv` all N functions,
`dump --all` a document per virtio function, `metrics` an info series per
virtio function; `check --all` (read-only) runs once and must end with
the exit status its document gives.

Time per function (per call / N functions) at each size shows whether the
cost grows linearly.

With --profile (needs strace on this machine, Debian package strace), each
guest also runs metrics, dump-all and lspci-vvv once under `strace -c -f`
(system calls: count, errors, time) after the timing, and the tables are
printed after the results: where the guest's time goes, repeatably. strace
slows what it traces; its runs are not in the timing.
"""

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VM_DIR = os.path.join(os.path.dirname(HERE), "tests", "vm")
sys.path.insert(0, VM_DIR)

from vmharness import HarnessError, assets                     # noqa: E402
from vmharness.scenario import Device, Disk, Scenario          # noqa: E402

BUILTIN = 4     # q35 with -nodefaults: 00:00.0, 00:1f.0, 00:1f.2, 00:1f.3

# The virtio devices in the order sizes take them: types interleaved.
# (id, QEMU device, backend args, disk) -- "{tmp}" is the run's temp dir.
_ROTATION = ["blk", "net", "rng", "ser", "scsi", "kbd", "p9", "blk", "net", "rng", "ser",
             "scsi", "tab", "crypto", "blk", "net", "rng", "ser", "scsi", "mouse", "p9",
             "blk", "net", "rng", "bal", "gpu", "blk", "blk"]


def _pool():
    count = {}
    out = []
    for t in _ROTATION:
        n = count.get(t, 0)
        count[t] = n + 1
        i = "%s%d" % (t, n)
        if t == "blk":
            out.append((i, "virtio-blk-pci,drive=%s" % i,
                        ["-drive", "file={disk_%s},format=raw,if=none,id=%s" % (i, i)], i))
        elif t == "net":
            out.append((i, "virtio-net-pci,netdev=%s,romfile=" % i,
                        ["-netdev", "hubport,id=%s,hubid=%d" % (i, 100 + n)], None))
        elif t == "rng":
            out.append((i, "virtio-rng-pci", [], None))
        elif t == "ser":
            out.append((i, "virtio-serial-pci,max_ports=2", [], None))
        elif t == "scsi":
            out.append((i, "virtio-scsi-pci", [], None))
        elif t in ("kbd", "tab", "mouse"):
            model = {"kbd": "keyboard", "tab": "tablet", "mouse": "mouse"}[t]
            out.append((i, "virtio-%s-pci" % model, [], None))
        elif t == "p9":
            out.append((i, "virtio-9p-pci,fsdev=fs%s,mount_tag=%s" % (i, i),
                        ["-fsdev", "local,id=fs%s,path={tmp}/%s,security_model=none" % (i, i)],
                        None))
        elif t == "bal":
            out.append((i, "virtio-balloon-pci", [], None))
        elif t == "crypto":
            out.append((i, "virtio-crypto-pci,cryptodev=cr%s" % i,
                        ["-object", "cryptodev-backend-builtin,id=cr%s" % i], None))
        elif t == "gpu":
            out.append((i, "virtio-gpu-pci", [], None))
    return out


POOL = _pool()
MODULES = ["virtio_pci", "virtio_net", "virtio_blk", "virtio_rng", "virtio_console",
           "virtio_balloon", "virtio_scsi", "virtio_gpu", "virtio_input", "virtio_crypto",
           "9pnet_virtio"]

# (name, command) timed in the guest; the pairs compared.
COMMANDS = [
    ("version", "virtioctl version"),      # the process alone: exec, libraries
    ("list", "virtioctl --json list"),
    ("lspci", "lspci"),
    ("metrics", "virtioctl metrics"),
    ("dump-all", "virtioctl --json dump --all"),
    ("lspci-vvv", "lspci -vvv"),
]
PAIRS = [("list", "lspci"), ("list", "lspci-vvv"), ("metrics", "lspci-vvv"),
         ("dump-all", "lspci-vvv")]

TIMING = r'''R=$1; K=$2
t() {
	n=$1; shift
	a=$(cut -d' ' -f1 /proc/uptime)
	i=0
	while [ $i -lt $K ]; do "$@" > /dev/null 2>&1; i=$((i + 1)); done
	b=$(cut -d' ' -f1 /proc/uptime)
	echo "$r $n $a $b"
}
r=1
while [ $r -le $R ]; do
	if [ $((r %% 2)) = 1 ]; then
%(forward)s
	else
%(backward)s
	fi
	r=$((r + 1))
done
'''

SCRIPT = r'''
VM_CMD_TIMEOUT=%(cmd_timeout)d
cat > /tmp/fleet.sh <<'FLEET_END'
%(timing)sFLEET_END
vm_modprobe %(modules)s
vm_wait_bound 60 %(ids)s || vm_log "not every device got a driver"
# let the type drivers finish probing (disks, consoles, input) before timing
sleep 2
vm_run once-list virtioctl --json list
vm_run once-lspci-vvv lspci -vvv
vm_run once-metrics virtioctl metrics
vm_run once-dump-all virtioctl --json dump --all
vm_run once-check-all virtioctl --json check --all
vm_sh once-info "uname -r; cat /proc/loadavg; ls /sys/bus/pci/devices | wc -l"
vm_run timing sh /tmp/fleet.sh %(rounds)d %(reps)d
vm_checkpoint timed
%(profile)s'''

# With --profile: each command once under strace -c (after the timing).
PROFILED = ("metrics", "dump-all", "lspci-vvv")
PROFILE = "".join('vm_sh profile-%s "strace -c -f -o /tmp/%s.st %s > /dev/null; cat /tmp/%s.st"\n'
                  % (n, n, c, n) for n, c in COMMANDS if n in PROFILED)


class Collected:
    def __init__(self):
        self.results = {}
        self.failures = []


def _timing_lines(cmds):
    return "\n".join("\t\tt %s %s" % (n, c) for n, c in cmds)


def make_scenario(functions, rounds, reps, out, icount=None, profile=False):
    nvirtio = functions - BUILTIN
    if not 1 <= nvirtio <= len(POOL):
        raise SystemExit("bench fleet: sizes from %d to %d functions" % (BUILTIN + 1,
                                                                          BUILTIN + len(POOL)))
    pool = POOL[:nvirtio]
    devices, disks, dirs = [], [], []
    for slot, (i, model, backend, disk) in enumerate(pool, start=1):
        devices.append(Device(i, model, slot, backend=backend))
        if disk:
            disks.append(Disk(disk, size=64 << 10))
        if model.startswith("virtio-9p-pci"):
            dirs.append(i)
    timing = TIMING % {"forward": _timing_lines(COMMANDS),
                       "backward": _timing_lines(reversed(COMMANDS))}
    script = SCRIPT % {"cmd_timeout": 60 + rounds * reps * 20, "timing": timing,
                       "modules": " ".join(MODULES), "ids": " ".join(d.id for d in devices),
                       "rounds": rounds, "reps": reps, "profile": PROFILE if profile else ""}
    files = {"usr/bin/lspci": "/usr/bin/lspci"}
    if profile:
        files["usr/bin/strace"] = "/usr/bin/strace"

    def check(ctx):
        want = sorted(ctx.addresses.values())
        lst = ctx.result("once-list")
        try:
            got = sorted(d["address"] for d in json.loads(lst.text)) if lst else None
        except (ValueError, KeyError, TypeError):
            got = None
        if got != want:
            ctx.fail("list gave %s, QEMU has %s" % (got, want))
        try:
            rows = {d["address"]: d for d in json.loads(lst.text)} if lst else {}
        except (ValueError, KeyError, TypeError):
            rows = {}
        for dev in ctx.scenario.devices:
            row = rows.get(ctx.addresses.get(dev.id), {})
            if row.get("transport") != dev.transport:
                ctx.fail("list: transport %s, want %s" % (row.get("transport"), dev.transport),
                         device=dev)
        lv = ctx.result("once-lspci-vvv")
        if lv and lv.text.count("\n\n") + (0 if lv.text.endswith("\n\n") else 1) < functions:
            ctx.fail("lspci -vvv shows fewer than %d functions" % functions)
        da = ctx.result("once-dump-all")
        try:
            doc = json.loads(da.text) if da else {}
            dumped = sorted(d["address"] for d in doc.get("devices", []))
        except (ValueError, KeyError, TypeError, AttributeError):
            dumped = None
        if dumped != want:
            ctx.fail("dump --all dumped %s, QEMU has %s" % (dumped, want))
        me = ctx.result("once-metrics")
        if me and me.text.count("virtioctl_device_info{") != nvirtio:
            ctx.fail("metrics has %d info series, want %d"
                     % (me.text.count("virtioctl_device_info{"), nvirtio))
        ca = ctx.result("once-check-all")
        try:
            cdoc = json.loads(ca.text) if ca else {}
        except ValueError:
            cdoc = {}
        if ca and (cdoc.get("exit_status") != ca.rc or
                   cdoc.get("counts", {}).get("functions") != nvirtio):
            ctx.fail("check --all: exit %s, document %s" % (ca.rc, cdoc.get("counts")))
        for name in ("once-list", "once-lspci-vvv", "once-metrics", "once-dump-all", "timing"):
            r = ctx.results.get(name)
            if r is not None and r.rc != 0:
                ctx.fail("%s exited %s: %s" % (name, r.rc,
                                               r.stderr.decode("utf-8", "replace")[-300:]))
        out.results.update(ctx.results)
        out.failures = list(ctx.failures)

    return Scenario(
        name="fleet-%d" % functions,
        description="virtioctl list/metrics/dump --all vs lspci, %d PCI functions" % functions,
        modules=MODULES,
        devices=devices,
        disks=disks,
        dirs=dirs,
        script=script,
        checks=[check],
        files=files,
        # guest time from instructions executed, not from the host's clock:
        # the load of a shared machine no longer stretches the timings
        qemu_args=["-icount", "shift=%d,sleep=off" % icount] if icount is not None else [],
        timeout=240 + rounds * reps * len(COMMANDS) * functions // 2,
    )


def parse_timing(text):
    """{round: {name: seconds per call}} from the guest's timing lines."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) != 4:
            continue
        r, name, a, b = int(f[0]), f[1], float(f[2]), float(f[3])
        out.setdefault(r, {})[name] = b - a
    return out


def summarize(timing, reps, functions):
    per_call = {n: [timing[r][n] / reps for r in sorted(timing) if n in timing[r]]
                for n, _ in COMMANDS}
    rows = {}
    for n, _ in COMMANDS:
        v = per_call[n]
        rows[n] = {"ms": statistics.median(v) * 1000 if v else None,
                   "ms_per_function": statistics.median(v) * 1000 / functions if v else None,
                   "rounds_ms": [x * 1000 for x in v]}
    pairs = []
    for a, b in PAIRS:
        ratios = [timing[r][a] / timing[r][b] for r in sorted(timing)
                  if a in timing[r] and b in timing[r] and timing[r][b] > 0]
        pairs.append({"virtioctl": a, "lspci": b,
                      "ratio": statistics.median(ratios) if ratios else None,
                      "rounds": ratios})
    return rows, pairs


def add_arguments(ap):
    ap.add_argument("--sizes", default="8,16,32", metavar="N,N,...",
                    help="fleet: PCI functions per guest, 4 of them q35's own "
                         "(default 8,16,32; at most %d)" % (BUILTIN + len(POOL)))
    ap.add_argument("--fleet-rounds", type=int, default=4, metavar="N",
                    help="fleet: timing rounds per guest, order alternating (default 4)")
    ap.add_argument("--fleet-reps", type=int, default=3, metavar="K",
                    help="fleet: runs of each command per round, timed together (default 3)")
    ap.add_argument("--icount", type=int, default=None, metavar="SHIFT",
                    help="fleet: run the guests with -icount shift=SHIFT,sleep=off: guest "
                         "time counts instructions (2^SHIFT ns each), independent of the "
                         "host's load")
    ap.add_argument("--profile", action="store_true",
                    help="fleet: also run metrics, dump-all and lspci-vvv once each under "
                         "strace -c in the guest and print the tables (needs strace)")


def run(a, virtioctl, cache, harness_args):
    import run as vmrun     # tests/vm/run.py
    import shutil
    import signal

    if shutil.which(a.qemu) is None:
        raise SystemExit("bench: %s not found (package qemu-system-x86)" % a.qemu)
    if not os.path.isfile("/usr/bin/lspci"):
        raise SystemExit("bench: /usr/bin/lspci not found (package pciutils)")
    try:
        sizes = [int(x) for x in a.sizes.split(",") if x]
    except ValueError:
        raise SystemExit("bench fleet: --sizes takes numbers: 8,16,32")
    if a.profile and shutil.which("strace") is None:
        raise SystemExit("bench fleet: --profile needs strace (package strace)")
    if a.fleet_rounds < 1 or a.fleet_reps < 1:
        raise SystemExit("bench fleet: --fleet-rounds and --fleet-reps >= 1")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, vmrun._on_signal)
    vmrun.remove_stale_tmpdirs()
    try:
        ast = assets.prepare(cache, MODULES)
    except HarnessError as e:
        raise SystemExit("bench: guest assets: %s" % e)
    res = {"guest_kernel": ast.kver, "rounds": a.fleet_rounds, "reps": a.fleet_reps,
           "icount": a.icount,
           "sizes": [], "ok": True, "failures": []}
    for n in sizes:
        out = Collected()
        sc = make_scenario(n, a.fleet_rounds, a.fleet_reps, out, a.icount, a.profile)
        print("[bench] fleet: %d PCI functions (%d virtio), %d round(s) x %d run(s)"
              % (n, n - BUILTIN, a.fleet_rounds, a.fleet_reps), file=sys.stderr, flush=True)
        t0 = time.monotonic()
        load0 = os.getloadavg()[0]
        try:
            ok = vmrun.run_scenario(sc, harness_args, ast)
        except (vmrun.Interrupted, KeyboardInterrupt) as e:
            raise SystemExit("bench: interrupted (%s)" % e)
        t = out.results.get("timing")
        timing = parse_timing(t.text) if t is not None else {}
        rows, pairs = summarize(timing, a.fleet_reps, n) if timing else ({}, [])
        info = out.results.get("once-info")
        res["sizes"].append({
            "functions": n, "virtio": n - BUILTIN, "ok": bool(ok) and not out.failures,
            "failures": out.failures, "commands": rows, "pairs": pairs,
            "guest_info": info.text.split("\n") if info is not None else None,
            "profile": {p: out.results["profile-" + p].text for p in PROFILED
                        if "profile-" + p in out.results},
            "host_load": [load0, os.getloadavg()[0]],
            "wall_seconds": round(time.monotonic() - t0, 1)})
        if not (ok and not out.failures):
            res["ok"] = False
            res["failures"] += ["%d functions: %s" % (n, f) for f in out.failures] or \
                ["%d functions: the guest run failed" % n]
    return res


def _f(x, fmt="%.1f"):
    return fmt % x if x is not None else "-"


def print_table(res, f=sys.stdout):
    print("%-10s %8s %8s %8s %8s %10s" % ("functions", "command", "ms/call", "ms/fn",
                                         "", "host load"), file=f)
    for s in res["sizes"]:
        for n, _ in COMMANDS:
            r = s["commands"].get(n, {})
            print("%-10s %-10s %8s %8s %8s %10s" % (
                s["functions"], n, _f(r.get("ms")), _f(r.get("ms_per_function"), "%.2f"), "",
                "%.1f-%.1f" % tuple(s["host_load"])), file=f)
    print("", file=f)
    print("%-10s %-22s %8s   %s" % ("functions", "pair", "ratio", "per round"), file=f)
    for s in res["sizes"]:
        for p in s["pairs"]:
            print("%-10s %-22s %8s   %s" % (
                s["functions"], "%s / %s" % (p["virtioctl"], p["lspci"]), _f(p["ratio"], "%.2f"),
                " ".join("%.2f" % x for x in p["rounds"])), file=f)
    print("ratio = virtioctl / lspci in the same guest, median of same-round ratios over %d "
          "round(s) of %d run(s) each" % (res["rounds"], res["reps"]), file=f)
    for s in res["sizes"]:
        for name, text in s.get("profile", {}).items():
            print("\n-- %d functions: strace -c -f of %s (one run, after the timing) --"
                  % (s["functions"], name), file=f)
            print(text.rstrip("\n"), file=f)
