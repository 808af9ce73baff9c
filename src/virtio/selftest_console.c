/* The console self-test (virtio 1.3, 5.3). Without MULTIPORT: bytes
 * written to port 0's transmit queue. With MULTIPORT: the control-queue
 * handshake first (DEVICE_READY; PORT_READY for each DEVICE_ADD; the
 * device's PORT_NAME, CONSOLE_PORT and PORT_OPEN recorded; PORT_OPEN from
 * us), then the same bytes through every port added whose queues we set up
 * (port 0: queues 0/1; port N >= 1: 2N+2 / 2N+3; control: 2/3).
 * The ports go into the report; what the host received is checked on the
 * host (the vm suite reads the chardev file). */
#include <stdio.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define CON_F_MULTIPORT 1
#define CON_CTRL_RX	2u
#define CON_CTRL_TX	3u
#define CON_CTRL_LEN	8u
#define CON_CTRL_BUF	(CON_CTRL_LEN + 128u) /* PORT_NAME carries the name */
#define CON_CTRL_BUFS	8u
#define CON_MAX_PORTS	2u  /* ports 0 and 1 are driven */
#define CON_QUIET_MS	500 /* no control message this long: the device is done */
#define CON_MAX_MSGS	64u

enum {
	CON_DEVICE_READY = 0,
	CON_DEVICE_ADD = 1,
	CON_DEVICE_REMOVE = 2,
	CON_PORT_READY = 3,
	CON_CONSOLE_PORT = 4,
	CON_RESIZE = 5,
	CON_PORT_OPEN = 6,
	CON_PORT_NAME = 7,
};

static const char console_text[] = "virtioctl console self-test\n";

struct con_port {
	bool added, console, host_open;
	char name[128];
};

static unsigned tx_queue(unsigned port)
{
	return port ? 2 * port + 3 : 1;
}

static unsigned rx_queue(unsigned port)
{
	return port ? 2 * port + 2 : 0;
}

static int transmit(struct st *t, unsigned q, const char *step, struct verr *e)
{
	struct vseg s = {false, (const uint8_t *)console_text, sizeof(console_text) - 1};
	struct vused u;

	if (st_roundtrip(t, q, &s, 1, &u, e))
		return st_step(t, step, -1, e, NULL);
	vused_free(&u, 1);
	return st_step(t, step, 0, e, "completed");
}

/* struct virtio_console_control: le32 id, le16 event, le16 value. */
static int control(struct st *t, uint32_t id, uint16_t event, uint16_t value, const char *step,
		   struct verr *e)
{
	uint8_t m[CON_CTRL_LEN];
	struct vseg s = {false, m, sizeof(m)};
	struct vused u;

	st_put_le(m, 4, id);
	st_put_le(m + 4, 2, event);
	st_put_le(m + 6, 2, value);
	if (st_roundtrip(t, CON_CTRL_TX, &s, 1, &u, e))
		return st_step(t, step, -1, e, NULL);
	vused_free(&u, 1);
	return st_step(t, step, 0, e, NULL);
}

static int post_ctrl_buffer(struct st *t, struct verr *e)
{
	struct vseg s = {true, NULL, CON_CTRL_BUF};
	uint16_t head;
	bool suppressed;

	return vring_post(t->rings[CON_CTRL_RX], &s, 1, &head, e) ||
	       vring_kick(t->rings[CON_CTRL_RX], &suppressed, e);
}

/* One message from the device; PORT_READY answers DEVICE_ADD at once. */
static int handle(struct st *t, const struct vused *u, struct con_port *ports, unsigned nports,
		  struct verr *e)
{
	uint32_t id;
	uint16_t event, value;

	if (u->len < CON_CTRL_LEN)
		return verr_set(e, VX_DEVICE, "control message of %u bytes, the header is 8",
				u->len);
	id = (uint32_t)st_get_le(u->data, 4);
	event = (uint16_t)st_get_le(u->data + 4, 2);
	value = (uint16_t)st_get_le(u->data + 6, 2);
	if (id >= nports)
		return verr_set(e, VX_DEVICE, "event %u for port %u, max_nr_ports %u", event, id,
				nports);
	if (id >= CON_MAX_PORTS)
		return 0; /* a port we do not drive: told about, left alone */
	switch (event) {
	case CON_DEVICE_ADD:
		ports[id].added = true;
		return control(t, id, CON_PORT_READY, 1, id ? "port-ready-1" : "port-ready-0", e);
	case CON_PORT_NAME:
		snprintf(ports[id].name, sizeof(ports[id].name), "%.*s",
			 (int)(u->len - CON_CTRL_LEN), (const char *)u->data + CON_CTRL_LEN);
		return 0;
	case CON_CONSOLE_PORT:
		ports[id].console = value == 1;
		return 0;
	case CON_PORT_OPEN:
		ports[id].host_open = value == 1;
		return 0;
	default:
		return 0; /* RESIZE, DEVICE_REMOVE: nothing to do for a test */
	}
}

/* Reads control messages until none came for CON_QUIET_MS. */
static int handshake(struct st *t, struct con_port *ports, unsigned nports, struct verr *e)
{
	unsigned msgs = 0;
	char detail[48];

	for (unsigned i = 0; i < CON_CTRL_BUFS; i++)
		if (post_ctrl_buffer(t, e))
			return st_step(t, "control-buffers", -1, e, NULL);
	if (control(t, 0, CON_DEVICE_READY, 1, "device-ready", e))
		return -1;
	for (;;) {
		struct vused u;
		unsigned got = 0;
		int rc;

		if (vring_poll(t->rings[CON_CTRL_RX], &u, 1, &got, CON_QUIET_MS, t->o->cancel, e)) {
			if (e->code == VX_TIMEOUT)
				break;
			return st_step(t, "control-messages", -1, e, NULL);
		}
		rc = handle(t, &u, ports, nports, e);
		vused_free(&u, 1);
		if (rc || post_ctrl_buffer(t, e))
			return st_step(t, "control-messages", -1, e, NULL);
		if (++msgs == CON_MAX_MSGS)
			return st_step(
				t, "control-messages",
				verr_set(e, VX_DEVICE, "over %u control messages", CON_MAX_MSGS), e,
				NULL);
	}
	memset(e, 0, sizeof(*e));
	snprintf(detail, sizeof(detail), "%u messages", msgs);
	return st_step(t, "control-messages", 0, e, detail);
}

static void report_ports(struct st *t, const struct con_port *ports)
{
	struct rnode *arr = r_arr(t->out, "ports", "Ports", RF_TABLE);

	for (unsigned i = 0; i < CON_MAX_PORTS; i++) {
		struct rnode *row;

		if (!ports[i].added)
			continue;
		row = r_obj(arr, NULL, NULL);
		r_uint(row, "id", "id", i, NULL);
		if (ports[i].name[0])
			r_str(row, "name", "name", ports[i].name);
		else
			r_null(row, "name", "name");
		r_bool(row, "console", "console", ports[i].console);
		r_bool(row, "host_open", "host open", ports[i].host_open);
	}
}

static int multiport(struct st *t, struct verr *e)
{
	struct con_port ports[CON_MAX_PORTS];
	uint8_t cfg[8];
	unsigned nports, added = 0;
	char got[16];

	memset(ports, 0, sizeof(ports));
	/* struct virtio_console_config: cols, rows (le16), max_nr_ports (le32). */
	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	nports = (unsigned)st_get_le(cfg + 4, 4);
	r_uint(t->out, "max_nr_ports", "Ports at most", nports, NULL);
	snprintf(got, sizeof(got), "%u", nports);
	if (st_expect(t, "max_nr_ports", "1 or more", got, nports >= 1, e))
		return -1;
	for (unsigned p = 0; p < CON_MAX_PORTS && p < nports; p++)
		if (st_setup_queue(t, rx_queue(p), e) || st_setup_queue(t, tx_queue(p), e))
			return -1;
	if (st_setup_queue(t, CON_CTRL_RX, e) || st_setup_queue(t, CON_CTRL_TX, e) ||
	    st_driver_ok(t, e) || handshake(t, ports, nports, e))
		return -1;
	report_ports(t, ports);
	for (unsigned p = 0; p < CON_MAX_PORTS; p++)
		added += ports[p].added;
	snprintf(got, sizeof(got), "%u", added);
	if (st_expect(t, "ports added", "1 or more", got, added > 0, e))
		return -1;
	for (unsigned p = 0; p < CON_MAX_PORTS; p++) {
		if (!ports[p].added)
			continue;
		if (control(t, p, CON_PORT_OPEN, 1, p ? "port-open-1" : "port-open-0", e) ||
		    transmit(t, tx_queue(p), p ? "transmit-1" : "transmit-0", e))
			return -1;
	}
	return 0;
}

int st_run_console(struct st *t, struct verr *e)
{
	if (t->features >> CON_F_MULTIPORT & 1)
		return multiport(t, e);
	if (st_setup_queue(t, 1, e) || st_driver_ok(t, e))
		return -1;
	return transmit(t, 1, "transmit", e);
}
