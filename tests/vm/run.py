#!/usr/bin/python3
"""Run virtioctl's QEMU guest scenarios (meson test suite "vm").

  run.py --virtioctl build/virtioctl SCENARIO [SCENARIO...]
  run.py --list
  run.py --virtioctl build/virtioctl --interactive modern

See tests/vm/README.md.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from vmharness import HarnessError, assets, initramfs, scenario   # noqa: E402
from vmharness.qemu import GuestFailure, Machine, QMPError         # noqa: E402
from vmharness.context import Context                             # noqa: E402
from vmharness.daemons import Running                              # noqa: E402


class Interrupted(BaseException):
    pass


def _on_signal(signum, frame):
    raise Interrupted("signal %d" % signum)


def pci_addresses(pci_info):
    """{qdev id: "0000:BB:DD.F"} from query-pci."""
    out = {}

    def walk(devs):
        for d in devs:
            if d.get("qdev_id"):
                out[d["qdev_id"]] = "0000:%02x:%02x.%x" % (
                    d["bus"], d["slot"], d["function"])
            br = d.get("pci_bridge")
            if br and br.get("devices"):
                walk(br["devices"])

    for bus in pci_info:
        walk(bus["devices"])
    return out


def run_scenario(sc, args, cache_assets):
    t0 = time.monotonic()
    tmpdir = tempfile.mkdtemp(prefix=TMP_PREFIX + sc.name + "-")
    with open(os.path.join(tmpdir, "owner.pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    machine = None
    daemons = None
    ctx = None
    ok = False
    try:
        subst = {"tmp": tmpdir}
        for d in sc.disks:
            subst["disk_" + d.name] = d.create(tmpdir)
            print("[vm] disk %s: %d bytes, sha256 %s (first 4 KiB %s)"
                  % (d.name, d.size, d.sha256, d.sha256_4k), flush=True)
        for d in sc.dirs:
            os.makedirs(os.path.join(tmpdir, d), exist_ok=True)

        env = {"VM_SCENARIO": sc.name,
               "VM_INTERACTIVE": "1" if args.interactive else "0"}
        for d in sc.disks:
            env["VM_DISK_%s_SHA256" % d.name.upper()] = d.sha256
            env["VM_DISK_%s_SHA256_4K" % d.name.upper()] = d.sha256_4k
            env["VM_DISK_%s_SIZE" % d.name.upper()] = d.size
        virtioctl = None if args.virtioctl == "none" else args.virtioctl
        if sc.needs_virtioctl and virtioctl is None:
            raise HarnessError("scenario %s needs --virtioctl" % sc.name)
        initrd = os.path.join(tmpdir, "initramfs.cpio")
        script = sc.script if not args.no_script else "true\n"
        initramfs.build(initrd, cache_assets, sc.modules, virtioctl, script,
                        env, host_files=sc.files)
        t_img = time.monotonic()

        if sc.daemons:
            daemons = Running(sc.daemons, subst, tmpdir)
        argv = sc.qemu_argv(args.qemu, cache_assets.vmlinux, initrd, subst,
                            args.append or "")
        log_path = None
        if args.log_dir:
            os.makedirs(args.log_dir, exist_ok=True)
            log_path = os.path.join(args.log_dir, "%s.console.log" % sc.name)
        timeout = args.timeout or sc.timeout
        machine = Machine(argv, tmpdir, timeout, args.interactive,
                          console_log=log_path, verbose=args.verbose)
        ctx = Context(sc, machine, sc.disks, tmpdir, virtioctl)

        def handler(m, kind, arg):
            if kind == "hello":
                print("[vm] guest up (%s) after %.1fs"
                      % (arg, m.t_hello - m.t_start), flush=True)
            elif kind == "checkpoint":
                ctx.checkpoints.append(arg)
                if args.verbose:
                    print("[vm] checkpoint %s" % arg, flush=True)
                reply = []
                if arg == "boot":
                    ctx.pci = ctx.qmp.command("query-pci")
                    addrs = pci_addresses(ctx.pci)
                    for d in sc.devices:
                        if d.id not in addrs:
                            raise HarnessError("device %s is not in QEMU's "
                                               "query-pci" % d.id)
                        ctx.addresses[d.id] = addrs[d.id]
                        reply.append("%s %s" % (d.id, addrs[d.id]))
                ctx.snapshot(arg)
                hook = sc.hooks.get(arg)
                if hook:
                    reply.extend(hook(ctx) or [])
                return reply
            elif kind == "result":
                if args.verbose:
                    print("[vm] result %s: rc=%s, %d bytes out, %d bytes err"
                          % (arg.name, arg.rc, len(arg.stdout),
                             len(arg.stderr)), flush=True)
            elif kind == "log":
                print("[vm] guest: %s" % arg, flush=True)
            elif kind == "done":
                print("[vm] guest script done (exit %d) after %.1fs"
                      % (arg, m.t_done - m.t_start), flush=True)
                if args.interactive:
                    if not args.no_script:
                        finish_checks(ctx)
                    print("[vm] interactive: QMP for you at %s "
                          "(e.g. socat - UNIX-CONNECT:%s); Ctrl-A x quits QEMU"
                          % (os.path.join(tmpdir, "qmp-user.sock"),
                             os.path.join(tmpdir, "qmp-user.sock")), flush=True)

        machine.start()
        machine.run(handler)
        t_run = time.monotonic()
        if not args.interactive and not args.no_script:
            if machine.done_rc != 0:
                ctx.fail("the guest script exited with status %d"
                         % machine.done_rc)
            finish_checks(ctx)
        machine.kill()
        print("[vm] %s: initramfs %.1fs, boot-to-userspace %.1fs, script %.1fs,"
              " total %.1fs" % (
                  sc.name, t_img - t0,
                  (machine.t_hello or t_run) - machine.t_start,
                  (machine.t_done or t_run) - (machine.t_hello or t_run),
                  time.monotonic() - t0), flush=True)
        if args.dump_qmp:
            with open(args.dump_qmp, "w") as f:
                json.dump({"addresses": ctx.addresses,
                           "snapshots": ctx.snapshots,
                           "queues": ctx.queue_snapshots,
                           "results": {k: {"rc": r.rc, "stdout": r.text,
                                           "stderr": r.stderr.decode(
                                               "utf-8", "replace")}
                                       for k, r in ctx.results.items()}},
                          f, indent=1)
        ok = not ctx.failures
        report(ctx)
        return ok
    except (GuestFailure, HarnessError, QMPError) as e:
        print("[vm] %s: FAILED: %s" % (sc.name, e), flush=True)
        if isinstance(e, GuestFailure) and ctx is not None:
            print_queues(ctx)
        if ctx is not None and ctx.failures:
            report(ctx)
        return False
    finally:
        if machine is not None:
            machine.kill()
            if not ok:
                dump_logs(machine)
        if daemons is not None:
            if not ok:
                for name in daemons.logs:
                    print("---- %s (last lines) ----\n%s" % (name, daemons.tail(name)))
            daemons.stop()
        if args.keep:
            print("[vm] kept %s" % tmpdir)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


def print_queues(ctx):
    """QEMU's view of every queue when a guest failed (what is in flight,
    the indices, the notification state): a request a driver is still
    waiting for shows here as inuse > 0."""
    try:
        ctx.snapshot("failure")
    except (HarnessError, QMPError) as e:
        print("[vm] no queue status at the failure: %s" % e, flush=True)
        return
    keys = ("last-avail-idx", "shadow-avail-idx", "used-idx", "inuse",
            "signalled-used", "signalled-used-valid")
    for dev, queues in ctx.queue_snapshots.get("failure", {}).items():
        for i, q in enumerate(queues):
            print("[vm] at the failure: %s queue %d: %s" % (dev, i, ", ".join(
                "%s %s" % (k, q.get(k)) for k in keys if k in q)), flush=True)


TMP_PREFIX = "virtioctl-vm-"


def remove_stale_tmpdirs():
    """Temp dirs of harness runs that were killed outright (SIGKILL: their
    QEMU died with them through PR_SET_PDEATHSIG, the directory stayed)."""
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        path = os.path.join(base, name)
        if not name.startswith(TMP_PREFIX) or not os.path.isdir(path):
            continue
        try:
            with open(os.path.join(path, "owner.pid")) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, 0)
            continue            # still running
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:
            continue


def finish_checks(ctx):
    for check in ctx.scenario.checks:
        try:
            check(ctx)
        except (HarnessError, QMPError) as e:
            ctx.fail("check %s: %s" % (getattr(check, "__name__", check), e))
        except Exception as e:   # a bug in a check must fail, loudly
            import traceback
            traceback.print_exc()
            ctx.fail("check %s raised %s: %s" % (
                getattr(check, "__name__", check), type(e).__name__, e))


def report(ctx):
    name = ctx.scenario.name
    for n in ctx.notes:
        print("  note: " + n)
    if ctx.failures:
        print("[vm] %s: %d failure(s):" % (name, len(ctx.failures)))
        for f in ctx.failures:
            print("  FAIL " + f)
        # what the guest said, for failed commands
        for r in ctx.results.values():
            if r.rc != 0:
                print("  guest command %s exited %s; stderr: %s"
                      % (r.name, r.rc, r.stderr.decode("utf-8", "replace")
                         .strip()[-2000:]))
    else:
        print("[vm] %s: all checks passed (%d guest commands, checkpoints: %s)"
              % (name, len(ctx.results), ", ".join(ctx.checkpoints)))
    sys.stdout.flush()


def dump_logs(machine):
    err = machine.qemu_stderr().strip()
    if err:
        print("---- QEMU stderr ----\n" + err[-4000:])
    con = machine.console_text()
    if con:
        lines = con.splitlines()[-60:]
        print("---- guest console (last %d lines) ----" % len(lines))
        print("\n".join(lines))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", help="scenario names")
    ap.add_argument("--virtioctl", default="none",
                    help="host path of the virtioctl binary to test")
    ap.add_argument("--cache-dir", default=None,
                    help="download/unpack cache ($VIRTIOCTL_VM_CACHE, if set, "
                    "wins; default ./vm-cache)")
    ap.add_argument("--log-dir", default=None,
                    help="keep each guest's console log here")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--timeout", type=int, default=0,
                    help="per-boot hard timeout, seconds (default: scenario's)")
    ap.add_argument("--interactive", action="store_true",
                    help="console on this terminal; after the script, a shell")
    ap.add_argument("--no-script", action="store_true",
                    help="boot the scenario's devices but run no script and "
                    "no checks (with --interactive: a bare debugging guest)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--append", help="extra kernel command line")
    ap.add_argument("--dump-qmp", metavar="FILE",
                    help="write QMP snapshots and guest results as JSON")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--list", action="store_true", help="list scenarios")
    args = ap.parse_args()

    if args.list:
        for n in scenario.names():
            sc = scenario.load(n)
            print("%-16s %s" % (n, sc.description))
        return 0
    if not args.scenarios:
        ap.error("name a scenario (--list shows them)")
    if args.virtioctl != "none":
        if not os.path.isfile(args.virtioctl):
            print("[vm] virtioctl binary %s does not exist" % args.virtioctl)
            return 1
        args.virtioctl = os.path.abspath(args.virtioctl)
    if shutil.which(args.qemu) is None:
        print("[vm] FAILED: %s not found: install qemu-system-x86 "
              "(scripts/test does)" % args.qemu)
        return 1
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    if args.interactive:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    remove_stale_tmpdirs()
    # the environment wins over meson's per-build-dir default, so that one
    # cache can serve several build dirs
    cache = (os.environ.get("VIRTIOCTL_VM_CACHE") or args.cache_dir
             or os.path.abspath("vm-cache"))
    try:
        scs = [scenario.load(n) for n in args.scenarios]
        mods = sorted({m for sc in scs for m in sc.modules})
        t0 = time.monotonic()
        a = assets.prepare(cache, mods)
        print("[vm] guest kernel %s (%s), assets ready in %.1fs"
              % (a.kver, a.pkgver, time.monotonic() - t0), flush=True)
    except HarnessError as e:
        print("[vm] FAILED: %s" % e)
        return 1
    failed = []
    try:
        for sc in scs:
            if not run_scenario(sc, args, a):
                failed.append(sc.name)
    except (Interrupted, KeyboardInterrupt) as e:
        print("[vm] interrupted (%s)" % e)
        return 1
    if failed:
        print("[vm] FAILED scenarios: %s" % " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
