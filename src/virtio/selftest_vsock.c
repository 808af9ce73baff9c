/* The vsock self-test (virtio 1.3, 5.10): the guest CID from the config,
 * which must be a CID a guest may have (3 to 0xfffffffe: 0-2 are reserved
 * for the hypervisor, local and host, 0xffffffff is VMADDR_CID_ANY, and
 * the upper 32 bits of guest_cid are reserved, zero); then the event queue
 * set up with one buffer and DRIVER_OK accepted. Nothing is connected:
 * that needs a listener on the host. */
#include <stdio.h>

#include "virtio/selftest_impl.h"

#define VSOCK_EVENT_Q	2u
#define VSOCK_EVENT_LEN 4u /* struct virtio_vsock_event: le32 id */

int st_run_vsock(struct st *t, struct verr *e)
{
	struct vseg s = {true, NULL, VSOCK_EVENT_LEN};
	uint8_t cfg[8];
	uint64_t cid;
	uint16_t head;
	bool suppressed;
	char got[32];

	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	cid = st_get_le(cfg, 8);
	r_uint(t->out, "guest_cid", "Guest CID", cid, NULL);
	snprintf(got, sizeof(got), "%llu", (unsigned long long)cid);
	if (st_expect(t, "guest_cid", "3 to 4294967294", got, cid >= 3 && cid <= 0xfffffffeull, e))
		return -1;
	if (st_setup_queue(t, 0, e) || st_setup_queue(t, 1, e) ||
	    st_setup_queue(t, VSOCK_EVENT_Q, e) || st_driver_ok(t, e))
		return -1;
	return st_step(t, "event-buffer",
		       vring_post(t->rings[VSOCK_EVENT_Q], &s, 1, &head, e) ||
			       vring_kick(t->rings[VSOCK_EVENT_Q], &suppressed, e),
		       e, "posted");
}
