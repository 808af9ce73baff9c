"""virtioctl's read-only commands vs lspci, on this machine, in the same run.

Read-only on both sides: `virtioctl list` vs `lspci`,
`virtioctl --json dump ADDR` vs `lspci -vvv -s ADDR` (no --select, no
--force: virtioctl writes nothing to a device bound to a driver), and for
the whole host `virtioctl metrics` and `virtioctl --json dump --all` vs
`lspci -vvv -d 1af4:` (every virtio function; `metrics` never writes).
Separately, the cost of `virtioctl watch --interval 1000` as the share of
one CPU it uses over --watch-seconds (its rusage over the wall time).  Each
command runs REPS times, the two of a pair interleaved (A B, B A, A B, ...)
so that drift on the machine hits both alike, after a few warm-up runs.
Per run: wall time (time.perf_counter around fork, exec and wait) and CPU
time (the child's rusage from wait4()).  Peak RSS comes from separate runs
under GNU time (`/usr/bin/time -f %M`, Debian package "time"): a child's
ru_maxrss as Python's wait4() sees it is at least the RSS of the process
that forked it (Linux records the pre-exec memory's high-water mark), i.e.
Python's ~19 MB for both commands; GNU time's own floor (`time true`) is
printed alongside.  Then, once each, the instruction count under
valgrind's callgrind (repeatable, unlike time).  Ratios are virtioctl /
lspci: below 1, virtioctl is cheaper.
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def _run_once(argv):
    """(wall seconds, cpu seconds, max RSS KiB, exit status) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def _stats(xs):
    xs = sorted(xs)
    return {"median": statistics.median(xs), "mean": statistics.fmean(xs),
            "min": xs[0], "max": xs[-1],
            "p90": xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]}


def measure_pair(a, b, reps, warmup):
    """Interleaved runs of argv lists a and b."""
    for argv in (a, b):
        rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if rc.returncode != 0:
            raise SystemExit("bench: %s exited %d: %s" % (
                " ".join(argv), rc.returncode, rc.stderr.decode(errors="replace")[-300:]))
    for _ in range(warmup):
        _run_once(a)
        _run_once(b)
    samples = {"a": [], "b": []}
    for i in range(reps):
        order = ("a", "b") if i % 2 == 0 else ("b", "a")
        for k in order:
            samples[k].append(_run_once(a if k == "a" else b))
    out = {}
    for k in ("a", "b"):
        s = samples[k]
        out[k] = {"wall_s": _stats([x[0] for x in s]), "cpu_s": _stats([x[1] for x in s]),
                  "failed_runs": sum(1 for x in s if x[3] != 0)}
    if GNU_TIME:
        rss = {"a": [], "b": []}
        for i in range(min(reps, RSS_REPS)):
            for k in (("a", "b") if i % 2 == 0 else ("b", "a")):
                rss[k].append(peak_rss_kib(a if k == "a" else b))
        for k in ("a", "b"):
            vals = [x for x in rss[k] if x is not None]
            out[k]["maxrss_kib"] = _stats(vals) if vals else None
    return out


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
RSS_REPS = 30


def peak_rss_kib(argv):
    """Peak RSS of one run, KiB, from GNU time (None if it said nothing)."""
    with tempfile.NamedTemporaryFile("r") as f:
        subprocess.run([GNU_TIME, "-f", "%M", "-o", f.name] + argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        text = f.read().split()
    return int(text[-1]) if text and text[-1].isdigit() else None


def callgrind_instructions(argv):
    """Instructions executed (callgrind's "Collected"), or None."""
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["valgrind", "--tool=callgrind",
                            "--callgrind-out-file=" + os.path.join(d, "cg.out")] + argv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
    return int(m.group(1)) if m else None


def watch_cost(virtioctl, seconds):
    """CPU share of `virtioctl watch --interval 1000 --count N` (N polls,
    about N seconds): its user+system time over its wall time."""
    print("[bench] host: virtioctl watch --interval 1000 for %d s ..." % seconds,
          file=sys.stderr, flush=True)
    argv = [virtioctl, "watch", "--interval", "1000", "--count", str(seconds)]
    wall, cpu, _, rc = _run_once(argv)
    return {"argv": ["virtioctl"] + argv[1:], "wall_s": wall, "cpu_s": cpu,
            "cpu_share": cpu / wall if wall else None, "exit": rc}


def first_virtio_device(virtioctl):
    r = subprocess.run([virtioctl, "--json", "list"], stdout=subprocess.PIPE, text=True)
    try:
        devs = json.loads(r.stdout)
    except ValueError:
        devs = []
    # Only devices a kernel driver owns: virtioctl writes nothing to those,
    # while on an unbound one `dump` writes the selector registers.
    devs = [d for d in devs if d.get("driver")]
    if not devs:
        raise SystemExit("bench: no driver-bound virtio device here: use --device")
    for d in devs:
        if d.get("virtio_device_type") == "block":
            return d["address"]
    return devs[0]["address"]


def _version(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=30)
        return r.stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def machine_info():
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    virt = _version(["systemd-detect-virt"]) if shutil.which("systemd-detect-virt") else None
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
            "virtualization": virt}


def add_arguments(ap):
    ap.add_argument("--reps", type=int, default=200,
                    help="timed runs of each command (default 200)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed runs first (default 5)")
    ap.add_argument("--device", metavar="ADDR",
                    help="device for the dump pair (default: the first driver-bound virtio "
                    "block device, else the first driver-bound device)")
    ap.add_argument("--no-callgrind", action="store_true",
                    help="skip the instruction counts under valgrind")
    ap.add_argument("--watch-seconds", type=int, default=30,
                    help="how long `virtioctl watch --interval 1000` runs for its CPU share "
                    "(default 30; 0 skips it)")


def run(a, virtioctl):
    if not shutil.which("lspci"):
        raise SystemExit("bench: lspci not found (package pciutils)")
    if a.reps < 3:
        raise SystemExit("bench: --reps must be at least 3")
    addr = a.device or first_virtio_device(virtioctl)
    pairs = [
        ("list", [virtioctl, "list"], ["lspci"]),
        ("dump", [virtioctl, "--json", "dump", addr], ["lspci", "-vvv", "-s", addr]),
        ("metrics", [virtioctl, "metrics"], ["lspci", "-vvv", "-d", "1af4:"]),
        ("dumpall", [virtioctl, "--json", "dump", "--all"], ["lspci", "-vvv", "-d", "1af4:"]),
    ]
    rows = []
    for name, va, la in pairs:
        print("[bench] host: %s vs %s, %d runs each ..." % (
            " ".join(["virtioctl"] + va[1:]), " ".join(la), a.reps), file=sys.stderr, flush=True)
        m = measure_pair(va, la, a.reps, a.warmup)
        row = {"name": name, "virtioctl_argv": ["virtioctl"] + va[1:], "peer_argv": la,
               "virtioctl": m["a"], "peer": m["b"]}
        for key, stat in (("wall_s", "median"), ("cpu_s", "median"), ("maxrss_kib", "median")):
            if m["a"].get(key) and m["b"].get(key):
                p = m["b"][key][stat]
                row["ratio_" + key] = m["a"][key][stat] / p if p else None
            else:
                row["ratio_" + key] = None
        if not a.no_callgrind:
            vi, li = callgrind_instructions(va), callgrind_instructions(la)
            row["virtioctl"]["instructions"] = vi
            row["peer"]["instructions"] = li
            row["ratio_instructions"] = vi / li if vi and li else None
        rows.append(row)
    if not GNU_TIME:
        print("[bench] host: no /usr/bin/time (apt-get install time): no peak RSS",
              file=sys.stderr)
    watch = watch_cost(virtioctl, a.watch_seconds) if a.watch_seconds > 0 else None
    return {"machine": machine_info(), "device": addr, "reps": a.reps, "warmup": a.warmup,
            "watch": watch,
            "rss_runs": min(a.reps, RSS_REPS) if GNU_TIME else 0,
            "gnu_time_floor_kib": peak_rss_kib(["true"]) if GNU_TIME else None,
            "lspci": _version(["lspci", "--version"]),
            "virtioctl_version": _version([virtioctl, "--version"]),
            "valgrind": None if a.no_callgrind else _version(["valgrind", "--version"]),
            "rows": rows}


def print_table(res, f=sys.stdout):
    print("%-8s %-22s %12s %12s %7s" % ("pair", "measure", "virtioctl", "lspci", "ratio"),
          file=f)

    def line(name, what, v, p, r, fmt):
        print("%-8s %-22s %12s %12s %7s" % (name, what, fmt(v), fmt(p),
                                             "%.2f" % r if r else "-"), file=f)

    for row in res["rows"]:
        v, p = row["virtioctl"], row["peer"]
        ms = lambda x: "%.2f" % (x * 1e3)          # noqa: E731
        line(row["name"], "wall ms (median)", v["wall_s"]["median"], p["wall_s"]["median"],
             row["ratio_wall_s"], ms)
        line("", "wall ms (min)", v["wall_s"]["min"], p["wall_s"]["min"],
             v["wall_s"]["min"] / p["wall_s"]["min"], ms)
        line("", "cpu ms (median)", v["cpu_s"]["median"], p["cpu_s"]["median"],
             row["ratio_cpu_s"], ms)
        if v.get("maxrss_kib") and p.get("maxrss_kib"):
            line("", "peak RSS KiB (median)", v["maxrss_kib"]["median"],
                 p["maxrss_kib"]["median"], row["ratio_maxrss_kib"], lambda x: "%d" % x)
        if "ratio_instructions" in row:
            line("", "instructions", v.get("instructions"), p.get("instructions"),
                 row["ratio_instructions"], lambda x: "{:,}".format(x) if x else "-")
    print("list = `virtioctl list` vs `lspci`; dump = `virtioctl --json dump %s` vs "
          "`lspci -vvv -s %s`;\nmetrics = `virtioctl metrics`, dumpall = `virtioctl --json "
          "dump --all`, both vs `lspci -vvv -d 1af4:`" % (res["device"], res["device"]), file=f)
    w = res.get("watch")
    if w:
        print("watch --interval 1000: %.1f ms CPU in %.1f s = %.3f%% of one CPU (exit %d)" % (
            w["cpu_s"] * 1e3, w["wall_s"], 100 * w["cpu_share"], w["exit"]), file=f)
    print("ratio = virtioctl / lspci (below 1: virtioctl is cheaper); %d interleaved runs "
          "each (peak RSS: %d under GNU time, whose own floor is %s KiB)"
          % (res["reps"], res["rss_runs"], res["gnu_time_floor_kib"]), file=f)
