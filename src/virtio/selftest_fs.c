/* The virtio-fs self-test (virtio 1.3, 5.11; the FUSE protocol): FUSE_INIT,
 * FUSE_LOOKUP of each component of --path, FUSE_OPEN, FUSE_READ until the
 * end, FUSE_RELEASE. The bytes read become data_sha256; the size LOOKUP
 * gave must equal the bytes read; tag and request queues from the config.
 *
 * A request is fuse_in_header (40 bytes) and its argument, readable; the
 * reply is fuse_out_header (16 bytes) and its result, writable. Requests go
 * to the first request queue (queue 1; queue 0 is the high-priority one). */
#include <stdio.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define FUSE_IN_HDR	 40u
#define FUSE_OUT_HDR	 16u
#define FUSE_ROOT_ID	 1u
#define FUSE_MAJOR	 7u
#define FUSE_MINOR	 31u /* the oldest virtiofsd accepts */
#define FUSE_ENTRY_OUT	 128u
#define FUSE_ATTR_AT	 40u /* fuse_attr in fuse_entry_out */
#define FUSE_CHUNK	 16384u
#define FUSE_MAX_BYTES	 (16u << 20)
#define FS_CFG_LEN	 40u
#define FS_TAG_LEN	 36u
#define FS_REQUEST_QUEUE 1u
#define FS_S_IFMT	 0170000u
#define FS_S_IFREG	 0100000u

enum {
	FUSE_LOOKUP = 1,
	FUSE_OPEN = 14,
	FUSE_READ = 15,
	FUSE_RELEASE = 18,
	FUSE_INIT = 26,
};

struct fuse_call {
	uint8_t req[FUSE_IN_HDR + 256];
	size_t len;
	uint64_t unique;
	struct vused u;
	bool have_u;
	const uint8_t *rep; /* the result after the out header */
	uint32_t rep_len;
};

static void fc_done(struct fuse_call *c)
{
	if (c->have_u)
		vused_free(&c->u, 1);
	c->have_u = false;
	c->rep = NULL;
}

static void fc_begin(struct fuse_call *c, uint32_t opcode, uint64_t nodeid)
{
	memset(c->req, 0, FUSE_IN_HDR);
	st_put_le(c->req + 4, 4, opcode);
	st_put_le(c->req + 8, 8, ++c->unique);
	st_put_le(c->req + 16, 8, nodeid);
	c->len = FUSE_IN_HDR;
}

static void fc_put(struct fuse_call *c, unsigned width, uint64_t v)
{
	st_put_le(c->req + c->len, width, v);
	c->len += width;
}

/* Sends the request with room for `reply` result bytes and checks the out
 * header: length within the used length, our unique, error 0. */
static int fc_call(struct st *t, struct fuse_call *c, uint32_t reply, struct verr *e)
{
	struct vseg segs[2] = {{false, c->req, 0}, {true, NULL, FUSE_OUT_HDR + reply}};
	uint32_t len;
	int32_t err;

	fc_done(c);
	st_put_le(c->req, 4, c->len);
	segs[0].len = (uint32_t)c->len;
	if (st_roundtrip(t, FS_REQUEST_QUEUE, segs, 2, &c->u, e))
		return -1;
	c->have_u = true;
	if (c->u.len < FUSE_OUT_HDR)
		return verr_set(e, VX_DEVICE, "reply of %u bytes, fuse_out_header is 16", c->u.len);
	len = (uint32_t)st_get_le(c->u.data, 4);
	err = (int32_t)(uint32_t)st_get_le(c->u.data + 4, 4);
	if (len < FUSE_OUT_HDR || len > c->u.len)
		return verr_set(e, VX_DEVICE, "reply len field %u, used length %u", len, c->u.len);
	if (st_get_le(c->u.data + 8, 8) != c->unique)
		return verr_set(e, VX_DEVICE, "reply unique %llu, request %llu",
				(unsigned long long)st_get_le(c->u.data + 8, 8),
				(unsigned long long)c->unique);
	if (err)
		return verr_set(e, VX_DEVICE, "error %d (%s)", err,
				err < 0 && err > -4096 ? "-errno" : "not an errno");
	c->rep = c->u.data + FUSE_OUT_HDR;
	c->rep_len = len - FUSE_OUT_HDR;
	return 0;
}

static int fc_need(const struct fuse_call *c, uint32_t n, struct verr *e)
{
	if (c->rep_len < n)
		return verr_set(e, VX_DEVICE, "result of %u bytes, need %u", c->rep_len, n);
	return 0;
}

/* struct virtio_fs_config: tag[36] (NUL padded), le32 num_request_queues. */
static int fs_config(struct st *t, struct verr *e)
{
	uint8_t cfg[FS_CFG_LEN];
	uint32_t nq;
	size_t tag_len;
	char got[16];

	if (st_read_config(t, cfg, sizeof(cfg), sizeof(cfg), e))
		return -1;
	tag_len = strnlen((const char *)cfg, FS_TAG_LEN);
	r_strf(t->out, "fs_tag", "Tag", "%.*s", (int)tag_len, (const char *)cfg);
	nq = (uint32_t)st_get_le(cfg + FS_TAG_LEN, 4);
	r_uint(t->out, "num_request_queues", "Request queues", nq, NULL);
	snprintf(got, sizeof(got), "%u", nq);
	if (st_expect(t, "num_request_queues", "1 or more", got, nq >= 1, e))
		return -1;
	return st_expect(t, "tag", "1 to 36 bytes", tag_len ? "present" : "empty", tag_len > 0, e);
}

static int fs_init(struct st *t, struct fuse_call *c, struct verr *e)
{
	char got[32];

	fc_begin(c, FUSE_INIT, 0);
	fc_put(c, 4, FUSE_MAJOR);
	fc_put(c, 4, FUSE_MINOR);
	fc_put(c, 4, 0); /* max_readahead */
	fc_put(c, 4, 0); /* flags: nothing optional */
	if (fc_call(t, c, 64, e) || fc_need(c, 8, e))
		return st_step(t, "init", -1, e, NULL);
	snprintf(got, sizeof(got), "%u.%u", (unsigned)st_get_le(c->rep, 4),
		 (unsigned)st_get_le(c->rep + 4, 4));
	st_step(t, "init", 0, e, got);
	snprintf(got, sizeof(got), "%u", (unsigned)st_get_le(c->rep, 4));
	return st_expect(t, "FUSE major version", "7", got, st_get_le(c->rep, 4) == FUSE_MAJOR, e);
}

/* LOOKUP of each component from the root; the last one's attributes. */
static int fs_lookup(struct st *t, struct fuse_call *c, const char *path, uint64_t *node,
		     uint64_t *size, uint32_t *mode, struct verr *e)
{
	unsigned n = 0;

	*node = FUSE_ROOT_ID;
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return st_step(t, "lookup", verr_set(e, VX_USAGE, "no '..' in the path"), e,
				       NULL);
		if (len > 255)
			return st_step(
				t, "lookup",
				verr_set(e, VX_USAGE, "a component of the path is over 255 bytes"),
				e, NULL);
		if (len && !(len == 1 && p[0] == '.')) {
			fc_begin(c, FUSE_LOOKUP, *node);
			memcpy(c->req + c->len, p, len);
			c->req[c->len + len] = 0;
			c->len += len + 1;
			if (fc_call(t, c, FUSE_ENTRY_OUT, e) || fc_need(c, FUSE_ENTRY_OUT, e))
				return st_step(t, "lookup", -1, e, NULL);
			*node = st_get_le(c->rep, 8);
			*size = st_get_le(c->rep + FUSE_ATTR_AT + 8, 8);
			*mode = (uint32_t)st_get_le(c->rep + FUSE_ATTR_AT + 60, 4);
			n++;
		}
		p += len + (p[len] == '/');
	}
	if (n == 0)
		return st_step(t, "lookup", verr_set(e, VX_USAGE, "the path names no file"), e,
			       NULL);
	return st_step(t, "lookup", 0, e, path);
}

static int fs_open(struct st *t, struct fuse_call *c, uint64_t node, uint64_t *fh, struct verr *e)
{
	fc_begin(c, FUSE_OPEN, node);
	fc_put(c, 4, 0); /* O_RDONLY */
	fc_put(c, 4, 0);
	if (fc_call(t, c, 16, e) || fc_need(c, 16, e))
		return st_step(t, "open", -1, e, NULL);
	*fh = st_get_le(c->rep, 8);
	return st_step(t, "open", 0, e, "read-only");
}

static int fs_read(struct st *t, struct fuse_call *c, uint64_t node, uint64_t fh, struct verr *e)
{
	char detail[48];

	for (;;) {
		fc_begin(c, FUSE_READ, node);
		fc_put(c, 8, fh);
		fc_put(c, 8, t->data_len); /* offset */
		fc_put(c, 4, FUSE_CHUNK);
		fc_put(c, 4, 0); /* read_flags */
		fc_put(c, 8, 0); /* lock_owner */
		fc_put(c, 4, 0); /* flags */
		fc_put(c, 4, 0); /* padding */
		if (fc_call(t, c, FUSE_CHUNK, e))
			return st_step(t, "read", -1, e, NULL);
		if (c->rep_len > FUSE_CHUNK)
			return st_step(t, "read",
				       verr_set(e, VX_DEVICE, "%u bytes for a read of %u",
						c->rep_len, FUSE_CHUNK),
				       e, NULL);
		if (c->rep_len == 0)
			break;
		if (t->data_len + c->rep_len > FUSE_MAX_BYTES)
			return st_step(
				t, "read",
				verr_set(e, VX_USAGE, "the file is over %u bytes", FUSE_MAX_BYTES),
				e, NULL);
		if (st_keep_data(t, c->rep, c->rep_len, e))
			return st_step(t, "read", -1, e, NULL);
	}
	snprintf(detail, sizeof(detail), "%zu bytes", t->data_len);
	return st_step(t, "read", 0, e, detail);
}

static int fs_release(struct st *t, struct fuse_call *c, uint64_t node, uint64_t fh, struct verr *e)
{
	fc_begin(c, FUSE_RELEASE, node);
	fc_put(c, 8, fh);
	fc_put(c, 4, 0); /* flags */
	fc_put(c, 4, 0); /* release_flags */
	fc_put(c, 8, 0); /* lock_owner */
	return st_step(t, "release", fc_call(t, c, 0, e), e, NULL);
}

static int fs_session(struct st *t, struct fuse_call *c, struct verr *e)
{
	uint64_t node = 0, size = 0, fh = 0;
	uint32_t mode = 0;
	char want[32], got[32];

	if (fs_init(t, c, e) || fs_lookup(t, c, t->o->path, &node, &size, &mode, e))
		return -1;
	snprintf(got, sizeof(got), "0%o", mode);
	if (st_expect(t, "file type", "regular (S_IFREG)", got, (mode & FS_S_IFMT) == FS_S_IFREG,
		      e) ||
	    fs_open(t, c, node, &fh, e))
		return -1;
	if (fs_read(t, c, node, fh, e))
		return -1;
	snprintf(want, sizeof(want), "%llu", (unsigned long long)size);
	snprintf(got, sizeof(got), "%zu", t->data_len);
	if (st_expect(t, "bytes read", want, got, size == t->data_len, e))
		return -1;
	return fs_release(t, c, node, fh, e);
}

int st_run_fs(struct st *t, struct verr *e)
{
	struct fuse_call c;
	int rc;

	memset(&c, 0, sizeof(c));
	if (!t->o->path)
		return st_step(t, "file",
			       verr_set(e, VX_USAGE, "fs needs the path of a file to read"), e,
			       NULL);
	/* Both queues: a vhost-user back end starts every queue the device has. */
	if (fs_config(t, e) || st_setup_queue(t, 0, e) || st_setup_queue(t, FS_REQUEST_QUEUE, e) ||
	    st_driver_ok(t, e))
		return -1;
	rc = fs_session(t, &c, e);
	fc_done(&c);
	return rc;
}
