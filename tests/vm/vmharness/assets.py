"""Guest kernel, kernel modules and busybox, fetched with apt-get download and
unpacked into a cache directory keyed by package version.

Nothing is installed into the host system: the .deb files are downloaded into
the cache and read with dpkg-deb.  The compressed bzImage is turned into an ELF
vmlinux once (QEMU boots it through its PVH entry point, which saves the
seconds TCG spends decompressing a bzImage on every boot).
"""

import fcntl
import json
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib

from . import HarnessError

KERNEL_META = "linux-image-amd64"
BUSYBOX_PKG = "busybox-static"

# Modules every cache gets, whatever the scenario (dependencies are added):
# all virtio-pci drivers this harness boots devices for, and VFIO.
DEFAULT_MODULES = [
    "virtio_pci", "virtio_net", "virtio_blk", "virtio_console", "virtio_rng",
    "virtio_balloon", "virtio_scsi", "virtio_gpu", "virtio_input",
    "virtio_crypto", "9pnet_virtio", "9p", "virtio_pmem", "virtio_mem",
    "vfio_pci", "vfio_iommu_type1", "sd_mod", "evdev",
]

INDEX_VERSION = 2


def log(msg):
    print("[vm] " + msg, flush=True)


def norm_mod(name):
    return name.replace("-", "_")


def _run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


# --------------------------------------------------------------------------
# apt helpers

def apt_candidate(pkg):
    """(version, filename-ish) of the candidate of pkg, or None."""
    r = _run(["apt-cache", "show", "--no-all-versions", pkg])
    if r.returncode != 0:
        return None
    for line in r.stdout.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return None


def apt_kernel_package():
    """Name of the real kernel image package linux-image-amd64 points to."""
    r = _run(["apt-cache", "depends", "--no-recommends", "--no-suggests",
              KERNEL_META])
    if r.returncode != 0:
        return None
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("Depends:"):
            dep = line.split(":", 1)[1].strip().strip("<>")
            if dep.startswith("linux-image-"):
                return dep
    return None


_apt_updated = False


def _apt_lists_stamp():
    try:
        return os.stat("/var/lib/apt/lists").st_mtime_ns
    except OSError:
        return 0


def _apt_update():
    """apt knows nothing about a package we need: refresh its lists once."""
    global _apt_updated
    _apt_updated = True
    log("apt-cache does not know the guest packages: running apt-get update")
    r = _run(["apt-get", "update", "-q"])
    if r.returncode != 0:
        log("apt-get update failed (%d): %s" % (r.returncode, r.stderr.strip()))


def apt_download(pkg, version, dest_dir):
    """Download pkg=version into dest_dir; return the .deb path."""
    tmp = tempfile.mkdtemp(prefix="dl-", dir=dest_dir)
    try:
        # Let apt's unprivileged _apt user write here (else apt warns that
        # it downloads unsandboxed); the directory is ours and temporary.
        os.chmod(tmp, 0o777)
        spec = pkg if version is None else "%s=%s" % (pkg, version)
        r = _run(["apt-get", "download", "-q", spec], cwd=tmp)
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if r.returncode != 0 or len(debs) != 1:
            raise HarnessError(
                "apt-get download %s failed (exit %d):\n%s%s\n"
                "The VM tests need Debian's %s package (downloaded into the "
                "build cache, not installed). Check that apt works here "
                "(apt-get update) or point VIRTIOCTL_VM_KERNEL_DEB / "
                "VIRTIOCTL_VM_BUSYBOX_DEB at local .deb files."
                % (spec, r.returncode, r.stdout, r.stderr, pkg))
        final = os.path.join(dest_dir, debs[0])
        os.replace(os.path.join(tmp, debs[0]), final)
        os.chmod(final, 0o644)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def deb_field(deb, field):
    r = _run(["dpkg-deb", "-f", deb, field])
    if r.returncode != 0:
        raise HarnessError("dpkg-deb -f %s failed: %s" % (deb, r.stderr))
    return r.stdout.strip()


def iter_deb(deb):
    """Yield (tarinfo, tarfile) for each member of a .deb's data archive,
    streaming (dpkg-deb decompresses whatever compression the .deb uses)."""
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb],
                         stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=p.stdout, mode="r|") as tf:
            for m in tf:
                yield m, tf
    finally:
        p.stdout.close()
        rc = p.wait()
    if rc != 0:
        raise HarnessError("dpkg-deb --fsys-tarfile %s failed (%d)" % (deb, rc))


# --------------------------------------------------------------------------
# bzImage -> vmlinux (the method of the kernel's scripts/extract-vmlinux)

def _is_elf(data):
    return data[:4] == b"\x7fELF"


def _try_xz(data, off):
    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    try:
        return d.decompress(data[off:])
    except lzma.LZMAError:
        return None


def _try_lzma(data, off):
    d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    try:
        return d.decompress(data[off:])
    except lzma.LZMAError:
        return None


def _try_gzip(data, off):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return d.decompress(data[off:])
    except zlib.error:
        return None


def _try_zstd(data, off):
    if not shutil.which("zstd"):
        return None
    r = subprocess.run(["zstd", "-dcq"], input=data[off:],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # zstd complains about the trailing garbage after the frame but has
    # written the frame's content by then.
    return r.stdout or None


_METHODS = [
    (b"\xfd7zXZ\x00", _try_xz),
    (b"\x28\xb5\x2f\xfd", _try_zstd),
    (b"\x1f\x8b\x08", _try_gzip),
    (b"\x5d\x00\x00", _try_lzma),
]


def extract_vmlinux(bzimage):
    """Return the ELF vmlinux inside a compressed bzImage."""
    if _is_elf(bzimage):
        return bzimage
    for magic, fn in _METHODS:
        pos = bzimage.find(magic)
        tries = 0
        while pos >= 0 and tries < 16:
            out = fn(bzimage, pos)
            if out and _is_elf(out):
                return out
            pos = bzimage.find(magic, pos + 1)
            tries += 1
    raise HarnessError("no ELF vmlinux found inside the kernel image "
                       "(tried xz, zstd, gzip, lzma streams)")


# --------------------------------------------------------------------------
# kernel modules

def decompress_module(name, data):
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".zst"):
        r = subprocess.run(["zstd", "-dcq"], input=data,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise HarnessError("zstd -d %s failed: %s" % (name, r.stderr))
        return r.stdout
    if name.endswith(".gz"):
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    return data


def is_module_name(path):
    return path.endswith((".ko", ".ko.xz", ".ko.zst", ".ko.gz"))


def modinfo(data):
    """Parse the .modinfo section of an ELF64 little-endian module."""
    if not _is_elf(data) or data[4] != 2 or data[5] != 1:
        raise HarnessError("not an ELF64 LE kernel module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def sh(i):
        base = shoff + i * shentsize
        name, _type, _flags, _addr, off, size = struct.unpack_from(
            "<IIQQQQ", data, base)
        return name, off, size

    _, stroff, _ = sh(shstrndx)
    info = {}
    for i in range(shnum):
        nameoff, off, size = sh(i)
        end = data.index(b"\0", stroff + nameoff)
        if data[stroff + nameoff:end] != b".modinfo":
            continue
        for item in data[off:off + size].split(b"\0"):
            if b"=" in item:
                k, v = item.decode("utf-8", "replace").split("=", 1)
                info.setdefault(k, v)
        break
    return info


def module_closure(index, names):
    """Names (normalised) in load order: dependencies first."""
    order, seen = [], set()

    def visit(n, stack):
        n = norm_mod(n)
        if n in seen:
            return
        if n not in index:
            raise HarnessError("kernel module %r not in the guest kernel "
                               "(needed by %s)" % (n, " <- ".join(stack) or
                                                   "the scenario"))
        if n in stack:
            raise HarnessError("module dependency loop at %s" % n)
        for d in index[n]["depends"]:
            visit(d, stack + [n])
        seen.add(n)
        order.append(n)

    for n in names:
        visit(n, [])
    return order


def elf_interp(path):
    """The PT_INTERP of an ELF64 LE executable, or None if it is static."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    if not _is_elf(data) or data[4] != 2:
        raise HarnessError("%s is not an ELF64 file" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        ptype, _flags, off, _va, _pa, size = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if ptype == 3:
            with open(path, "rb") as f:
                f.seek(off)
                return f.read(size).rstrip(b"\0").decode()
    return None


# --------------------------------------------------------------------------

class Assets:
    """What a guest needs from the distribution, ready to use."""

    def __init__(self, kernel_dir, index, busybox, applets, kver, pkgver):
        self.kernel_dir = kernel_dir
        self.vmlinux = os.path.join(kernel_dir, "vmlinux")
        self.index = index
        self.busybox = busybox
        self.applets = applets
        self.kver = kver
        self.pkgver = pkgver

    def module_path(self, name):
        return os.path.join(self.kernel_dir, "modules", norm_mod(name) + ".ko")

    def closure(self, names):
        return module_closure(self.index, names)


class _Lock:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        t0 = time.monotonic()
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() - t0 > 900:
                    raise HarnessError("cache lock %s held for 15 minutes"
                                       % self.path)
                time.sleep(0.2)

    def __exit__(self, *a):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _resolve_deb(cache, pkg, env_var, fallback_prefix, resolve_name=None):
    """Find or download the .deb for pkg.  Returns (deb path, key) where key
    names the cache entry (package_version)."""
    override = os.environ.get(env_var)
    if override:
        if not os.path.isfile(override):
            raise HarnessError("%s=%s: no such file" % (env_var, override))
        name = deb_field(override, "Package")
        ver = deb_field(override, "Version")
        return override, "%s_%s" % (name, ver.replace(":", "%3a"))
    debdir = os.path.join(cache, "debs")
    os.makedirs(debdir, exist_ok=True)
    # apt-cache takes ~0.7 s a call: remember its answer for as long as
    # apt's package lists do not change.
    memo_path = os.path.join(debdir, "resolved.json")
    try:
        with open(memo_path) as f:
            memo = json.load(f)
    except (OSError, ValueError):
        memo = {}
    stamp = _apt_lists_stamp()
    m = memo.get(pkg)
    if m and m.get("stamp") == stamp and os.path.isfile(m.get("deb", "")):
        return m["deb"], m["key"]
    name = resolve_name() if resolve_name else pkg
    ver = apt_candidate(name) if name else None
    if (not name or not ver) and not _apt_updated and os.geteuid() == 0:
        _apt_update()
        name = resolve_name() if resolve_name else pkg
        ver = apt_candidate(name) if name else None
        stamp = _apt_lists_stamp()
    if name and ver:
        key = "%s_%s" % (name, ver.replace(":", "%3a"))
        deb = None
        for f in os.listdir(debdir):
            if f.startswith(key + "_") and f.endswith(".deb"):
                deb = os.path.join(debdir, f)
        if deb is None:
            log("downloading %s %s (apt-get download, into %s)"
                % (name, ver, debdir))
            deb = apt_download(name, ver, debdir)
        memo[pkg] = {"stamp": stamp, "deb": deb, "key": key}
        with open(memo_path + ".tmp", "w") as f:
            json.dump(memo, f)
        os.replace(memo_path + ".tmp", memo_path)
        return deb, key
    # apt knows nothing (no package lists?): use what the cache has.
    have = sorted((os.path.getmtime(os.path.join(debdir, f)), f)
                  for f in os.listdir(debdir)
                  if f.endswith(".deb") and f.startswith(fallback_prefix)
                  and not f.startswith(KERNEL_META + "_"))
    if have:
        f = have[-1][1]
        log("warning: apt-cache does not know %s; using cached %s" % (pkg, f))
        deb = os.path.join(debdir, f)
        return deb, "%s_%s" % (deb_field(deb, "Package"),
                               deb_field(deb, "Version").replace(":", "%3a"))
    raise HarnessError(
        "cannot obtain Debian package %s: apt-cache does not know it and the "
        "cache %s has no copy. Run 'apt-get update' as root, or "
        "set %s to a local .deb." % (pkg, debdir, env_var))


def _prepare_kernel(cache, want):
    deb, key = _resolve_deb(cache, KERNEL_META, "VIRTIOCTL_VM_KERNEL_DEB",
                            "linux-image-", apt_kernel_package)
    kdir = os.path.join(cache, "kernel", key)
    idx_path = os.path.join(kdir, "index.json")
    index = None
    if os.path.exists(idx_path):
        with open(idx_path) as f:
            data = json.load(f)
        if data.get("version") == INDEX_VERSION:
            index = data
    if index is None:
        t0 = time.monotonic()
        log("unpacking %s" % os.path.basename(deb))
        shutil.rmtree(kdir, ignore_errors=True)
        os.makedirs(os.path.join(kdir, "modules"))
        mods, kver, builtin = {}, None, []
        for m, tf in iter_deb(deb):
            name = m.name
            if not m.isfile():
                continue
            if name.startswith("./boot/vmlinuz-"):
                kver = name[len("./boot/vmlinuz-"):]
                data = tf.extractfile(m).read()
                vmlinux = extract_vmlinux(data)
                with open(os.path.join(kdir, "vmlinux.tmp"), "wb") as f:
                    f.write(vmlinux)
                os.replace(os.path.join(kdir, "vmlinux.tmp"),
                           os.path.join(kdir, "vmlinux"))
            elif name.startswith("./boot/config-"):
                with open(os.path.join(kdir, "config"), "wb") as f:
                    f.write(tf.extractfile(m).read())
            elif name.endswith("/modules.builtin"):
                builtin = tf.extractfile(m).read().decode().split()
            elif is_module_name(name):
                data = decompress_module(name, tf.extractfile(m).read())
                info = modinfo(data)
                base = os.path.basename(name).split(".ko")[0]
                mname = norm_mod(info.get("name", base))
                deps = [norm_mod(d) for d in info.get("depends", "").split(",")
                        if d]
                mods[mname] = {"path": name, "depends": deps}
        if kver is None:
            raise HarnessError("%s has no /boot/vmlinuz-*" % deb)
        index = {"version": INDEX_VERSION, "kver": kver, "key": key,
                 "modules": mods,
                 "builtin": sorted(norm_mod(os.path.basename(b).split(".ko")[0])
                                   for b in builtin)}
        with open(idx_path + ".tmp", "w") as f:
            json.dump(index, f, indent=0, sort_keys=True)
        os.replace(idx_path + ".tmp", idx_path)
        log("indexed %d modules of kernel %s in %.1fs"
            % (len(mods), kver, time.monotonic() - t0))
    mods = index["modules"]
    want = module_closure(mods, list(DEFAULT_MODULES) + list(want))
    missing = {mods[n]["path"]: n for n in want
               if not os.path.exists(os.path.join(kdir, "modules", n + ".ko"))}
    if missing:
        t0 = time.monotonic()
        for m, tf in iter_deb(deb):
            if m.name in missing:
                data = decompress_module(m.name, tf.extractfile(m).read())
                out = os.path.join(kdir, "modules", missing[m.name] + ".ko")
                with open(out + ".tmp", "wb") as f:
                    f.write(data)
                os.replace(out + ".tmp", out)
        log("extracted %d modules in %.1fs" % (len(missing),
                                               time.monotonic() - t0))
    return kdir, index, key


def _prepare_busybox(cache):
    deb, key = _resolve_deb(cache, BUSYBOX_PKG, "VIRTIOCTL_VM_BUSYBOX_DEB",
                            BUSYBOX_PKG + "_")
    bdir = os.path.join(cache, "busybox", key)
    bb = os.path.join(bdir, "busybox")
    lst = os.path.join(bdir, "applets.txt")
    if not (os.path.exists(bb) and os.path.exists(lst)):
        os.makedirs(bdir, exist_ok=True)
        for m, tf in iter_deb(deb):
            if m.isfile() and m.name in ("./bin/busybox", "./usr/bin/busybox"):
                with open(bb + ".tmp", "wb") as f:
                    f.write(tf.extractfile(m).read())
                os.chmod(bb + ".tmp", 0o755)
                os.replace(bb + ".tmp", bb)
                break
        else:
            raise HarnessError("%s has no busybox binary" % deb)
        if elf_interp(bb) is not None:
            raise HarnessError("%s: busybox is not static" % deb)
        r = _run([bb, "--list-full"])
        if r.returncode != 0:
            raise HarnessError("busybox --list-full failed: %s" % r.stderr)
        with open(lst + ".tmp", "w") as f:
            f.write(r.stdout)
        os.replace(lst + ".tmp", lst)
    with open(lst) as f:
        applets = [a.strip() for a in f if a.strip()]
    return bb, applets


def _prune(cache, keep, max_age=86400):
    """Remove cache entries (unpacked trees and .debs) of other package
    versions that have not been used for a day: a kernel update would
    otherwise leave ~200 MB behind each time."""
    now = time.time()
    for sub in ("kernel", "busybox", "debs"):
        d = os.path.join(cache, sub)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            path = os.path.join(d, name)
            if name == "resolved.json" or any(name.startswith(k) for k in keep):
                continue
            if now - os.path.getmtime(path) < max_age:
                continue
            log("pruning old cache entry %s" % path)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)


def prepare(cache, want_modules=()):
    os.makedirs(cache, exist_ok=True)
    with _Lock(os.path.join(cache, ".lock")):
        kdir, index, key = _prepare_kernel(cache, want_modules)
        bb, applets = _prepare_busybox(cache)
        bkey = os.path.basename(os.path.dirname(bb))
        for p in (kdir, os.path.dirname(bb)):
            os.utime(p)
        for f in os.listdir(os.path.join(cache, "debs")):
            if f.startswith((key + "_", bkey + "_")):
                os.utime(os.path.join(cache, "debs", f))
        _prune(cache, (key, bkey))
    return Assets(kdir, index["modules"], bb, applets, index["kver"], key)


if __name__ == "__main__":
    a = prepare(sys.argv[1] if len(sys.argv) > 1 else "vm-cache")
    print(a.vmlinux, a.kver, len(a.index), a.busybox, len(a.applets))
