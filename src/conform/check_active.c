/* Active checks (--active): they drive the device the way a driver does
 * and judge how it answers. Each starts from a reset of its own, so each
 * can run alone (--only); queues go into the caller's ring slots and are
 * freed only after a reset the device confirmed. */
#include "conform/checks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format/report.h"
#include "virtio/common_cfg.h"
#include "virtio/driver.h"
#include "virtio/features.h"
#include "virtio/modern.h"
#include "virtio/selftest.h"

#define RESET_MS 1000

/* Resets and waits; frees the queues once the device let go of them. */
static int reset(struct ck_state *st, struct verr *e)
{
	const struct conform_env *env = st->env;

	if (vdev_reset(st->v, RESET_MS, e))
		return -1;
	for (unsigned q = 0; q < env->nrings; q++) {
		vring_destroy(env->rings[q]);
		env->rings[q] = NULL;
	}
	return 0;
}

static int set_status(struct ck_state *st, uint8_t s, uint8_t *back, struct verr *e)
{
	return st->v->ops->set_status(st->v, s, e) || ck_status(st, back, e);
}

/* Reset, ACKNOWLEDGE, DRIVER, the features, FEATURES_OK (modern); *kept
 * says whether FEATURES_OK stuck. */
static int bring_up(struct ck_state *st, uint64_t features, bool *kept, struct verr *e)
{
	uint8_t s;

	*kept = true;
	if (reset(st, e) || set_status(st, VIRTIO_STATUS_ACKNOWLEDGE, &s, e) ||
	    set_status(st, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, &s, e) ||
	    st->v->ops->set_driver_features(st->v, features, e))
		return -1;
	if (st->v->ops->legacy_ring)
		return 0;
	if (set_status(st,
		       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK,
		       &s, e))
		return -1;
	*kept = s & VIRTIO_STATUS_FEATURES_OK;
	return 0;
}

/* Gate of every active check but the reset itself. */
static bool ready(struct ck_state *st, struct ck_out *o, uint64_t *offered)
{
	struct verr e = {0};

	if (!ck_need_active(st, o))
		return false;
	if (!st->reset_ok && reset(st, &e)) {
		ck_skip(o, CK_SKIP_DEPENDS, "the device does not reset: %s", e.msg);
		return false;
	}
	st->reset_ok = true;
	if (st->v->ops->legacy_ring) {
		/* 32 feature bits on the legacy header; no selector needed. */
		if (st->v->ops->get_device_features(st->v, offered, &e)) {
			ck_skip(o, CK_SKIP_UNREACHABLE, "device features not read: %s", e.msg);
			return false;
		}
		return true;
	}
	return ck_offered(st, o, offered);
}

/* Ends a check: the device goes back to reset (its failure is reported
 * by the caller's final reset, and by active.reset). */
static void done(struct ck_state *st)
{
	struct verr e = {0};

	reset(st, &e);
}

void ck_active_finish(struct ck_state *st)
{
	done(st);
}

static void skip_err(struct ck_out *o, const char *what, const struct verr *e)
{
	ck_skip(o, CK_SKIP_DEPENDS, "%s failed: %s", what, e->msg);
}

CHECK_FN(chk_act_reset)
{
	struct verr e = {0};
	uint8_t s;

	if (!ck_need_active(st, o))
		return;
	if (set_status(st, VIRTIO_STATUS_ACKNOWLEDGE, &s, &e)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "device status not written: %s", e.msg);
		return;
	}
	if (vdev_reset(st->v, RESET_MS, &e)) {
		if (e.code == VX_TIMEOUT)
			ck_fail(o, "device_status reads 0 after 0 is written (bounded time)", "%s",
				e.msg);
		else
			ck_skip(o, CK_SKIP_UNREACHABLE, "reset not done: %s", e.msg);
		return;
	}
	st->reset_ok = true;
	ck_pass(o);
}

/* A bit the device does not offer, preferring the reserved 44-49. */
static int unoffered_bit(uint64_t offered)
{
	for (int b = 49; b >= 44; b--)
		if (!(offered >> b & 1))
			return b;
	for (int b = 0; b < 64; b++)
		if (!(offered >> b & 1))
			return b;
	return -1;
}

static bool modern_only(struct ck_state *st, struct ck_out *o)
{
	if (st->v->ops->legacy_ring) {
		ck_skip(o, CK_SKIP_NA, "the legacy interface has no FEATURES_OK");
		return false;
	}
	return true;
}

CHECK_FN(chk_act_features_unoffered)
{
	struct verr e = {0};
	uint64_t offered, f;
	bool kept;
	int bit;

	if (!ready(st, o, &offered) || !modern_only(st, o))
		return;
	bit = unoffered_bit(offered);
	if (bit < 0) {
		ck_skip(o, CK_SKIP_NA, "the device offers all 64 feature bits");
		return;
	}
	f = features_default(st->v, offered) | UINT64_C(1) << bit;
	if (bring_up(st, f, &kept, &e)) {
		skip_err(o, "bring-up", &e);
	} else if (kept) {
		ck_fail(o,
			"FEATURES_OK refused for a feature set with a bit the device did not offer",
			"FEATURES_OK stayed set with driver features 0x%016llx (bit %d not "
			"offered)",
			(unsigned long long)f, bit);
	} else {
		ck_pass(o);
	}
	done(st);
}

CHECK_FN(chk_act_features_offered)
{
	struct verr e = {0};
	uint64_t offered, f;
	bool kept;

	if (!ready(st, o, &offered) || !modern_only(st, o))
		return;
	f = features_default(st->v, offered);
	if (bring_up(st, f, &kept, &e))
		skip_err(o, "bring-up", &e);
	else if (!kept)
		ck_fail(o, "FEATURES_OK kept for a valid subset of the offered features",
			"FEATURES_OK refused for 0x%016llx (offered 0x%016llx)",
			(unsigned long long)f, (unsigned long long)offered);
	else
		ck_pass(o);
	done(st);
}

/* The first queue the device has, with its maximum size. */
static int first_queue(struct ck_state *st, unsigned *q, struct vq_regs *r, struct verr *e)
{
	unsigned nq;

	if (st->v->ops->get_num_queues(st->v, &nq, e))
		return -1;
	for (unsigned i = 0; i < nq && i < VDEV_MAX_QUEUES; i++) {
		if (st->v->ops->get_queue(st->v, i, r, e))
			return -1;
		if (r->size) {
			*q = i;
			return 0;
		}
	}
	return verr_set(e, VX_DEVICE, "no queue has a non-zero size");
}

CHECK_FN(chk_act_queue_size)
{
	struct verr e = {0};
	struct vq_regs r;
	uint64_t offered, back;
	uint16_t want;
	unsigned q;
	bool kept;

	if (!ready(st, o, &offered) || !modern_only(st, o))
		return;
	if (bring_up(st, features_default(st->v, offered), &kept, &e) ||
	    first_queue(st, &q, &r, &e)) {
		skip_err(o, "bring-up", &e);
		done(st);
		return;
	}
	/* The largest power of two below the maximum. */
	for (want = 1; (unsigned)want * 2 < r.size; want = (uint16_t)(want * 2))
		;
	if (r.size < 2 || want >= r.size) {
		ck_skip(o, CK_SKIP_NA, "queue %u has room for no smaller size (maximum %u)", q,
			r.size);
	} else if (modern_common_write(st->v, CC_QUEUE_SELECT, 2, q, &e) ||
		   modern_common_write(st->v, CC_QUEUE_SIZE, 2, want, &e) ||
		   modern_common_read(st->v, CC_QUEUE_SIZE, 2, &back, &e)) {
		skip_err(o, "queue_size access", &e);
	} else if (back != want) {
		ck_fail(o, "queue_size takes a smaller power of 2 the driver writes",
			"queue %u: wrote %u, read back %llu (maximum %u)", q, want,
			(unsigned long long)back, r.size);
	} else {
		ck_pass(o);
	}
	done(st);
}

/* Bring-up with queue q set up (vector `vec`), optionally DRIVER_OK. */
static int with_queue(struct ck_state *st, uint64_t features, unsigned *q, uint16_t vec,
		      bool driver_ok, struct verr *e)
{
	const struct conform_env *env = st->env;
	struct vq_regs r;
	bool kept;
	uint8_t s;

	if (!env->dma || !env->rings)
		return verr_set(e, VX_UNAVAILABLE, "no DMA memory for a queue");
	if (bring_up(st, features, &kept, e) || first_queue(st, q, &r, e))
		return -1;
	if (!kept)
		return verr_set(e, VX_DEVICE, "FEATURES_OK refused");
	if (*q >= env->nrings)
		return verr_set(e, VX_FAIL, "queue %u beyond the ring slots", *q);
	if (vring_create(st->v, env->dma, *q, 0, features, vec, &env->rings[*q], e))
		return -1;
	if (driver_ok &&
	    set_status(st,
		       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			       (st->v->ops->legacy_ring ? 0 : VIRTIO_STATUS_FEATURES_OK) |
			       VIRTIO_STATUS_DRIVER_OK,
		       &s, e))
		return -1;
	return 0;
}

CHECK_FN(chk_act_queue_enable)
{
	struct verr e = {0};
	struct vq_regs r;
	uint64_t offered;
	unsigned q;

	if (!ready(st, o, &offered))
		return;
	if (with_queue(st, features_default(st->v, offered), &q, VIRTIO_MSI_NO_VECTOR, false, &e) ||
	    st->v->ops->get_queue(st->v, q, &r, &e))
		skip_err(o, "queue setup", &e);
	else if (!r.enable)
		ck_fail(o, "queue_enable reads 1 once the driver enabled the queue",
			"queue %u: queue_enable %u after setup", q, r.enable);
	else
		ck_pass(o);
	done(st);
}

CHECK_FN(chk_act_needs_reset)
{
	struct verr e = {0};
	uint64_t offered;
	unsigned q;
	uint8_t s;

	if (!ready(st, o, &offered))
		return;
	if (with_queue(st, features_default(st->v, offered), &q, VIRTIO_MSI_NO_VECTOR, true, &e) ||
	    ck_status(st, &s, &e))
		skip_err(o, "bring-up to DRIVER_OK", &e);
	else if (s & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED))
		ck_fail(o, "no DEVICE_NEEDS_RESET after a valid bring-up",
			"device_status 0x%02x after DRIVER_OK with queue %u set up", s, q);
	else
		ck_pass(o);
	done(st);
}

/* With MSI-X, vector 0 is given to the queue and to configuration
 * changes before the reset, so the reset has something to undo. */
CHECK_FN(chk_act_reset_queue_state)
{
	bool msix = st->caps->pci.msix.present && st->caps->pci.msix.table_size > 0 &&
		    !st->v->ops->legacy_ring;
	struct verr e = {0};
	struct vq_regs before, after;
	uint64_t offered;
	uint16_t cv = 0;
	unsigned q;

	if (!ready(st, o, &offered))
		return;
	if (with_queue(st, features_default(st->v, offered), &q, msix ? 0 : VIRTIO_MSI_NO_VECTOR,
		       true, &e) ||
	    (msix && st->v->ops->set_config_vector(st->v, 0, &e)) ||
	    st->v->ops->get_queue(st->v, q, &before, &e)) {
		skip_err(o, "queue setup", &e);
		done(st);
		return;
	}
	if (reset(st, &e) || st->v->ops->get_queue(st->v, q, &after, &e) ||
	    (msix && st->v->ops->get_config_vector(st->v, &cv, &e))) {
		skip_err(o, "reset", &e);
		return;
	}
	if (after.enable)
		ck_fail(o, "queue_enable 0 after a reset", "queue %u: queue_enable %u", q,
			after.enable);
	else if (after.have_reset && after.reset)
		ck_fail(o, "queue_reset 0 after a reset", "queue %u: queue_reset %u", q,
			after.reset);
	else if (msix && (after.msix_vector != VIRTIO_MSI_NO_VECTOR || cv != VIRTIO_MSI_NO_VECTOR))
		ck_fail(o, "every event unmapped (NO_VECTOR) after a reset",
			"queue %u vector 0x%04x, config vector 0x%04x", q, after.msix_vector, cv);
	else
		ck_pass(o);
	done(st);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Writes 1 to queue_reset and waits (bounded) for it to read 0. */
static int queue_reset(struct ck_state *st, unsigned q, uint64_t *left, struct verr *e)
{
	struct timespec t0, ts = {0, 1000000};

	if (modern_common_write(st->v, CC_QUEUE_SELECT, 2, q, e) ||
	    modern_common_write(st->v, CC_QUEUE_RESET, 2, 1, e))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (modern_common_read(st->v, CC_QUEUE_RESET, 2, left, e))
			return -1;
		if (*left == 0)
			return 0;
		nanosleep(&ts, NULL);
	} while (ms_since(&t0) < RESET_MS);
	return 0;
}

CHECK_FN(chk_act_queue_reset)
{
	const struct vcap *c = ck_cap(st, st->caps->common);
	struct verr e = {0};
	uint64_t offered, f, left = 0, en = 0;
	unsigned q;

	if (!ready(st, o, &offered) || !modern_only(st, o))
		return;
	if (!(offered >> VIRTIO_FB_RING_RESET & 1) || !c || c->length < CC_QUEUE_RESET + 2) {
		ck_skip(o, CK_SKIP_NA, "VIRTIO_F_RING_RESET not offered");
		return;
	}
	f = features_default(st->v, offered) | UINT64_C(1) << VIRTIO_FB_RING_RESET;
	if (with_queue(st, f, &q, VIRTIO_MSI_NO_VECTOR, true, &e) ||
	    queue_reset(st, q, &left, &e) || modern_common_read(st->v, CC_QUEUE_ENABLE, 2, &en, &e))
		skip_err(o, "queue reset sequence", &e);
	else if (left)
		ck_fail(o, "queue_reset reads 0 once the queue reset completed",
			"queue %u: queue_reset still %llu after %d ms", q, (unsigned long long)left,
			RESET_MS);
	else if (en)
		ck_fail(o, "queue_enable 0 once the queue reset completed",
			"queue %u: queue_enable %llu after the queue reset", q,
			(unsigned long long)en);
	else
		ck_pass(o);
	done(st);
}

CHECK_FN(chk_act_notify)
{
	struct verr e = {0};
	uint64_t offered, f;
	unsigned nq;
	bool kept;

	if (!ready(st, o, &offered))
		return;
	f = features_default(st->v, offered);
	if (bring_up(st, f, &kept, &e) || st->v->ops->get_num_queues(st->v, &nq, &e)) {
		skip_err(o, "bring-up", &e);
		done(st);
		return;
	}
	for (unsigned q = 0; q < nq && q < VDEV_MAX_QUEUES; q++) {
		struct vq_notify_loc loc;
		struct vq_regs r;

		if (st->v->ops->get_queue(st->v, q, &r, &e)) {
			skip_err(o, "queue registers", &e);
			done(st);
			return;
		}
		if (r.size == 0)
			continue;
		if (st->v->ops->notify_location(st->v, q, f, &loc, &e) ||
		    !pdev_bar_contains(st->p, loc.bar, loc.off, loc.width)) {
			ck_fail(o,
				"every queue's notify address inside the notify structure and its "
				"BAR",
				"queue %u: %s", q,
				e.msg[0] ? e.msg : "notify address outside the BAR");
			done(st);
			return;
		}
	}
	ck_pass(o);
	done(st);
}

/* The type's self-test runs once; the three checks below read its
 * outcome. */
static bool run_request(struct ck_state *st, struct ck_out *o)
{
	const struct conform_env *env = st->env;
	struct selftest_opts so = {.timeout_ms = env->timeout_ms ? env->timeout_ms : 2000,
				   .cancel = env->cancel,
				   .no_host_stimulus = true,
				   .fault = &st->st_fault,
				   .completed = &st->st_completed};
	struct verr e = {0};
	struct rnode *scratch;
	uint64_t offered;

	if (!ready(st, o, &offered))
		return false;
	if (!selftest_exists(st->v->device_id)) {
		ck_skip(o, CK_SKIP_NA, "no built-in request for device type %d", st->v->device_id);
		return false;
	}
	if (!env->dma || !env->rings) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "no DMA memory for a queue");
		return false;
	}
	if (!st->st_ran) {
		st->st_ran = true;
		scratch = r_new_root();
		if (reset(st, &e) == 0)
			st->st_passed = selftest_run(st->v, env->dma, env->rings, env->nrings, &so,
						     scratch, &e) == 0;
		st->st_code = e.code;
		snprintf(st->st_error, sizeof(st->st_error), "%s", e.msg);
		r_free(scratch);
		done(st);
	}
	return true;
}

CHECK_FN(chk_act_request)
{
	if (!run_request(st, o))
		return;
	if (st->st_passed || st->st_completed)
		ck_pass(o);
	else if (st->st_code != VX_DEVICE && st->st_code != VX_TIMEOUT)
		/* The self-test stopped before asking the device anything it
		 * could get wrong: it needs what a check does not give it (the
		 * IOMMU's endpoint), or memory. */
		ck_skip(o, st->st_code == VX_USAGE ? CK_SKIP_NA : CK_SKIP_UNREACHABLE,
			"the self-test did not run a request: %s", st->st_error);
	else
		ck_fail(o, "the request completes: a used element comes back", "%s",
			st->st_error[0] ? st->st_error : "no used element");
}

CHECK_FN(chk_act_used_id)
{
	if (!run_request(st, o))
		return;
	if (st->st_fault == VRING_FAULT_USED_ID || st->st_fault == VRING_FAULT_USED_IDX)
		ck_fail(o,
			"used id: the head of a chain in flight; used idx: at most the ring ahead",
			"%s", st->st_error);
	else if (!st->st_completed)
		ck_skip(o, CK_SKIP_DEPENDS, "no used element came back (see active.request)");
	else
		ck_pass(o);
}

CHECK_FN(chk_act_used_len)
{
	if (!run_request(st, o))
		return;
	if (st->st_fault == VRING_FAULT_USED_LEN)
		ck_fail(o, "used len at most the chain's device-writable bytes", "%s",
			st->st_error);
	else if (st->st_fault != VRING_FAULT_NONE)
		ck_skip(o, CK_SKIP_DEPENDS,
			"the used element was already invalid (active.used.id)");
	else if (!st->st_completed)
		ck_skip(o, CK_SKIP_DEPENDS, "no used element came back (see active.request)");
	else
		ck_pass(o);
}

/* Every status read while driving, including a bring-up of its own. */
CHECK_FN(chk_act_status_reserved)
{
	struct verr e = {0};
	uint64_t offered;
	bool kept;

	if (!ready(st, o, &offered))
		return;
	if (bring_up(st, features_default(st->v, offered), &kept, &e)) {
		skip_err(o, "bring-up", &e);
		done(st);
		return;
	}
	done(st);
	if (st->status_or & ck_reserved_status(st))
		ck_fail(o,
			"only the bits 2.1 defines (0x01 0x02 0x04 0x08 0x40 0x80; 0x10 with "
			"VIRTIO_F_SUSPEND)",
			"device_status 0x%02x read while driving", st->first_bad_status);
	else
		ck_pass(o);
}
