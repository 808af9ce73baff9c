"""Build the guest initramfs (cpio "newc", uncompressed: under TCG the kernel
unpacks it faster than it would decompress it)."""

import os
import re
import stat
import subprocess

from . import HarnessError

GUEST_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "guest")


class Cpio:
    def __init__(self):
        self.entries = {}   # path -> (mode, data, rdev)

    def _parents(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.entries:
                self.entries[d] = (stat.S_IFDIR | 0o755, b"", (0, 0))

    def add_dir(self, path, mode=0o755):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (stat.S_IFDIR | mode, b"", (0, 0))

    def add_file(self, path, data, mode=0o644):
        path = path.strip("/")
        if isinstance(data, str):
            data = data.encode()
        self._parents(path)
        self.entries[path] = (stat.S_IFREG | mode, data, (0, 0))

    def add_host_file(self, path, host_path, mode=None):
        with open(host_path, "rb") as f:
            data = f.read()
        if mode is None:
            mode = stat.S_IMODE(os.stat(host_path).st_mode)
        self.add_file(path, data, mode)

    def add_symlink(self, path, target):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (stat.S_IFLNK | 0o777, target.encode(), (0, 0))

    def add_chardev(self, path, major, minor, mode=0o600):
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = (stat.S_IFCHR | mode, b"", (major, minor))

    def write(self, out):
        ino = 1000
        with open(out, "wb") as f:
            def emit(name, mode, data, rdev):
                nonlocal ino
                nb = name.encode() + b"\0"
                hdr = "070701" + "".join("%08X" % v for v in (
                    ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0,
                    len(data), 0, 0, rdev[0], rdev[1], len(nb), 0))
                ino += 1
                f.write(hdr.encode() + nb)
                f.write(b"\0" * ((4 - (110 + len(nb)) % 4) % 4))
                f.write(data)
                f.write(b"\0" * ((4 - len(data) % 4) % 4))
            # parents sort before children
            for name in sorted(self.entries):
                emit(name, *self.entries[name])
            emit("TRAILER!!!", 0, b"", (0, 0))


def ldd_closure(binary):
    """Paths of the shared libraries (and the dynamic loader) a binary needs,
    as the host's loader resolves them."""
    r = subprocess.run(["ldd", binary], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    out = r.stdout + r.stderr
    if "not a dynamic executable" in out or "statically linked" in out:
        return []
    if r.returncode != 0:
        raise HarnessError("ldd %s failed: %s" % (binary, out))
    libs = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            raise HarnessError("ldd %s: %s" % (binary, line))
        m = re.match(r"\S+ => (/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
            continue
        m = re.match(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def libpci_idsdir():
    r = subprocess.run(["pkg-config", "--variable=idsdir", "libpci"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    d = r.stdout.strip()
    return d if r.returncode == 0 and d else "/usr/share/misc"


def build(out, assets, modules, virtioctl, script, env, extra_files=None,
          host_files=None):
    """Write the initramfs to out.

    modules: module names (closure taken here); virtioctl: host path or None;
    script: text of the scenario's guest script; env: dict written to
    /etc/vm/scenario.env; extra_files: {guest path: bytes | str};
    host_files: {guest path: host path}, executables with their ldd closure.
    """
    c = Cpio()
    for d in ("dev", "proc", "sys", "tmp", "run", "root", "etc/vm", "mnt"):
        c.add_dir(d)
    c.add_dir("tmp", 0o1777)
    c.add_chardev("dev/console", 5, 1)
    c.add_chardev("dev/null", 1, 3, 0o666)
    c.add_chardev("dev/ttyS0", 4, 64)
    c.add_chardev("dev/ttyS1", 4, 65)

    c.add_host_file("bin/busybox", assets.busybox, 0o755)
    for applet in assets.applets:
        applet = applet.strip("/")
        if applet != "bin/busybox":
            c.add_symlink(applet, "/bin/busybox")
    c.add_host_file("init", os.path.join(GUEST_DIR, "init"), 0o755)
    c.add_host_file("etc/vm/lib.sh", os.path.join(GUEST_DIR, "lib.sh"), 0o644)
    c.add_file("etc/vm/script.sh", script, 0o755)
    c.add_file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    c.add_file("etc/group", "root:x:0:\n")
    # login shells (the interactive shell of --interactive) get the helpers
    c.add_file("etc/profile", ". /etc/vm/scenario.env\n. /etc/vm/lib.sh\n"
               "PS1='vm:\\w# '\n")

    # Kernel modules: flat in /lib/modules/KVER, with a depmod-style
    # modules.dep for busybox modprobe and our own load order file.
    kv = assets.kver
    order = assets.closure(modules)
    for m in order:
        c.add_host_file("lib/modules/%s/%s.ko" % (kv, m), assets.module_path(m),
                        0o644)
    dep_lines, ord_lines = [], []
    for m in order:
        closure = assets.closure([m])
        deps = [d for d in reversed(closure) if d != m]
        dep_lines.append("%s.ko:%s" % (m, "".join(" %s.ko" % d for d in deps)))
        ord_lines.append("%s: %s" % (m, " ".join(closure)))
    c.add_file("lib/modules/%s/modules.dep" % kv, "\n".join(dep_lines) + "\n")
    c.add_file("etc/vm/modorder", "\n".join(ord_lines) + "\n")

    if virtioctl:
        c.add_host_file("usr/bin/virtioctl", virtioctl, 0o755)
        for lib in ldd_closure(virtioctl):
            c.add_host_file(lib, os.path.realpath(lib), 0o755)
        ids = libpci_idsdir()
        for name in ("pci.ids", "pci.ids.gz"):
            p = os.path.join(ids, name)
            if os.path.exists(p):
                c.add_host_file(p, p, 0o644)

    env = dict(env)
    env["VM_KVER"] = kv
    c.add_file("etc/vm/scenario.env", "".join(
        "%s='%s'\n" % (k, str(v).replace("'", "'\\''"))
        for k, v in sorted(env.items())))
    for path, data in (extra_files or {}).items():
        c.add_file(path, data, 0o755)
    for path, host in (host_files or {}).items():
        if not os.path.isfile(host):
            raise HarnessError("file for the initramfs %s does not exist" % host)
        c.add_host_file(path, host)
        if os.access(host, os.X_OK):
            for lib in ldd_closure(host):
                c.add_host_file(lib, os.path.realpath(lib), 0o755)
    c.write(out)
    return order
