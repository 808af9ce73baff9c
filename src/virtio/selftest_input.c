/* The input self-test (virtio 1.3, 5.8): the config selects decoded (name,
 * serial, device ids, the event types and their bits, the absolute axes),
 * each read by writing select and subsel first; then event buffers are
 * offered and the first event the device sends is checked against what
 * the config announced: its type among the EV_BITS types, its code set in
 * that type's bitmap, and an EV_SYN after it. The host injects the event
 * (QEMU: QMP input-send-event); the report carries it for comparison. */
#include <stdio.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define IN_EVENTQ     0
#define IN_BUFS	      8
#define IN_UNION      8
#define IN_UNION_MAX  128
#define IN_TYPES      0x20 /* EV_MAX + 1 */
#define IN_EV_SYN     0
#define IN_EV_ABS     3
#define IN_MAX_EVENTS 64

enum {
	IN_ID_NAME = 1,
	IN_ID_SERIAL = 2,
	IN_ID_DEVIDS = 3,
	IN_EV_BITS = 0x11,
	IN_ABS_INFO = 0x12,
};

/* One select: writes select and subsel, reads size and the union. */
static int cfg_select(struct st *t, uint8_t sel, uint8_t sub, uint8_t *buf, unsigned *size,
		      struct verr *e)
{
	uint64_t v;

	if (!t->v->ops->write_config)
		return verr_set(e, VX_UNAVAILABLE, "no config writes here");
	if (t->v->ops->write_config(t->v, 0, 1, sel, e) ||
	    t->v->ops->write_config(t->v, 1, 1, sub, e) ||
	    t->v->ops->read_config(t->v, 2, 1, &v, e))
		return -1;
	if (v > IN_UNION_MAX)
		return verr_set(e, VX_DEVICE, "select 0x%02x/%u: size %u beyond the %u-byte union",
				sel, sub, (unsigned)v, IN_UNION_MAX);
	*size = (unsigned)v;
	for (unsigned i = 0; i < *size; i++) {
		if (t->v->ops->read_config(t->v, IN_UNION + i, 1, &v, e))
			return -1;
		buf[i] = (uint8_t)v;
	}
	return 0;
}

static void put_string(struct rnode *o, const char *key, const char *label, const uint8_t *b,
		       unsigned n)
{
	char s[IN_UNION_MAX + 1];

	while (n && b[n - 1] == 0) /* QEMU counts the terminating NUL in size */
		n--;
	for (unsigned i = 0; i < n; i++)
		s[i] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '?';
	s[n] = 0;
	if (n)
		r_str(o, key, label, s);
	else
		r_null(o, key, label);
}

static int read_ids(struct st *t, struct rnode *o, struct verr *e)
{
	uint8_t b[IN_UNION_MAX];
	unsigned n;

	if (cfg_select(t, IN_ID_NAME, 0, b, &n, e))
		return -1;
	put_string(o, "name", "Name", b, n);
	if (cfg_select(t, IN_ID_SERIAL, 0, b, &n, e))
		return -1;
	put_string(o, "serial", "Serial", b, n);
	if (cfg_select(t, IN_ID_DEVIDS, 0, b, &n, e))
		return -1;
	if (n >= 8) {
		struct rnode *ids = r_obj(o, "devids", "Device IDs");

		r_uint(ids, "bustype", "Bus type", st_get_le(b, 2), "0x%04llx");
		r_uint(ids, "vendor", "Vendor", st_get_le(b + 2, 2), "0x%04llx");
		r_uint(ids, "product", "Product", st_get_le(b + 4, 2), "0x%04llx");
		r_uint(ids, "version", "Version", st_get_le(b + 6, 2), "0x%04llx");
	} else {
		r_null(o, "devids", "Device IDs");
	}
	return 0;
}

/* Event types and their bitmaps; abs info of every axis announced. */
static int read_bits(struct st *t, struct rnode *o, uint8_t bits[IN_TYPES][IN_UNION_MAX],
		     unsigned sizes[IN_TYPES], struct verr *e)
{
	struct rnode *types = r_arr(o, "ev_types", "Event types (bits set)", RF_TABLE);
	struct rnode *abs = r_arr(o, "abs", "Absolute axes", RF_TABLE);

	for (unsigned ty = 0; ty < IN_TYPES; ty++) {
		unsigned set = 0;

		if (cfg_select(t, IN_EV_BITS, (uint8_t)ty, bits[ty], &sizes[ty], e))
			return -1;
		for (unsigned i = 0; i < sizes[ty] * 8; i++)
			set += bits[ty][i / 8] >> (i % 8) & 1;
		if (sizes[ty]) {
			struct rnode *row = r_obj(types, NULL, NULL);

			r_uint(row, "type", "type", ty, NULL);
			r_uint(row, "bits", "bits", set, NULL);
		}
	}
	for (unsigned ax = 0; ax < sizes[IN_EV_ABS] * 8; ax++) {
		uint8_t b[IN_UNION_MAX];
		struct rnode *row;
		unsigned n;

		if (!(bits[IN_EV_ABS][ax / 8] >> (ax % 8) & 1))
			continue;
		if (cfg_select(t, IN_ABS_INFO, (uint8_t)ax, b, &n, e))
			return -1;
		if (n < 20)
			return verr_set(e, VX_DEVICE, "abs info of axis %u: %u bytes, need 20", ax,
					n);
		row = r_obj(abs, NULL, NULL);
		r_uint(row, "axis", "axis", ax, NULL);
		r_int(row, "min", "min", (int32_t)st_get_le(b, 4));
		r_int(row, "max", "max", (int32_t)st_get_le(b + 4, 4));
		r_int(row, "fuzz", "fuzz", (int32_t)st_get_le(b + 8, 4));
		r_int(row, "flat", "flat", (int32_t)st_get_le(b + 12, 4));
		r_int(row, "res", "res", (int32_t)st_get_le(b + 16, 4));
	}
	return 0;
}

/* Waits for events until an EV_SYN follows the first other event. */
static int wait_event(struct st *t, uint16_t *type, uint16_t *code, uint32_t *value, bool *syn,
		      struct verr *e)
{
	bool have = false;

	*syn = false;
	for (unsigned k = 0; k < IN_MAX_EVENTS && !*syn; k++) {
		struct vused u;
		unsigned got = 0;
		struct vseg s = {true, NULL, 8};
		uint16_t head;
		bool suppressed;

		if (vring_poll(t->rings[IN_EVENTQ], &u, 1, &got, t->o->timeout_ms, t->o->cancel, e))
			return -1;
		if (u.len < 8) {
			vused_free(&u, 1);
			return verr_set(e, VX_DEVICE, "event of %u bytes, need 8", u.len);
		}
		if (!have && st_get_le(u.data, 2) != IN_EV_SYN) {
			*type = (uint16_t)st_get_le(u.data, 2);
			*code = (uint16_t)st_get_le(u.data + 2, 2);
			*value = (uint32_t)st_get_le(u.data + 4, 4);
			have = true;
		} else if (have && st_get_le(u.data, 2) == IN_EV_SYN) {
			*syn = true;
		}
		vused_free(&u, 1);
		/* Give the buffer back so a burst of events finds room. */
		if (vring_post(t->rings[IN_EVENTQ], &s, 1, &head, e) ||
		    vring_kick(t->rings[IN_EVENTQ], &suppressed, e))
			return -1;
	}
	return have ? 0 : verr_set(e, VX_DEVICE, "%u events, none but EV_SYN", IN_MAX_EVENTS);
}

static int check_event(struct st *t, uint8_t bits[IN_TYPES][IN_UNION_MAX],
		       const unsigned sizes[IN_TYPES], struct verr *e)
{
	uint16_t type = 0, code = 0;
	uint32_t value = 0;
	bool syn = false;
	struct rnode *ev;
	char g[32];

	if (wait_event(t, &type, &code, &value, &syn, e))
		return st_step(t, "event", -1, e, NULL);
	ev = r_obj(t->out, "event", "Event");
	r_uint(ev, "type", "Type", type, NULL);
	r_uint(ev, "code", "Code", code, NULL);
	r_int(ev, "value", "Value", (int32_t)value);
	snprintf(g, sizeof(g), "type %u code %u value %d", type, code, (int32_t)value);
	st_step(t, "event", 0, e, g);
	snprintf(g, sizeof(g), "%u", type);
	if (st_expect(t, "event type", "a type with EV_BITS", g, type < IN_TYPES && sizes[type], e))
		return -1;
	snprintf(g, sizeof(g), "%u", code);
	if (st_expect(t, "event code", "a code set in its type's bitmap", g,
		      code / 8 < sizes[type] && (bits[type][code / 8] >> (code % 8) & 1), e))
		return -1;
	return st_expect(t, "sync", "EV_SYN after the event", syn ? "EV_SYN" : "none", syn, e);
}

int st_run_input(struct st *t, struct verr *e)
{
	static uint8_t bits_zero[IN_TYPES][IN_UNION_MAX];
	uint8_t bits[IN_TYPES][IN_UNION_MAX];
	unsigned sizes[IN_TYPES] = {0};
	struct rnode *o = r_obj(t->out, "input", "Input device");
	struct vseg s = {true, NULL, 8};
	uint16_t head;
	bool suppressed;

	memcpy(bits, bits_zero, sizeof(bits));
	if (st_step(t, "read-config", read_ids(t, o, e) || read_bits(t, o, bits, sizes, e), e,
		    "name, serial, devids, EV_BITS, ABS_INFO"))
		return -1;
	if (st_setup_queue(t, IN_EVENTQ, e) || st_driver_ok(t, e))
		return -1;
	for (unsigned i = 0; i < IN_BUFS; i++)
		if (vring_post(t->rings[IN_EVENTQ], &s, 1, &head, e))
			return st_step(t, "event-buffers", -1, e, NULL);
	if (st_step(t, "event-buffers", vring_kick(t->rings[IN_EVENTQ], &suppressed, e), e,
		    "8 buffers of 8 bytes"))
		return -1;
	/* An input device sends events only when something happens: with
	 * nobody to press a key, waiting would only time out. */
	if (t->o->no_host_stimulus) {
		verr_set(e, VX_USAGE, "an event needs the host to inject one");
		return st_step(t, "event", -1, e, NULL);
	}
	return check_event(t, bits, sizes, e);
}
