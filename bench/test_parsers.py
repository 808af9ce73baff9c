#!/usr/bin/python3
"""The benchmarks' parsers, on known inputs (meson test suite "bench").

The benchmarks themselves are run by bench/run, never by meson test; what
turns their guests' output into numbers is tested here, so that a row of
docs/performance.md cannot come from a parser that reads the wrong field.
testdata/testpmd-txonly.txt is the output of one `bench/run dpdk` round
(dpdk-testpmd 22.11 in txonly mode, fed its commands at the prompts, with
the guest's uptime lines @@T0/@@T1 the benchmark adds).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import guest_dpdk      # noqa: E402
import guest_drivers   # noqa: E402


class Testpmd(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(HERE, "testdata", "testpmd-txonly.txt")) as f:
            self.p = guest_dpdk.parse_testpmd(f.read())

    def test_the_three_shows(self):
        # the numbers as printed under "NIC statistics for port 0"
        self.assertEqual([s["tx_packets"] for s in self.p["shows"]], [55071, 148546, 149606])
        self.assertEqual([s["tx_bytes"] for s in self.p["shows"]],
                         [3304260, 8912760, 8976360])
        self.assertEqual([s["tx_pps"] for s in self.p["shows"]], [0, 44765, 12900])

    def test_the_rate_is_the_second_shows(self):
        """The rate is testpmd's Tx-pps over the window between the two
        timed shows, not the first (0: no interval yet) nor the third
        (after stop)."""
        self.assertEqual(self.p["ops_per_second"], 44765)
        self.assertEqual(self.p["window_packets"], 148546 - 55071)
        self.assertAlmostEqual(self.p["guest_window_seconds"], 13.63 - 11.55)

    def test_stop_and_the_port(self):
        self.assertEqual(self.p["stop_tx_packets"], 149606)
        self.assertEqual(self.p["stop_tx_dropped"], 4645338)
        self.assertEqual(self.p["device"], "0000:01:00.0")
        self.assertEqual(self.p["driver"], "net_virtio")

    def test_missing_output_gives_no_rate(self):
        p = guest_dpdk.parse_testpmd("EAL: Error - exiting with code: 1\n")
        self.assertEqual(p["shows"], [])
        self.assertNotIn("ops_per_second", p)
        self.assertIsNone(p["driver"])


class Packages(unittest.TestCase):
    def test_rte_package_names(self):
        for soname, pkg in (("librte_eal.so.23", "librte-eal23"),
                            ("librte_net_virtio.so.23", "librte-net-virtio23"),
                            ("librte_common_mlx5.so.23", "librte-common-mlx5-23"),
                            ("libpcap.so.0.8", None)):
            self.assertEqual(guest_dpdk.rte_package(soname), pkg, soname)


class GuestCounters(unittest.TestCase):
    def test_interrupts(self):
        text = ("           CPU0       CPU1\n"
                " 24:       1200         34  PCI-MSIX-0000:01:00.0   1-edge      virtio0-requests\n"
                " 25:          5          0  PCI-MSIX-0000:01:00.0   0-edge      virtio0-config\n"
                "NMI:          0          0   Non-maskable interrupts\n")
        self.assertEqual(guest_drivers.parse_interrupts(text),
                         {"virtio0-requests": 1234, "virtio0-config": 5})

    def test_guest_cpu(self):
        # user nice system idle iowait ...: busy is everything but idle and iowait
        self.assertEqual(guest_drivers.guest_cpu("cpu  10 0 30 50 10 0 0 0 0 0\n"), (40, 100))
        self.assertIsNone(guest_drivers.guest_cpu("intr 1 2 3\n"))

    def test_thread_delta(self):
        """vCPU ("CPU 0/TCG") and device side apart, as fractions of the wall
        time; a thread born between the samples counts from zero."""
        a = (10.0, {"1": ("qemu-system-x86", 1.0, 0.5), "2": ("CPU 0/TCG", 4.0, 0.1)})
        b = (12.0, {"1": ("qemu-system-x86", 1.5, 0.9), "2": ("CPU 0/TCG", 5.6, 0.1),
                    "3": ("worker", 0.1, 0.2)})
        d = guest_drivers.thread_delta(a, b)
        self.assertAlmostEqual(d["vcpu_run"], 0.8)
        self.assertAlmostEqual(d["vcpu_wait"], 0.0)
        self.assertAlmostEqual(d["dev_run"], 0.3)
        self.assertAlmostEqual(d["dev_wait"], 0.3)
        self.assertIsNone(guest_drivers.thread_delta(b, b))


if __name__ == "__main__":
    unittest.main()
