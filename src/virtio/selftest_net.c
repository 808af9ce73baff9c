/* The net self-test (virtio 1.3, 5.1): one broadcast frame transmitted;
 * with CTRL_VQ, control commands each acknowledged with VIRTIO_NET_OK
 * (CTRL_RX: promiscuous on, then off; MAC_TABLE_SET: our address as the
 * one unicast entry, no multicast); with --arp IPV4, an ARP request for
 * that address and the reply received: an ARP reply whose sender is that
 * address and whose target is our MAC. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "virtio/ids.h"
#include "virtio/features.h"
#include "virtio/selftest_impl.h"

#define NET_F_MAC     5
#define NET_F_CTRL_VQ 17
#define NET_F_CTRL_RX 18
#define NET_RX_Q      0u
#define NET_TX_Q      1u
#define NET_CTRL_Q    2u /* without MQ */
#define NET_FRAME_MAX 1514u
#define NET_RX_BUFS   4u
#define NET_RX_FRAMES 32u /* other frames tolerated while waiting for the reply */
#define NET_OK	      0

/* Our source address when the device has no MAC: locally administered. */
static const uint8_t fallback_mac[6] = {0x02, 0x00, 0x00, 0x76, 0x69, 0x6f};
/* The guest address QEMU's user network hands out first. */
static const uint8_t arp_source_ip[4] = {10, 0, 2, 15};

struct net_t {
	unsigned hdr; /* virtio_net_hdr: 12 with VERSION_1, 10 on legacy */
	uint8_t mac[6];
	char mac_text[18];
};

static int transmit(struct st *t, const struct net_t *n, const uint8_t *frame, uint32_t len,
		    const char *step, struct verr *e)
{
	uint8_t hdr[12] = {0};
	struct vseg segs[2] = {{false, hdr, n->hdr}, {false, frame, len}};
	struct vused u;

	if (st_roundtrip(t, NET_TX_Q, segs, 2, &u, e))
		return st_step(t, step, -1, e, NULL);
	vused_free(&u, 1);
	return st_step(t, step, 0, e, "completed");
}

/* One broadcast frame with EtherType 0x88b5 (local experimental). */
static int experimental_frame(struct st *t, const struct net_t *n, struct verr *e)
{
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	memcpy(frame + 6, fallback_mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, "virtioctl net self-test", 23);
	return transmit(t, n, frame, sizeof(frame), "transmit", e);
}

/* class, command, data readable; the ack byte writable. */
static int ctrl(struct st *t, uint8_t class, uint8_t cmd, const uint8_t *data, uint32_t len,
		const char *what, struct verr *e)
{
	uint8_t head[2] = {class, cmd};
	struct vseg segs[3] = {{false, head, 2}, {false, data, len}, {true, NULL, 1}};
	struct vused u;
	char got[16];
	int ack;

	if (st_roundtrip(t, NET_CTRL_Q, segs, 3, &u, e))
		return st_step(t, what, -1, e, NULL);
	ack = u.len >= 1 ? u.data[0] : -1;
	vused_free(&u, 1);
	st_step(t, what, 0, e, "completed");
	if (ack < 0)
		snprintf(got, sizeof(got), "no ack byte");
	else
		snprintf(got, sizeof(got), "%d", ack);
	return st_expect(t, what, "0 (VIRTIO_NET_OK)", got, ack == NET_OK, e);
}

static int ctrl_commands(struct st *t, const struct net_t *n, struct verr *e)
{
	uint8_t on = 1, off = 0, table[4 + 6 + 4] = {1, 0, 0, 0};

	if (!(t->features >> NET_F_CTRL_VQ & 1))
		return st_step(t, "ctrl", 0, e, "CTRL_VQ not offered");
	if (t->features >> NET_F_CTRL_RX & 1) {
		/* VIRTIO_NET_CTRL_RX (0): PROMISC (0) */
		if (ctrl(t, 0, 0, &on, 1, "ctrl-rx-promisc-on", e) ||
		    ctrl(t, 0, 0, &off, 1, "ctrl-rx-promisc-off", e))
			return -1;
	} else {
		st_step(t, "ctrl-rx", 0, e, "CTRL_RX not offered");
	}
	/* VIRTIO_NET_CTRL_MAC (1): MAC_TABLE_SET (0), two virtio_net_ctrl_mac
	 * tables (le32 entries, then the addresses): ours, then none. */
	memcpy(table + 4, n->mac, 6);
	return ctrl(t, 1, 0, table, sizeof(table), "ctrl-mac-table-set", e);
}

static int post_rx(struct st *t, const struct net_t *n, struct verr *e)
{
	struct vseg s = {true, NULL, n->hdr + NET_FRAME_MAX};
	uint16_t head;
	bool suppressed;

	return vring_post(t->rings[NET_RX_Q], &s, 1, &head, e) ||
	       vring_kick(t->rings[NET_RX_Q], &suppressed, e);
}

static void arp_request(const struct net_t *n, const uint8_t ip[4], uint8_t *f)
{
	static const uint8_t head[] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};

	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, n->mac, 6);
	memcpy(f + 12, head, sizeof(head));
	memcpy(f + 22, n->mac, 6);	  /* sender hardware address */
	memcpy(f + 28, arp_source_ip, 4); /* sender protocol address */
	memcpy(f + 38, ip, 4);		  /* target protocol address */
}

/* An ARP reply (EtherType 0x0806, oper 2): 1; other frames: 0. Who sent
 * it is the known answer, checked after. */
static int is_arp_reply(const struct net_t *n, const struct vused *u)
{
	const uint8_t *f = u->data + n->hdr;

	if (u->len < n->hdr + 42)
		return 0;
	return f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2;
}

static int check_reply(struct st *t, const struct net_t *n, const uint8_t *f, const uint8_t ip[4],
		       const char *ip_text, struct verr *e)
{
	char got[20];

	r_strf(t->out, "arp_reply_mac", "ARP reply from", "%02x:%02x:%02x:%02x:%02x:%02x", f[22],
	       f[23], f[24], f[25], f[26], f[27]);
	snprintf(got, sizeof(got), "%u.%u.%u.%u", f[28], f[29], f[30], f[31]);
	if (st_expect(t, "arp reply sender ip", ip_text, got, memcmp(f + 28, ip, 4) == 0, e))
		return -1;
	snprintf(got, sizeof(got), "%02x:%02x:%02x:%02x:%02x:%02x", f[32], f[33], f[34], f[35],
		 f[36], f[37]);
	return st_expect(t, "arp reply target mac", n->mac_text, got,
			 memcmp(f + 32, n->mac, 6) == 0, e);
}

static int arp(struct st *t, const struct net_t *n, struct verr *e)
{
	uint8_t ip[4], frame[60];
	char detail[48];

	if (inet_pton(AF_INET, t->o->arp, ip) != 1)
		return st_step(t, "arp",
			       verr_set(e, VX_USAGE, "'%s' is not an IPv4 address", t->o->arp), e,
			       NULL);
	for (unsigned i = 0; i < NET_RX_BUFS; i++)
		if (post_rx(t, n, e))
			return st_step(t, "rx-buffers", -1, e, NULL);
	arp_request(n, ip, frame);
	if (transmit(t, n, frame, sizeof(frame), "arp-request", e))
		return -1;
	for (unsigned frames = 0; frames < NET_RX_FRAMES; frames++) {
		struct vused u;
		unsigned got = 0;
		int rc;

		if (vring_poll(t->rings[NET_RX_Q], &u, 1, &got, t->o->timeout_ms, t->o->cancel, e))
			return st_step(t, "arp-reply", -1, e, NULL);
		if (u.len > n->hdr + NET_FRAME_MAX) {
			vused_free(&u, 1);
			return st_step(t, "arp-reply",
				       verr_set(e, VX_DEVICE, "used len %u over the buffer", u.len),
				       e, NULL);
		}
		if (is_arp_reply(n, &u)) {
			snprintf(detail, sizeof(detail), "after %u other frames", frames);
			st_step(t, "arp-reply", 0, e, detail);
			rc = check_reply(t, n, u.data + n->hdr, ip, t->o->arp, e);
			vused_free(&u, 1);
			return rc;
		}
		vused_free(&u, 1);
		if (post_rx(t, n, e))
			return st_step(t, "rx-buffers", -1, e, NULL);
	}
	return st_step(t, "arp-reply",
		       verr_set(e, VX_DEVICE, "no ARP reply among %u frames", NET_RX_FRAMES), e,
		       NULL);
}

int st_run_net(struct st *t, struct verr *e)
{
	struct net_t n = {.hdr = t->features >> VIRTIO_FB_VERSION_1 & 1 ? 12 : 10};
	uint8_t cfg[6];

	memcpy(n.mac, fallback_mac, 6);
	if (t->features >> NET_F_MAC & 1) {
		if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
			return -1;
		memcpy(n.mac, cfg, 6);
	}
	snprintf(n.mac_text, sizeof(n.mac_text), "%02x:%02x:%02x:%02x:%02x:%02x", n.mac[0],
		 n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5]);
	r_str(t->out, "mac", "MAC", n.mac_text);
	if (st_setup_queue(t, NET_RX_Q, e) || st_setup_queue(t, NET_TX_Q, e) ||
	    ((t->features >> NET_F_CTRL_VQ & 1) && st_setup_queue(t, NET_CTRL_Q, e)) ||
	    st_driver_ok(t, e))
		return -1;
	if (experimental_frame(t, &n, e) || ctrl_commands(t, &n, e))
		return -1;
	return t->o->arp ? arp(t, &n, e) : 0;
}
