#include "virtio/selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/driver.h"
#include "virtio/selftest_impl.h"
#include "virtio/features.h"
#include "virtio/ids.h"
#include "util/sha256.h"

/* Records one step; returns rc so calls chain. */
int st_step(struct st *t, const char *name, int rc, const struct verr *e, const char *detail)
{
	struct rnode *row = r_obj(t->steps, NULL, NULL);

	r_str(row, "step", "step", name);
	r_bool(row, "ok", "ok", rc == 0);
	r_str(row, "detail", "detail", rc ? e->msg : (detail ? detail : ""));
	return rc;
}

int st_bring_up(struct st *t, struct verr *e)
{
	static const enum vstep before[] = {VSTEP_RESET, VSTEP_ACK, VSTEP_DRIVER};
	struct vstep_result r;
	uint64_t offered;
	char detail[64];

	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++)
		if (st_step(t, vstep_name(before[i]), vdev_step(t->v, before[i], false, &r, e), e,
			    NULL))
			return -1;
	if (st_step(t, "read-features", t->v->ops->get_device_features(t->v, &offered, e), e, NULL))
		return -1;
	t->features = features_default(t->v, offered) | (offered & t->want);
	if (t->o->packed && !(offered >> VIRTIO_FB_RING_PACKED & 1))
		return st_step(t, "ring-layout",
			       verr_set(e, VX_USAGE,
					"packed rings: the device does not offer "
					"VIRTIO_F_RING_PACKED (bit 34)"),
			       e, NULL);
	if (t->o->packed)
		t->features |= UINT64_C(1) << VIRTIO_FB_RING_PACKED;
	if (t->event_idx)
		t->features |= offered & UINT64_C(1) << VIRTIO_FB_EVENT_IDX;
	snprintf(detail, sizeof(detail), "0x%016llx", (unsigned long long)t->features);
	if (st_step(t, "write-features", t->v->ops->set_driver_features(t->v, t->features, e), e,
		    detail))
		return -1;
	if (!t->v->ops->legacy_ring &&
	    st_step(t, "features-ok", vdev_step(t->v, VSTEP_FEATURES_OK, false, &r, e), e, NULL))
		return -1;
	return 0;
}

int st_setup_queue(struct st *t, unsigned q, struct verr *e)
{
	char name[32];

	snprintf(name, sizeof(name), "vring-setup-%u", q);
	if (q >= t->nrings)
		return st_step(t, name, verr_set(e, VX_FAIL, "queue %u out of range", q), e, NULL);
	if (vring_create(t->v, t->dma, q, 0, t->features, VIRTIO_MSI_NO_VECTOR, &t->rings[q], e))
		return st_step(t, name, -1, e, NULL);
	if (t->o->spin)
		vring_set_spin(t->rings[q], t->o->spin);
	return st_step(t, name, 0, e, NULL);
}

int st_driver_ok(struct st *t, struct verr *e)
{
	struct vstep_result r;

	return st_step(t, "driver-ok", vdev_step(t->v, VSTEP_DRIVER_OK, false, &r, e), e, NULL);
}

/* post + kick + poll for one chain; u receives the used element. */
int st_roundtrip(struct st *t, unsigned q, const struct vseg *segs, unsigned n, struct vused *u,
		 struct verr *e)
{
	struct vring *r = t->rings[q];
	unsigned got = 0;
	uint16_t head;
	bool suppressed;

	if (vring_post(r, segs, n, &head, e) || vring_kick(r, &suppressed, e))
		return -1;
	if (vring_poll(r, u, 1, &got, t->o->timeout_ms, t->o->cancel, e)) {
		if (t->o->fault)
			*t->o->fault = vring_fault(r);
		if (t->o->completed && vring_fault(r) != VRING_FAULT_NONE)
			*t->o->completed = true;
		return -1;
	}
	if (t->o->completed)
		*t->o->completed = true;
	if (u->id != head) {
		vused_free(u, 1);
		if (t->o->fault)
			*t->o->fault = VRING_FAULT_USED_ID;
		return verr_set(e, VX_DEVICE, "used id %u, expected %u", u->id, head);
	}
	return 0;
}

int st_expect(struct st *t, const char *what, const char *expected, const char *got, bool ok,
	      struct verr *e)
{
	struct rnode *row = r_obj(t->checks, NULL, NULL);

	r_str(row, "check", "check", what);
	r_str(row, "expected", "expected", expected);
	r_str(row, "got", "got", got);
	r_bool(row, "ok", "ok", ok);
	if (ok)
		return 0;
	return verr_set(e, VX_DEVICE, "%s: expected %s, got %s", what, expected, got);
}

int st_read_config(struct st *t, uint8_t *buf, unsigned len, unsigned need, struct verr *e)
{
	unsigned got = 0;
	char detail[48];

	memset(buf, 0, len);
	if (vdev_read_config(t->v, buf, len, &got, e))
		return st_step(t, "read-config", -1, e, NULL);
	if (got < need)
		return st_step(
			t, "read-config",
			verr_set(e, VX_DEVICE, "device config has %u bytes, need %u", got, need), e,
			NULL);
	snprintf(detail, sizeof(detail), "%u bytes", got);
	return st_step(t, "read-config", 0, e, detail);
}

int st_keep_data(struct st *t, const uint8_t *p, size_t len, struct verr *e)
{
	uint8_t *n = realloc(t->data, t->data_len + len);

	if (!n)
		return verr_set(e, VX_FAIL, "out of memory");
	memcpy(n + t->data_len, p, len);
	t->data = n;
	t->data_len += len;
	return 0;
}

static int run_entropy(struct st *t, struct verr *e)
{
	unsigned want = t->o->bytes ? t->o->bytes : 64;
	char detail[64];

	if (st_setup_queue(t, 0, e) || st_driver_ok(t, e))
		return -1;
	/* A device may return fewer bytes than asked; ask again, bounded. */
	for (unsigned tries = 0; t->data_len < want && tries < 64; tries++) {
		struct vseg s = {true, NULL, (uint32_t)(want - t->data_len)};
		struct vused u;
		int rc = st_roundtrip(t, 0, &s, 1, &u, e);

		if (rc == 0) {
			rc = st_keep_data(t, u.data, u.len, e);
			vused_free(&u, 1);
		}
		if (rc)
			return st_step(t, "read", -1, e, NULL);
	}
	snprintf(detail, sizeof(detail), "%zu bytes", t->data_len);
	if (t->data_len < want)
		return st_step(t, "read",
			       verr_set(e, VX_DEVICE, "only %zu of %u bytes after 64 requests",
					t->data_len, want),
			       e, NULL);
	return st_step(t, "read", 0, e, detail);
}

/* struct virtio_blk_outhdr: type, reserved, sector (little-endian). */
static int run_block(struct st *t, struct verr *e)
{
	unsigned want = t->o->bytes ? t->o->bytes : 4096;
	uint8_t hdr[16] = {0}; /* VIRTIO_BLK_T_IN = 0, sector 0 */
	struct vseg segs[3] = {{false, hdr, 16}, {true, NULL, want}, {true, NULL, 1}};
	struct vused u;
	char detail[64];
	int rc;

	if (want % 512)
		return st_step(t, "read",
			       verr_set(e, VX_USAGE, "block reads are whole 512-byte sectors"), e,
			       NULL);
	if (st_setup_queue(t, 0, e) || st_driver_ok(t, e))
		return -1;
	if (st_roundtrip(t, 0, segs, 3, &u, e))
		return st_step(t, "read", -1, e, NULL);
	if (u.len != want + 1)
		rc = verr_set(e, VX_DEVICE, "used len %u, expected %u data bytes + status", u.len,
			      want);
	else if (u.data[want] != 0)
		rc = verr_set(e, VX_DEVICE, "request status %u (0 is VIRTIO_BLK_S_OK)",
			      u.data[want]);
	else
		rc = st_keep_data(t, u.data, want, e);
	vused_free(&u, 1);
	snprintf(detail, sizeof(detail), "%u bytes from LBA 0", want);
	return st_step(t, "read", rc, e, detail);
}

struct selftest_def {
	int device_id;
	int (*run)(struct st *t, struct verr *e);
	bool data_hash;
	uint64_t want; /* type feature bits negotiated when offered */
};

/* IOMMU: INPUT_RANGE, DOMAIN_RANGE, MAP_UNMAP, PROBE (virtio 1.3, 5.13.3). */
#define IOMMU_WANT (1ull << 0 | 1ull << 1 | 1ull << 2 | 1ull << 4)

/* mem: ACPI_PXM (node_id valid), UNPLUGGED_INACCESSIBLE (QEMU refuses
 * FEATURES_OK without it when it offers it; the test never touches the
 * region anyway). */
#define MEM_WANT (1ull << 0 | 1ull << 1)

/* net: MAC, CTRL_VQ, CTRL_RX (virtio 1.3, 5.1.3). */
#define NET_WANT (1ull << 5 | 1ull << 17 | 1ull << 18)

static const struct selftest_def tests[] = {
	{VIRTIO_DEV_ENTROPY, run_entropy, true, 0},
	{VIRTIO_DEV_BLOCK, run_block, true, 0},
	{VIRTIO_DEV_CONSOLE, st_run_console, false, 1ull << 1 /* MULTIPORT */},
	{VIRTIO_DEV_NET, st_run_net, false, NET_WANT},
	{VIRTIO_DEV_SCSI, st_run_scsi, true, 0},
	{VIRTIO_DEV_PMEM, st_run_pmem, false, 0},
	{VIRTIO_DEV_MEM, st_run_mem, false, MEM_WANT},
	{VIRTIO_DEV_IOMMU, st_run_iommu, false, IOMMU_WANT},
	{VIRTIO_DEV_BALLOON, st_run_balloon, false, 1ull << 1 /* STATS_VQ */},
	{VIRTIO_DEV_INPUT, st_run_input, false, 0},
	{VIRTIO_DEV_CRYPTO, st_run_crypto, false, 0},
	{VIRTIO_DEV_GPU, st_run_gpu, false, 1ull << 1 /* EDID */},
	{VIRTIO_DEV_9P, st_run_9p, true, 1ull << 0 /* MOUNT_TAG */},
	{VIRTIO_DEV_FS, st_run_fs, true, 0},
	{VIRTIO_DEV_VSOCK, st_run_vsock, false, 0},
};

static const struct selftest_def *find(int device_id)
{
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (tests[i].device_id == device_id)
			return &tests[i];
	return NULL;
}

bool selftest_exists(int device_id)
{
	return find(device_id) != NULL;
}

/* The final reset; rings are freed only once the device let go of them. */
int st_finish(struct st *t, struct verr *e)
{
	int rc = st_step(t, "reset", vdev_reset(t->v, VDEV_RESET_TIMEOUT_MS, e), e, NULL);

	if (rc == 0)
		for (unsigned q = 0; q < t->nrings; q++) {
			vring_destroy(t->rings[q]);
			t->rings[q] = NULL;
		}
	return rc;
}

int selftest_run(struct vdev *v, struct dma *dma, struct vring **rings, unsigned nrings,
		 const struct selftest_opts *o, struct rnode *out, struct verr *e)
{
	const struct selftest_def *def = find(v->device_id);
	struct st t = {.v = v, .dma = dma, .rings = rings, .nrings = nrings, .o = o};
	struct verr fin = {0};
	char hex[65];
	int rc;

	if (!def)
		return verr_set(e, VX_USAGE, "no built-in self-test for device type %d (%s)",
				v->device_id, virtio_type_name((unsigned)v->device_id));
	r_str(out, "test", "Self-test", virtio_type_name((unsigned)v->device_id));
	r_str(out, "ring", "Ring layout", o->packed ? "packed" : "split");
	t.steps = r_arr(out, "steps", "Steps", RF_TABLE);
	t.checks = r_arr(out, "checks", "Known answers", RF_TABLE);
	t.want = def->want;
	t.out = out;
	rc = st_bring_up(&t, e) || def->run(&t, e);
	/* The reset runs whatever happened; its failure fails the test. */
	if (st_finish(&t, rc ? &fin : e))
		rc = -1;
	r_bool(out, "passed", "Passed", rc == 0);
	if (def->data_hash && rc == 0) {
		sha256_hex(t.data, t.data_len, hex);
		r_str(out, "data_sha256", "Data SHA-256", hex);
		r_uint(out, "data_length", "Data length", t.data_len, NULL);
		r_bytes(out, "data_head", "First bytes", t.data,
			t.data_len < 32 ? (unsigned)t.data_len : 32);
	} else {
		r_null(out, "data_sha256", "Data SHA-256");
	}
	free(t.data);
	return rc ? -1 : 0;
}
