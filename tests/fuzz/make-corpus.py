#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/TARGET/)
from the fixtures and from hand-made device data. The input formats are
described at the top of each tests/fuzz/fuzz_TARGET.c. Beside the seeds
live reproducers of findings (crash-*) and inputs libFuzzer found that
reach new code (lf-*, from -merge=1, the slow ones left out so that the
unit test stays fast); this script leaves both alone.

    tests/fuzz/make-corpus.py
"""
import os
import re
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, '..', 'fixtures')
corpus = os.path.join(here, 'corpus')


def write(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def parse_dump(text):
    """{address: config bytes} of an lspci -x.. dump (well-formed ones)."""
    devs, cur = {}, None
    for line in text.splitlines():
        m = re.match(r'^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ', line)
        if m:
            cur = devs.setdefault(m.group(1), bytearray())
            continue
        m = re.match(r'^([0-9a-f]{2,3}): ((?:[0-9a-f]{2} ?){16})$', line)
        if m and cur is not None:
            cur += bytes.fromhex(m.group(2))
    return devs


def fixture_devices():
    out = []
    for name in sorted(os.listdir(fixtures)):
        if not name.endswith('.txt') or name.startswith('bad-'):
            continue
        with open(os.path.join(fixtures, name)) as f:
            for addr, cfg in parse_dump(f.read()).items():
                if len(cfg) in (256, 4096) and cfg[0:2] == b'\xf4\x1a':
                    out.append((name[:-4] + '-' + addr.replace(':', '-'), bytes(cfg)))
    return out


def dump_seeds():
    for name in sorted(os.listdir(fixtures)):
        if name.endswith('.txt'):
            with open(os.path.join(fixtures, name), 'rb') as f:
                write('dump', name, f.read())


def caps_seeds(devs):
    # A selector alone is the model's own, well-formed device.
    for sel in (0x00, 0x01, 0x0a, 0x13, 0x21, 0x43, 0xc3, 0x48, 0xe1, 0x1a):
        write('caps', 'model-%02x' % sel, bytes([sel]))
    for name, cfg in devs:
        write('caps', name, bytes([0x21 if len(cfg) == 4096 else 0x01]) + cfg)
        write('caps', name + '-bound-select', bytes([0xc1]) + cfg[:256])


def devcfg_seeds():
    def hdr(features, known=1):
        return struct.pack('<QB', features, known)

    net = bytes.fromhex('525400123456') + struct.pack('<HHHIBBHII', 1, 4, 1500, 10000, 1, 40,
                                                        128, 0x1ff, 0x1f)
    write('devcfg', 'net', hdr((1 << 3) | (1 << 16) | (1 << 22) | (1 << 60) | (1 << 63)) + net)
    blk = struct.pack('<QIIHBBIBBHIBBHIIIIIBBBBII', 2048, 65536, 126, 16, 4, 63, 512, 3, 0, 1, 8,
                      1, 0, 4, 0xffff, 1, 8, 0xffff, 1, 1, 0, 0, 0, 0x10000, 1)
    write('devcfg', 'blk', hdr(0x3ffff) + blk)
    write('devcfg', 'blk-unknown-features', hdr(0, 0) + blk)
    tag = b'hostshare'
    write('devcfg', '9p-tag', hdr(1) + struct.pack('<H', len(tag)) + tag)
    write('devcfg', '9p-long-tag', hdr(1) + struct.pack('<H', 0xffff) + b'x' * 40)
    write('devcfg', 'fs', hdr(1) + b'myfs'.ljust(36, b'\0') + struct.pack('<II', 1, 4096))
    write('devcfg', 'utf8', hdr(0) + 'tagé€😀\x01\x7f'.encode() + b'\xc3\x28\xf0\x9f')
    write('devcfg', 'empty', hdr(0))
    write('devcfg', 'ones', hdr(~0 & (2**64 - 1)) + b'\xff' * 256)


def vring_seeds():
    post_w = bytes([0, 0, 1, 64])            # post: 1 segment, writable, 64 bytes
    post_rw = bytes([1, 1, 0, 16, 5, 0x10, 0x20])  # readable 16 + writable 0x2010
    forge_ok = bytes([3, 1, 0, 0, 32])       # used: step 1, id 0, len 32
    poll = bytes([4, 7])
    kick = bytes([5])
    desc = bytes([7])
    write('vring', 'roundtrip', bytes([0x03]) + post_w + kick + forge_ok + poll + desc)
    write('vring', 'event-idx', bytes([0x13]) + post_w + post_rw + kick + forge_ok + poll +
          forge_ok + poll + desc)
    write('vring', 'msix', bytes([0x24]) + post_w + forge_ok + poll)
    write('vring', 'bad-id', bytes([0x02]) + post_w + bytes([3, 1, 0, 7, 4]) + poll + poll)
    write('vring', 'bad-len', bytes([0x02]) + post_w + bytes([3, 1, 2, 0, 0x88, 0x13, 0, 0]) + poll)
    write('vring', 'jump', bytes([0x02]) + post_w + bytes([2, 2, 0, 2, 40, 0]) + poll)
    write('vring', 'full', bytes([0x01]) + post_w * 3 + kick + poll)
    write('vring', 'driver-areas', bytes([0x03]) + post_w + bytes([6, 1, 14, 0, 2, 0xff, 0xff]) +
          post_w + post_w + forge_ok + poll + desc)
    write('vring', 'legacy', bytes([0x43]) + post_w + post_rw + kick + forge_ok + poll + desc)
    write('vring', 'legacy-event-idx', bytes([0x52]) + post_w + kick + forge_ok + poll)
    write('vring', 'size256', bytes([0x08]) + (post_rw + kick) * 4 + forge_ok * 4 + poll)


def vpacked_seeds():
    # Ops (fuzz_vpacked.c): 0 post, 1 post indirect, 2 ring bytes, 3 forge,
    # 4 poll, 5 kick, 6 device event bytes, 7 model, 8 describe.
    post_w = bytes([0, 0, 1, 64])                  # 1 segment, writable, 64 bytes
    post_2 = bytes([0, 1, 1, 10, 1, 20])           # 2 writable segments: 2 slots
    post_rw = bytes([0, 1, 0, 16, 5, 0x10, 0x20])  # readable 16 + writable 0x2010
    ind_rw = bytes([1, 1, 0, 16, 1, 32])           # indirect: readable 16 + writable 32
    model, kick, kick_need, desc = bytes([7]), bytes([5, 0]), bytes([5, 1]), bytes([8])

    def poll(n=7):
        return bytes([4, n])

    def forge(slot, id_, len_, flags_choice):      # choice 0: used wrap 1, 1: used wrap 0
        return bytes([3, slot, flags_choice << 3, id_, len_])

    write('vpacked', 'roundtrip', bytes([0x03]) + post_w + kick + model + poll() + desc)
    write('vpacked', 'wrap', bytes([0x02]) + (post_w + post_2 + kick + model + poll()) * 6 + desc)
    write('vpacked', 'event-idx', bytes([0x13]) + (post_w + kick_need + model + poll()) * 10 +
          bytes([6, 0, 0, 4, 3, 0x80, 2, 0]) + post_w + kick_need + desc)
    write('vpacked', 'indirect', bytes([0x22]) + (ind_rw + post_w + kick + model + poll()) * 5 +
          desc)
    write('vpacked', 'indirect-not-negotiated', bytes([0x02]) + ind_rw + post_w + desc)
    write('vpacked', 'msix', bytes([0x52]) + post_rw + kick + model + poll() + desc)
    write('vpacked', 'forge-ok', bytes([0x02]) + post_w + forge(0, 0, 32, 0) + poll() + desc)
    write('vpacked', 'bad-id', bytes([0x02]) + post_w + forge(0, 3, 8, 0) + poll() + poll())
    write('vpacked', 'bad-len', bytes([0x02]) + post_w + bytes([3, 0, 2, 0, 0x88, 0x13, 0, 0]) +
          poll())
    write('vpacked', 'wrong-wrap', bytes([0x02]) + post_w + forge(0, 0, 8, 1) + poll() + desc)
    write('vpacked', 'avail-flip', bytes([0x02]) + post_w + forge(0, 0, 8, 3) + poll() + desc)
    write('vpacked', 'full', bytes([0x01]) + post_w * 3 + kick + model + poll())
    write('vpacked', 'size256', bytes([0x08]) + (post_rw + kick + model) * 4 + poll(7) + desc)


def regs_seeds(devs):
    # A plausible register file: num_queues 2, queue_size 256, generation 0,
    # device features with VERSION_1, config bytes, ISR 1.
    common = bytearray(64)
    struct.pack_into('<IIII', common, 0, 0, 0x39000000, 0, 0)
    struct.pack_into('<HHBB', common, 0x10, 0xffff, 2, 0x0f, 0)
    struct.pack_into('<HHHHH', common, 0x16, 0, 256, 0xffff, 0, 0)
    regs = bytes(common) + b'\x01' + bytes(63) + bytes.fromhex('525400123456') + bytes(58)
    regs += bytes(64)
    for name, cfg in devs[:6]:
        write('regs', name, bytes([0, 6]) + cfg[:256] + regs)
    for name, cfg in devs[:2]:
        write('regs', name + '-ones', bytes([0, 6]) + cfg[:256])
        write('regs', name + '-bound-select', bytes([6, 6]) + cfg[:256] + regs)
    pcie = [d for d in devs if len(d[1]) == 4096]
    for name, cfg in pcie[:1]:
        write('regs', name, bytes([1, 6]) + cfg + regs)


def main():
    devs = fixture_devices()
    if not devs:
        sys.exit('no virtio devices in the fixtures')
    dump_seeds()
    caps_seeds(devs)
    devcfg_seeds()
    vring_seeds()
    vpacked_seeds()
    regs_seeds(devs)


if __name__ == '__main__':
    main()
