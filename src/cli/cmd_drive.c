/* Driving a device by hand: status steps, feature negotiation, a test
 * vring, post, kick and poll. Every handler here but `vring show` runs for
 * a CMD_WRITES row: dispatch() applied the safety rules before it. */
#include "cli/commands_impl.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/drive.h"
#include "pci/backend/vfio.h"
#include "cli/report.h"
#include "virtio/driver.h"
#include "virtio/features.h"

CMD_HANDLER(cmd_status_step)
{
	enum vstep step = (enum vstep)a->choice;
	struct vstep_result r;
	struct sdev *d;
	int rc;

	if (drive_device(s, a, &d, e))
		return -1;
	rc = vdev_step(&d->v, step, s->force, &r, e);
	if (rc && r.refused)
		verr_append(e, " (--force does it anyway)");
	*out = report_device_root(s, d);
	r_str(*out, "step", "Step", vstep_name(r.step));
	r_status(*out, "status_before", "Status before", r.before);
	if (rc == 0 || r.refused_by_device) {
		r_status(*out, "device_status", "Status", r.after);
		r_bool(*out, "features_ok_refused", "FEATURES_OK refused", r.refused_by_device);
		r_bool(*out, "needs_reset", "DEVICE_NEEDS_RESET", r.needs_reset);
	}
	/* After a confirmed reset the device has forgotten our queues. */
	if (rc == 0 && r.step == VSTEP_RESET)
		drive_forget_rings(d);
	return rc;
}

static int write_features(struct session *s, struct sdev *d, uint64_t want, struct rnode *o,
			  struct verr *e)
{
	struct vdev *v = &d->v;
	uint64_t offered, back;
	uint8_t st;

	if (v->ops->get_device_features(v, &offered, e) || v->ops->get_status(v, &st, e))
		return -1;
	if ((want & ~offered) && !s->force)
		return verr_set(e, VX_USAGE,
				"the device does not offer 0x%016llx (--force writes "
				"it anyway)",
				(unsigned long long)(want & ~offered));
	if ((!(st & VIRTIO_STATUS_DRIVER) || (st & VIRTIO_STATUS_FEATURES_OK)) && !s->force)
		return verr_set(e, VX_USAGE,
				"features are written after DRIVER and before "
				"FEATURES_OK (status 0x%02x; --force writes anyway)",
				st);
	if (v->ops->set_driver_features(v, want, e) || v->ops->get_driver_features(v, &back, e))
		return -1;
	drive_of(d)->features = back;
	drive_of(d)->features_written = true;
	r_hex64(o, "device_features", "Device features", offered);
	r_hex64(o, "driver_features", "Driver features", back);
	if (back != want)
		return verr_set(e, VX_DEVICE,
				"driver features read back as 0x%016llx, not 0x%016llx",
				(unsigned long long)back, (unsigned long long)want);
	return 0;
}

/* The words after `set` as one spec: "VERSION_1 +EVENT_IDX". */
static char *feature_spec(const struct cmd_args *a)
{
	size_t len = 1;
	char *spec;

	for (int i = 1; i < a->argc; i++)
		len += strlen(a->argv[i]) + 1;
	spec = calloc(1, len);
	for (int i = 1; spec && i < a->argc; i++)
		strcat(strcat(spec, a->argv[i]), " ");
	return spec;
}

CMD_HANDLER(cmd_features_set)
{
	uint64_t cur = 0, want;
	struct sdev *d;
	char *spec;
	int rc;

	if (drive_device(s, a, &d, e))
		return -1;
	spec = feature_spec(a);
	if (!spec)
		return verr_set(e, VX_FAIL, "out of memory");
	rc = d->v.ops->get_driver_features(&d->v, &cur, e) ||
	     features_parse(spec, (unsigned)d->v.device_id, cur, &want, e);
	free(spec);
	if (rc)
		return -1;
	*out = report_device_root(s, d);
	return write_features(s, d, want, *out, e);
}

CMD_HANDLER(cmd_features_negotiate)
{
	uint64_t offered;
	struct sdev *d;

	if (drive_device(s, a, &d, e) || d->v.ops->get_device_features(&d->v, &offered, e))
		return -1;
	*out = report_device_root(s, d);
	return write_features(s, d, features_default(&d->v, offered), *out, e);
}

static int parse_queue(const char *s, unsigned *q, struct verr *e)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v >= DRIVE_MAX_QUEUES)
		return verr_set(e, VX_USAGE, "'%s' is not a queue number (0-%d)", s,
				DRIVE_MAX_QUEUES - 1);
	*q = (unsigned)v;
	return 0;
}

/* MSI-X through VFIO eventfds: vector 0 for config changes, q + 1 for
 * queue q, as Linux lays them out. */
static int irq_vector(struct sdev *d, unsigned q, uint16_t *vector, struct verr *e)
{
	struct drive *dr = drive_of(d);
	unsigned n = vfio_pdev_is(d->pci) ? vfio_msix_count(d->pci) : 0;

	if (!vfio_pdev_is(d->pci))
		return verr_set(e, VX_UNAVAILABLE,
				"--irq needs the device bound to vfio-pci (interrupts reach "
				"userspace only through VFIO eventfds)");
	if (q + 1 >= n)
		return verr_set(e, VX_UNAVAILABLE, "queue %u has no MSI-X vector (%u vectors)", q,
				n);
	if (!dr->msix_on) {
		if (vfio_msix_enable(d->pci, n, e))
			return -1;
		dr->msix_on = true;
	}
	*vector = (uint16_t)(q + 1);
	return 0;
}

/* --ring must agree with the negotiated features: a device that
 * negotiated RING_PACKED reads only packed rings, and the other way
 * round. */
static int check_layout(struct sdev *d, unsigned layout, struct verr *e)
{
	bool negotiated = drive_of(d)->features >> VIRTIO_FB_RING_PACKED & 1;
	uint64_t offered;

	if (layout == VRING_SPLIT) {
		if (negotiated)
			return verr_set(e, VX_USAGE,
					"VIRTIO_F_RING_PACKED is negotiated: the device expects "
					"a packed ring (--ring packed)");
		return 0;
	}
	if (d->v.ops->get_device_features(&d->v, &offered, e))
		return -1;
	if (!(offered >> VIRTIO_FB_RING_PACKED & 1))
		return verr_set(e, VX_USAGE,
				"--ring packed: the device does not offer VIRTIO_F_RING_PACKED "
				"(bit 34)");
	if (!negotiated)
		return verr_set(e, VX_USAGE,
				"--ring packed: VIRTIO_F_RING_PACKED (bit 34) is not negotiated "
				"('features DEV set +RING_PACKED' before features-ok)");
	return 0;
}

CMD_HANDLER(cmd_vring_setup)
{
	const char *size_arg = a->argc > 2 ? a->argv[2] : NULL;
	uint16_t vector = VIRTIO_MSI_NO_VECTOR;
	unsigned long size = 0;
	struct drive *dr;
	struct dma *dma;
	struct sdev *d;
	unsigned q;
	char *end;

	if (drive_device(s, a, &d, e) || parse_queue(a->argv[1], &q, e))
		return -1;
	dr = drive_of(d);
	if (!dr)
		return verr_set(e, VX_FAIL, "out of memory");
	if (size_arg) {
		size = strtoul(size_arg, &end, 0);
		if (*end || size == 0 || size > 32768)
			return verr_set(e, VX_USAGE, "bad queue size '%s'", size_arg);
	}
	if (dr->rings[q])
		return verr_set(e, VX_USAGE, "queue %u is already set up (reset the device first)",
				q);
	if (check_layout(d, (unsigned)a->opt[VRING_RING].u, e))
		return -1;
	if (drive_dma(s, d, &dma, e) || (a->opt[VRING_IRQ].given && irq_vector(d, q, &vector, e)) ||
	    vring_create(&d->v, dma, q, (uint16_t)size, dr->features, vector, &dr->rings[q], e))
		return -1;
	*out = report_device_root(s, d);
	vring_describe(dr->rings[q], r_obj(*out, "vring", "Vring"));
	return 0;
}

/* Read-only: decodes a ring of ours; a device we never drove has none. */
CMD_HANDLER(cmd_vring_show)
{
	struct sdev *d;
	unsigned q;

	if (session_device(s, a->argv[0], &d, e) || parse_queue(a->argv[1], &q, e))
		return -1;
	if (!drive_ring(d, q))
		return verr_set(e, VX_USAGE, "queue %u has no vring of ours (vring setup first)",
				q);
	*out = report_device_root(s, d);
	vring_describe(drive_ring(d, q), r_obj(*out, "vring", "Vring"));
	return 0;
}

static int ring_arg(struct session *s, const struct cmd_args *a, struct sdev **d, struct vring **r,
		    struct verr *e)
{
	unsigned q;

	if (drive_device(s, a, d, e) || parse_queue(a->argv[1], &q, e))
		return -1;
	*r = drive_ring(*d, q);
	if (!*r)
		return verr_set(e, VX_USAGE, "queue %u has no vring of ours (vring setup first)",
				q);
	return 0;
}

/* "r:HEX" device-readable bytes, "r@FILE" readable bytes from a file,
 * "w:LEN" a device-writable buffer of LEN bytes. */
static int read_file(const char *path, uint8_t **buf, uint32_t *len, struct verr *e)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return verr_set(e, VX_INPUT, "cannot open %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (1 << 24) || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return verr_set(e, VX_INPUT, "%s: unreadable or larger than 16 MiB", path);
	}
	*buf = malloc(n ? (size_t)n : 1);
	if (!*buf || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return verr_set(e, VX_INPUT, "cannot read %s", path);
	}
	fclose(f);
	*len = (uint32_t)n;
	return 0;
}

static int parse_hex(const char *hex, uint8_t **buf, uint32_t *len, struct verr *e)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2)
		return verr_set(e, VX_USAGE, "'%s': hex bytes come in pairs", hex);
	*buf = malloc(n / 2);
	if (!*buf)
		return verr_set(e, VX_FAIL, "out of memory");
	for (size_t i = 0; i < n / 2; i++) {
		unsigned b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1])) {
			free(*buf);
			return verr_set(e, VX_USAGE, "'%s' is not hex", hex);
		}
		(*buf)[i] = (uint8_t)b;
	}
	*len = (uint32_t)(n / 2);
	return 0;
}

static int parse_seg(const char *arg, struct vseg *s, uint8_t **owned, struct verr *e)
{
	uint8_t *buf = NULL;
	uint32_t len = 0;
	char *end;

	*owned = NULL;
	if (strncmp(arg, "w:", 2) == 0) {
		unsigned long n = strtoul(arg + 2, &end, 0);

		if (!arg[2] || *end || n == 0 || n > (1u << 24))
			return verr_set(e, VX_USAGE,
					"'%s': w:LEN needs a length of 1 byte to 16 MiB", arg);
		*s = (struct vseg){true, NULL, (uint32_t)n};
		return 0;
	}
	if (strncmp(arg, "r:", 2) == 0 && parse_hex(arg + 2, &buf, &len, e) == 0)
		;
	else if (strncmp(arg, "r@", 2) == 0 && read_file(arg + 2, &buf, &len, e) == 0)
		;
	else if (strncmp(arg, "r:", 2) && strncmp(arg, "r@", 2))
		return verr_set(e, VX_USAGE, "'%s' is not a buffer (r:HEX, r@FILE or w:LEN)", arg);
	else
		return -1;
	*s = (struct vseg){false, buf, len};
	*owned = buf;
	return 0;
}

CMD_HANDLER(cmd_post)
{
	int nseg = a->argc - 2;
	struct vseg segs[VRING_MAX_SEGS];
	uint8_t *owned[VRING_MAX_SEGS] = {0};
	uint32_t rd = 0, wr = 0;
	struct vring *r;
	struct sdev *d;
	uint16_t head;
	int rc = -1, i;

	if (ring_arg(s, a, &d, &r, e))
		return -1;
	if (nseg > VRING_MAX_SEGS)
		return verr_set(e, VX_USAGE, "at most %d buffers in a chain", VRING_MAX_SEGS);
	for (i = 0; i < nseg; i++) {
		if (parse_seg(a->argv[2 + i], &segs[i], &owned[i], e))
			goto out;
		*(segs[i].writable ? &wr : &rd) += segs[i].len;
	}
	if (vring_post_flags(r, segs, (unsigned)nseg,
			     a->opt[POST_INDIRECT].given ? VRING_POST_INDIRECT : 0, &head, e))
		goto out;
	*out = report_device_root(s, d);
	r_uint(*out, "queue", "Queue", vring_index(r), NULL);
	r_uint(*out, "head", vring_is_packed(r) ? "Buffer id" : "Head descriptor", head, NULL);
	r_bool(*out, "indirect", "Indirect table", a->opt[POST_INDIRECT].given);
	r_uint(*out, "readable_bytes", "Device-readable bytes", rd, NULL);
	r_uint(*out, "writable_bytes", "Device-writable bytes", wr, NULL);
	r_uint(*out, "in_flight", "Chains in flight", vring_in_flight(r), NULL);
	rc = 0;
out:
	for (i = 0; i < nseg; i++)
		free(owned[i]);
	return rc;
}

CMD_HANDLER(cmd_kick)
{
	struct vring *r;
	struct sdev *d;
	bool suppressed;

	if (ring_arg(s, a, &d, &r, e) || vring_kick(r, &suppressed, e))
		return -1;
	*out = report_device_root(s, d);
	r_uint(*out, "queue", "Queue", vring_index(r), NULL);
	r_bool(*out, "device_suppressed_notify", "Device asked for no notification", suppressed);
	return 0;
}

/* Blocks on the queue's MSI-X eventfd; reading it clears the count. */
static int wait_eventfd(void *ctx, int timeout_ms)
{
	struct pollfd p = {*(const int *)ctx, POLLIN, 0};
	uint64_t count;
	int rc = poll(&p, 1, timeout_ms);

	if (rc > 0 && read(p.fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -1;
	return rc < 0 && errno != EINTR ? -1 : 0;
}

static int irq_fd(struct sdev *d, struct vring *r, int *fd, struct verr *e)
{
	uint16_t vec = vring_msix_vector(r);

	if (vec == VIRTIO_MSI_NO_VECTOR)
		return verr_set(e, VX_USAGE,
				"queue %u has no interrupt: set it up with 'vring "
				"setup --irq'",
				vring_index(r));
	*fd = vfio_msix_eventfd(d->pci, vec);
	if (*fd < 0)
		return verr_set(e, VX_UNAVAILABLE, "no eventfd for MSI-X vector %u", vec);
	return 0;
}

static void used_node(struct rnode *o, const struct vused *u)
{
	r_uint(o, "id", "id", u->id, NULL);
	r_uint(o, "len", "len", u->len, NULL);
	r_bytes(o, "data", "data", u->data, u->len);
}

static int save_output(const char *path, const struct vused *u, unsigned n, struct verr *e)
{
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL;

	for (unsigned i = 0; ok && i < n; i++)
		ok = fwrite(u[i].data, 1, u[i].len, f) == u[i].len;
	if (f && fclose(f))
		ok = false;
	return ok ? 0 : verr_set(e, VX_FAIL, "cannot write %s: %s", path, strerror(errno));
}

/* Waits until `count` elements came or the timeout passed; the elements
 * already received are reported even when it ends in a timeout. */
CMD_HANDLER(cmd_poll)
{
	unsigned count = (unsigned)a->opt[POLL_COUNT].u, got = 0, n;
	int timeout = (int)a->opt[POLL_TIMEOUT].u;
	struct vused *u;
	struct vring *r;
	struct sdev *d;
	struct rnode *arr;
	int rc = 0, fd = -1;

	struct vring_spin spin;

	if (ring_arg(s, a, &d, &r, e) || (a->opt[POLL_IRQ].given && irq_fd(d, r, &fd, e)))
		return -1;
	spin_from_args(a, POLL_SPIN, &spin);
	vring_set_spin(r, &spin);
	u = calloc(count, sizeof(*u));
	if (!u)
		return verr_set(e, VX_FAIL, "out of memory");
	while (got < count && rc == 0) {
		rc = vring_poll_wait(r, u + got, count - got, &n, timeout, &s->cancel,
				     fd >= 0 ? wait_eventfd : NULL, &fd, e);
		got += n;
	}
	*out = report_device_root(s, d);
	r_uint(*out, "queue", "Queue", vring_index(r), NULL);
	r_uint(*out, "count", "Used elements", got, NULL);
	if (got)
		used_node(r_obj(*out, "used", "Last used element"), &u[got - 1]);
	/* Every element, when more than one was asked for. */
	if (count > 1) {
		arr = r_arr(*out, "elements", "Used elements", 0);
		for (unsigned i = 0; i < got; i++)
			used_node(r_obj(arr, NULL, NULL), &u[i]);
	}
	if (rc == 0 && a->opt[POLL_OUTPUT].given)
		rc = save_output(a->opt[POLL_OUTPUT].s, u, got, e);
	vused_free(u, got);
	free(u);
	return rc;
}
