/* What the checks share: result helpers, gates, and registers read once
 * per run (features, queues) with the reason when they cannot be. */
#include "conform/checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Results set the texts they use and empty the others: clearing whole
 * ck_outs (2 KB each, several per check) was most of a run's cost. */
static void ck_clear(struct ck_out *o, enum ck_result r)
{
	o->result = r;
	o->skip = 0;
	o->required[0] = o->seen[0] = '\0';
}

void ck_pass(struct ck_out *o)
{
	ck_clear(o, CK_PASS);
}

void ck_fail(struct ck_out *o, const char *required, const char *seen_fmt, ...)
{
	va_list ap;

	ck_clear(o, CK_FAIL);
	if (o->no_text)
		return;
	snprintf(o->required, sizeof(o->required), "%s", required);
	va_start(ap, seen_fmt);
	vsnprintf(o->seen, sizeof(o->seen), seen_fmt, ap);
	va_end(ap);
}

void ck_skip(struct ck_out *o, enum ck_skip kind, const char *fmt, ...)
{
	va_list ap;

	ck_clear(o, CK_SKIP);
	o->skip = kind;
	if (o->no_text)
		return;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
}

bool ck_need_modern_caps(struct ck_state *st, struct ck_out *o)
{
	if (st->v->kind == VDEV_LEGACY) {
		ck_skip(o, CK_SKIP_NA,
			"legacy device: no virtio 1.x capabilities (the rule is for the modern "
			"interface)");
		return false;
	}
	return true;
}

bool ck_need_regs(struct ck_state *st, struct ck_out *o)
{
	if (st->env->dump_file) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "config-space dump: no device registers");
		return false;
	}
	if (!vdev_regs_readable(st->v)) {
		ck_skip(o, CK_SKIP_UNREACHABLE, "registers not reachable: %s", st->v->regs_why);
		return false;
	}
	return true;
}

bool ck_need_active(struct ck_state *st, struct ck_out *o)
{
	if (!st->env->active) {
		ck_skip(o, CK_SKIP_ACTIVE, "drives the device: an active check");
		return false;
	}
	return ck_need_regs(st, o);
}

/* A selector the access policy forbids is the bound-device case. */
static enum ck_skip skip_kind_of(const struct verr *e)
{
	return e->code == VX_PERM ? CK_SKIP_BOUND : CK_SKIP_UNREACHABLE;
}

bool ck_offered(struct ck_state *st, struct ck_out *o, uint64_t *f)
{
	struct verr e = {0};

	if (!ck_need_regs(st, o))
		return false;
	if (st->devf_state == 0) {
		st->devf_state = st->v->ops->get_device_features(st->v, &st->devf, &e) ? -1 : 1;
		st->devf_skip = skip_kind_of(&e);
		snprintf(st->devf_why, sizeof(st->devf_why), "device features not read: %s", e.msg);
	}
	if (st->devf_state < 0) {
		ck_skip(o, st->devf_skip, "%s", st->devf_why);
		return false;
	}
	*f = st->devf;
	return true;
}

struct vdev_offer ck_offer(struct ck_state *st)
{
	struct ck_out scratch;
	struct vdev_offer of = {false, 0};

	scratch.no_text = true; /* as in ck_known_offered */
	of.known = ck_offered(st, &scratch, &of.features);
	return of;
}

uint64_t ck_known_offered(struct ck_state *st)
{
	struct ck_out scratch;
	uint64_t f;

	/* ck_skip reads no_text: left unset it was a load of an indeterminate
	 * bool (UBSan stops every fuzz target and the sanitized unit tests
	 * there); the scratch result's texts are never read. */
	scratch.no_text = true;
	if (ck_offered(st, &scratch, &f))
		return f;
	if (st->env->lv && st->env->lv->has_features)
		return st->env->lv->features;
	return 0;
}

static int read_queues(struct ck_state *st, struct verr *e)
{
	unsigned n;

	if (st->v->ops->get_num_queues(st->v, &st->nq, e))
		return -1;
	n = st->nq < VDEV_MAX_QUEUES ? st->nq : VDEV_MAX_QUEUES;
	st->q = calloc(n ? n : 1, sizeof(*st->q));
	if (!st->q)
		return verr_set(e, VX_FAIL, "out of memory");
	for (unsigned i = 0; i < n; i++)
		if (st->v->ops->get_queue(st->v, i, &st->q[i], e))
			return -1;
	return 0;
}

bool ck_queues(struct ck_state *st, struct ck_out *o)
{
	struct verr e = {0};

	if (!ck_need_regs(st, o))
		return false;
	if (st->q_state == 0) {
		st->q_state = read_queues(st, &e) ? -1 : 1;
		st->q_skip = skip_kind_of(&e);
		snprintf(st->q_why, sizeof(st->q_why), "queue registers not read: %s", e.msg);
	}
	if (st->q_state < 0) {
		ck_skip(o, st->q_skip, "%s", st->q_why);
		return false;
	}
	return true;
}

const struct vcap *ck_cap(const struct ck_state *st, int idx)
{
	return idx >= 0 ? &st->caps->v[idx] : NULL;
}

int ck_status(struct ck_state *st, uint8_t *s, struct verr *e)
{
	if (st->v->ops->get_status(st->v, s, e))
		return -1;
	if ((*s & 0x30) && !(st->status_or & 0x30))
		st->first_bad_status = *s;
	st->status_or |= *s;
	return 0;
}

void ck_free_state(struct ck_state *st)
{
	free(st->q);
	st->q = NULL;
}
