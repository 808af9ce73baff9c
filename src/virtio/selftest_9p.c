/* The 9p self-test (virtio 1.3 lists device ID 9, "9P transport";
 * the protocol is 9P2000.L): Tversion, Tattach, Twalk to --path, Tgetattr, Tlopen, Tread
 * until the end of the file, Tclunk. The bytes read become data_sha256;
 * the size Rgetattr gave must equal the bytes read, and the mount tag
 * from the config goes into the report.
 *
 * Every message is size[4] type[1] tag[2] then its fields, little-endian;
 * strings are len[2] then the bytes. One request per chain: the T-message
 * readable, one writable buffer of msize bytes for the R-message. */
#include <stdio.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define P9_MSIZE	 8192u
#define P9_HDR		 7u
#define P9_NOTAG	 0xffffu
#define P9_NOFID	 0xffffffffu
#define P9_MAXWELEM	 16u
#define P9_MAX_BYTES	 (16u << 20) /* read at most this much of a file */
#define P9_QTDIR	 0x80u
#define P9_GETATTR_BASIC 0x7ffull
#define P9_CFG_LEN	 (2 + 256)
#define P9_F_MOUNT_TAG	 0

enum {
	P9_RLERROR = 7,
	P9_TLOPEN = 12,
	P9_TGETATTR = 24,
	P9_TVERSION = 100,
	P9_TATTACH = 104,
	P9_TWALK = 110,
	P9_TREAD = 116,
	P9_TCLUNK = 120,
};

struct p9 {
	uint8_t req[P9_MSIZE];
	size_t len;
	uint32_t msize; /* negotiated */
	uint16_t tag;
	uint8_t *rep; /* the R-message (from the used element), rep_len bytes */
	uint32_t rep_len;
	struct vused u;
	bool have_u;
};

static void p9_begin(struct p9 *m, uint8_t type, uint16_t tag)
{
	m->req[4] = type;
	st_put_le(m->req + 5, 2, tag);
	m->len = P9_HDR;
}

static void p9_put(struct p9 *m, unsigned width, uint64_t v)
{
	st_put_le(m->req + m->len, width, v);
	m->len += width;
}

/* Callers keep strings short (path components are checked to 255). */
static void p9_str(struct p9 *m, const char *s, size_t n)
{
	p9_put(m, 2, n);
	memcpy(m->req + m->len, s, n);
	m->len += n;
}

static void p9_done(struct p9 *m)
{
	if (m->have_u)
		vused_free(&m->u, 1);
	m->have_u = false;
	m->rep = NULL;
}

/* Sends the T-message and checks the reply's framing: its size fits the
 * used length, the tag is ours, the type is `rtype` (Rlerror is turned
 * into an error with its errno). The reply stays in m->rep. */
static int p9_call(struct st *t, struct p9 *m, uint8_t rtype, struct verr *e)
{
	struct vseg segs[2] = {{false, m->req, 0}, {true, NULL, m->msize}};
	uint16_t tag = (uint16_t)st_get_le(m->req + 5, 2);
	uint32_t size;

	p9_done(m);
	st_put_le(m->req, 4, m->len);
	segs[0].len = (uint32_t)m->len;
	if (st_roundtrip(t, 0, segs, 2, &m->u, e))
		return -1;
	m->have_u = true;
	if (m->u.len < P9_HDR)
		return verr_set(e, VX_DEVICE, "reply of %u bytes, a 9P header is 7", m->u.len);
	size = (uint32_t)st_get_le(m->u.data, 4);
	if (size < P9_HDR || size > m->u.len)
		return verr_set(e, VX_DEVICE, "reply size field %u, used length %u", size,
				m->u.len);
	if (st_get_le(m->u.data + 5, 2) != tag)
		return verr_set(e, VX_DEVICE, "reply tag %u, request tag %u",
				(unsigned)st_get_le(m->u.data + 5, 2), tag);
	if (m->u.data[4] == P9_RLERROR && size >= P9_HDR + 4)
		return verr_set(e, VX_DEVICE, "Rlerror: errno %u",
				(unsigned)st_get_le(m->u.data + P9_HDR, 4));
	if (m->u.data[4] != rtype)
		return verr_set(e, VX_DEVICE, "reply type %u, expected %u", m->u.data[4], rtype);
	m->rep = m->u.data + P9_HDR;
	m->rep_len = size - P9_HDR;
	return 0;
}

static int p9_need(const struct p9 *m, uint32_t n, struct verr *e)
{
	if (m->rep_len < n)
		return verr_set(e, VX_DEVICE, "reply of %u bytes, need %u", m->rep_len, n);
	return 0;
}

/* The mount tag (MOUNT_TAG): le16 tag_len, then that many bytes. */
static int p9_config(struct st *t, struct verr *e)
{
	uint8_t cfg[P9_CFG_LEN];
	unsigned len;

	if (!(t->features >> P9_F_MOUNT_TAG & 1)) {
		r_null(t->out, "mount_tag", "Mount tag");
		return st_step(t, "mount-tag", 0, e, "MOUNT_TAG not offered");
	}
	if (st_read_config(t, cfg, sizeof(cfg), 2, e))
		return -1;
	len = (unsigned)st_get_le(cfg, 2);
	if (len == 0 || len > sizeof(cfg) - 2 || memchr(cfg + 2, 0, len))
		return st_step(t, "mount-tag",
			       verr_set(e, VX_DEVICE, "tag_len %u: not a tag of 1 to %zu bytes",
					len, sizeof(cfg) - 2),
			       e, NULL);
	r_strf(t->out, "mount_tag", "Mount tag", "%.*s", (int)len, (const char *)cfg + 2);
	return st_step(t, "mount-tag", 0, e, "read");
}

static int p9_version(struct st *t, struct p9 *m, struct verr *e)
{
	static const char want[] = "9P2000.L";
	char got[64];
	unsigned n;

	p9_begin(m, P9_TVERSION, P9_NOTAG);
	p9_put(m, 4, P9_MSIZE);
	p9_str(m, want, sizeof(want) - 1);
	if (p9_call(t, m, P9_TVERSION + 1, e) || p9_need(m, 6, e))
		return st_step(t, "version", -1, e, NULL);
	n = (unsigned)st_get_le(m->rep + 4, 2);
	if (p9_need(m, 6 + n, e))
		return st_step(t, "version", -1, e, NULL);
	snprintf(got, sizeof(got), "%.*s", (int)(n < 40 ? n : 40), (const char *)m->rep + 6);
	m->msize = (uint32_t)st_get_le(m->rep, 4);
	st_step(t, "version", 0, e, got);
	if (st_expect(t, "version", want, got, strcmp(got, want) == 0, e))
		return -1;
	snprintf(got, sizeof(got), "%u", m->msize);
	/* Room for a read header and some data, and no more than we offered. */
	return st_expect(t, "msize", "64 to 8192", got, m->msize >= 64 && m->msize <= P9_MSIZE, e);
}

static int p9_attach(struct st *t, struct p9 *m, struct verr *e)
{
	char got[32];

	p9_begin(m, P9_TATTACH, ++m->tag);
	p9_put(m, 4, 0);	/* fid */
	p9_put(m, 4, P9_NOFID); /* afid: no authentication */
	p9_str(m, "", 0);	/* uname */
	p9_str(m, "", 0);	/* aname: the export */
	p9_put(m, 4, 0);	/* n_uname: root */
	if (p9_call(t, m, P9_TATTACH + 1, e) || p9_need(m, 13, e))
		return st_step(t, "attach", -1, e, NULL);
	st_step(t, "attach", 0, e, "fid 0");
	snprintf(got, sizeof(got), "0x%02x", m->rep[0]);
	return st_expect(t, "attach qid type", "0x80 (directory)", got, m->rep[0] & P9_QTDIR, e);
}

/* Splits `path` into components for one Twalk; "." and empty ones are
 * dropped, ".." refused (the file is named inside the export). */
static int p9_walk(struct st *t, struct p9 *m, const char *path, struct verr *e)
{
	unsigned n = 0;
	char want[16], got[16];

	p9_begin(m, P9_TWALK, ++m->tag);
	p9_put(m, 4, 0);
	p9_put(m, 4, 1);
	p9_put(m, 2, 0); /* nwname, filled in below */
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return st_step(t, "walk", verr_set(e, VX_USAGE, "no '..' in the path"), e,
				       NULL);
		if (len > 255 || (len && n == P9_MAXWELEM))
			return st_step(
				t, "walk",
				verr_set(e, VX_USAGE,
					 "the path has over 16 components or one over 255 bytes"),
				e, NULL);
		if (len && !(len == 1 && p[0] == '.')) {
			p9_str(m, p, len);
			n++;
		}
		p += len + (p[len] == '/');
	}
	if (n == 0)
		return st_step(t, "walk", verr_set(e, VX_USAGE, "the path names no file"), e, NULL);
	st_put_le(m->req + P9_HDR + 8, 2, n);
	if (p9_call(t, m, P9_TWALK + 1, e) || p9_need(m, 2, e))
		return st_step(t, "walk", -1, e, NULL);
	snprintf(want, sizeof(want), "%u", n);
	snprintf(got, sizeof(got), "%u", (unsigned)st_get_le(m->rep, 2));
	st_step(t, "walk", 0, e, path);
	/* Fewer qids than names: the walk stopped where a name was missing. */
	return st_expect(t, "walk qids", want, got, st_get_le(m->rep, 2) == n, e);
}

static int p9_getattr(struct st *t, struct p9 *m, uint64_t *size, struct verr *e)
{
	char got[32];

	p9_begin(m, P9_TGETATTR, ++m->tag);
	p9_put(m, 4, 1);
	p9_put(m, 8, P9_GETATTR_BASIC);
	/* valid[8] qid[13] mode[4] uid[4] gid[4] nlink[8] rdev[8] size[8] */
	if (p9_call(t, m, P9_TGETATTR + 1, e) || p9_need(m, 57, e))
		return st_step(t, "getattr", -1, e, NULL);
	*size = st_get_le(m->rep + 49, 8);
	snprintf(got, sizeof(got), "size %llu", (unsigned long long)*size);
	st_step(t, "getattr", 0, e, got);
	snprintf(got, sizeof(got), "0x%02x", m->rep[8]);
	return st_expect(t, "file qid type", "not a directory", got, !(m->rep[8] & P9_QTDIR), e);
}

static int p9_lopen(struct st *t, struct p9 *m, struct verr *e)
{
	p9_begin(m, P9_TLOPEN, ++m->tag);
	p9_put(m, 4, 1);
	p9_put(m, 4, 0); /* O_RDONLY */
	if (p9_call(t, m, P9_TLOPEN + 1, e) || p9_need(m, 17, e))
		return st_step(t, "lopen", -1, e, NULL);
	return st_step(t, "lopen", 0, e, "read-only");
}

/* Treads of what fits the negotiated msize, until a read returns 0. */
static int p9_read(struct st *t, struct p9 *m, struct verr *e)
{
	uint32_t chunk = m->msize - P9_HDR - 4;
	char detail[48];

	for (;;) {
		uint32_t n;

		p9_begin(m, P9_TREAD, ++m->tag);
		p9_put(m, 4, 1);
		p9_put(m, 8, t->data_len);
		p9_put(m, 4, chunk);
		if (p9_call(t, m, P9_TREAD + 1, e) || p9_need(m, 4, e))
			return st_step(t, "read", -1, e, NULL);
		n = (uint32_t)st_get_le(m->rep, 4);
		if (n > chunk || p9_need(m, 4 + n, e))
			return st_step(t, "read",
				       verr_set(e, VX_DEVICE,
						"Rread count %u, asked %u, reply %u bytes", n,
						chunk, m->rep_len),
				       e, NULL);
		if (n == 0)
			break;
		if (t->data_len + n > P9_MAX_BYTES)
			return st_step(
				t, "read",
				verr_set(e, VX_USAGE, "the file is over %u bytes", P9_MAX_BYTES), e,
				NULL);
		if (st_keep_data(t, m->rep + 4, n, e))
			return st_step(t, "read", -1, e, NULL);
	}
	snprintf(detail, sizeof(detail), "%zu bytes", t->data_len);
	return st_step(t, "read", 0, e, detail);
}

static int p9_clunk(struct st *t, struct p9 *m, uint32_t fid, struct verr *e)
{
	p9_begin(m, P9_TCLUNK, ++m->tag);
	p9_put(m, 4, fid);
	if (p9_call(t, m, P9_TCLUNK + 1, e))
		return st_step(t, fid ? "clunk-file" : "clunk-root", -1, e, NULL);
	return st_step(t, fid ? "clunk-file" : "clunk-root", 0, e, NULL);
}

static int p9_session(struct st *t, struct p9 *m, struct verr *e)
{
	uint64_t size = 0;
	char want[32], got[32];

	if (p9_version(t, m, e) || p9_attach(t, m, e) || p9_walk(t, m, t->o->path, e) ||
	    p9_getattr(t, m, &size, e) || p9_lopen(t, m, e) || p9_read(t, m, e))
		return -1;
	snprintf(want, sizeof(want), "%llu", (unsigned long long)size);
	snprintf(got, sizeof(got), "%zu", t->data_len);
	if (st_expect(t, "bytes read", want, got, size == t->data_len, e))
		return -1;
	return p9_clunk(t, m, 1, e) || p9_clunk(t, m, 0, e);
}

int st_run_9p(struct st *t, struct verr *e)
{
	struct p9 m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.msize = P9_MSIZE;
	if (!t->o->path)
		return st_step(t, "file",
			       verr_set(e, VX_USAGE, "9p needs the path of a file to read"), e,
			       NULL);
	if (p9_config(t, e) || st_setup_queue(t, 0, e) || st_driver_ok(t, e))
		return -1;
	rc = p9_session(t, &m, e);
	p9_done(&m);
	return rc;
}
