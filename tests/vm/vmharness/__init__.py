"""QEMU guest test harness for virtioctl (tests/vm).

Standard library only; run with /usr/bin/python3.  See tests/vm/README.md.
"""


class HarnessError(Exception):
    """The harness itself could not do its job (assets missing, QEMU refused
    to start, guest did not boot...).  Always a test failure, never a skip."""
