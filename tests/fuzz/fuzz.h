/* Fuzz targets: one entry function per kind of hostile input. Each takes
 * arbitrary bytes, drives the code that parses or validates them, renders
 * whatever report comes out (fuzz_render: as text and JSON in the unit
 * test, one of them per input under libFuzzer), and aborts when an invariant
 * breaks (invalid JSON, a used element the ring should have refused...).
 * Crashes, leaks and undefined behaviour are left to the sanitizers.
 *
 * The same functions run under libFuzzer (lf_main.c, -Dfuzz=true, clang)
 * and in the unit suite (regress.c: the corpus plus seeded mutations), so
 * the default gcc build exercises the same paths. */
#ifndef VIRTIOCTL_TEST_FUZZ_H
#define VIRTIOCTL_TEST_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/report.h"

/* (a) `lspci -x`..`-xxxx` dump text -> psys_open_dump, list, every
 * device's dump and irqs reports. */
int fuzz_dump(const uint8_t *data, size_t size);
/* (b) A selector byte, then config space bytes poked over a device model:
 * capability walker, transports on the model, every report. */
int fuzz_caps(const uint8_t *data, size_t size);
/* (c) 9 bytes of offered features and flags, then device config bytes:
 * virtio_cfg_decode for every layout, and the hex dump. */
int fuzz_devcfg(const uint8_t *data, size_t size);
/* (d) A program of ring operations against a model device whose used ring
 * (and descriptor table, and avail ring) the input overwrites. */
int fuzz_vring(const uint8_t *data, size_t size);
/* (f) The same for packed rings: forged used descriptors (ids, lengths,
 * wrap counters), ring bytes, the device event suppression area, with
 * the honest model device in between. */
int fuzz_vpacked(const uint8_t *data, size_t size);
/* (e) A device whose config space and BAR registers both come from the
 * input: transports and reports on hostile register values. */
int fuzz_regs(const uint8_t *data, size_t size);

struct fuzz_target {
	const char *name; /* also the corpus directory's name */
	int (*fn)(const uint8_t *data, size_t size);
	size_t max_len; /* longer inputs are cut (libFuzzer: -max_len) */
	/* Mutations the unit test runs by default: about a second of a gcc
	 * -O2 build each, fewer for the slow targets (big reports). */
	size_t iterations;
};

extern const struct fuzz_target fuzz_targets[];
extern const size_t fuzz_ntargets;

/* Shared helpers (common.c). */

/* Renders the report to a sink and aborts unless the text has no control
 * byte and the JSON parses back: as text, compact JSON and pretty JSON
 * (FUZZ_RENDER_ALL, the unit test's default), or in the one way
 * fuzz_render_pick() chose for this input (libFuzzer). */
void fuzz_render(const struct rnode *root);
enum fuzz_render_mode { FUZZ_RENDER_ALL, FUZZ_RENDER_TEXT, FUZZ_RENDER_JSON, FUZZ_RENDER_PRETTY };
/* Under libFuzzer every report of an input is rendered one way only, picked
 * from the input's length and last byte, so a mutation can switch it:
 * the three renderings of one tree cost three times one, and the JSON
 * writer's two layouts differ only in whitespace. */
void fuzz_render_pick(const uint8_t *data, size_t size);
/* True for one input in four under libFuzzer (always in the unit test):
 * for reports whose every input renders alike (the check table), which
 * cost as much to render as the rest of the run. */
bool fuzz_render_sampled(void);
/* Aborts with a message: a broken invariant is a finding. */
void fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#define FUZZ_ASSERT(c)                                                  \
	do {                                                            \
		if (!(c))                                               \
			fuzz_fail("%s:%d: %s", __FILE__, __LINE__, #c); \
	} while (0)

struct pdev;
/* Opens pci as a virtio device the way a session would (bound: no writes
 * unless `select`, then the config-window fallback), checks the walker's
 * invariants, builds every report section into one report, renders it,
 * and does it again over the legacy interface where there is one. The
 * caller closes pci. */
void fuzz_device_reports(struct pdev *pci, bool bound, bool select);

/* A little-endian reader over the input that yields zeros past the end. */
struct fuzz_in {
	const uint8_t *p;
	size_t n, pos;
};

uint8_t fin_u8(struct fuzz_in *in);
uint16_t fin_u16(struct fuzz_in *in);
uint32_t fin_u32(struct fuzz_in *in);
uint64_t fin_u64(struct fuzz_in *in);
size_t fin_left(const struct fuzz_in *in);

#endif
