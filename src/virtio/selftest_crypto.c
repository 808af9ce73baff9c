/* The crypto self-test (virtio 1.3, 5.9): an AES-128-CBC encryption
 * session on the control queue, the NIST SP 800-38A F.2.1 CBC-AES128
 * vector encrypted on data queue 0 and the ciphertext compared with the
 * published one, then the session destroyed. Requests use the fixed
 * 72-byte layouts (no VIRTIO_CRYPTO_F_REVISION_1), which is what QEMU
 * 7.2's cryptodev backends take. */
#include <stdio.h>
#include <string.h>

#include "virtio/selftest_impl.h"

#define CR_CFG_LEN	   48
#define CR_HW_READY	   1
#define CR_SERVICE_CIPHER  0
#define CR_AES_CBC	   3
#define CR_OP_ENCRYPT	   1
#define CR_SYM_OP_CIPHER   1
#define CR_CREATE_SESSION  0x02 /* VIRTIO_CRYPTO_OPCODE(CIPHER, 0x02) */
#define CR_DESTROY_SESSION 0x03
#define CR_CIPHER_ENCRYPT  0x00
#define CR_REQ_LEN	   72 /* header and the fixed-size union */
#define CR_BLOCK	   16

static const char *const status_names[] = {"OK",      "ERR",   "BADMSG",      "NOTSUPP",
					   "INVSESS", "NOSPC", "KEY_REJECTED"};

/* NIST SP 800-38A, F.2.1 CBC-AES128.Encrypt. */
static const uint8_t nist_key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				     0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t nist_iv[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t nist_plain[64] = {
	0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73,
	0x93, 0x17, 0x2a, 0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7,
	0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51, 0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4,
	0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef, 0xf6, 0x9f, 0x24, 0x45,
	0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10};
static const uint8_t nist_cipher[64] = {
	0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e, 0x9b, 0x12,
	0xe9, 0x19, 0x7d, 0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72, 0x19, 0xee, 0x95, 0xdb,
	0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2, 0x73, 0xbe, 0xd6, 0xb8, 0xe3, 0xc1, 0x74,
	0x3b, 0x71, 0x16, 0xe6, 0x9e, 0x22, 0x22, 0x95, 0x16, 0x3f, 0xf1, 0xca, 0xa1,
	0x68, 0x1f, 0xac, 0x09, 0x12, 0x0e, 0xca, 0x30, 0x75, 0x86, 0xe1, 0xa7};

struct cr_ctx {
	unsigned dataq, ctrlq;
	uint64_t session;
};

static int expect_status(struct st *t, const char *what, uint32_t status, struct verr *e)
{
	char got[24];

	snprintf(got, sizeof(got), "%s (%u)",
		 status < sizeof(status_names) / sizeof(status_names[0]) ? status_names[status]
									 : "?",
		 status);
	return st_expect(t, what, "OK (0)", got, status == 0, e);
}

/* One request; `reply` gets the first `n` bytes the device wrote. */
static int request(struct st *t, unsigned q, const char *name, const struct vseg *segs,
		   unsigned nsegs, uint32_t want, uint8_t *reply, struct verr *e)
{
	struct vused u;

	if (st_roundtrip(t, q, segs, nsegs, &u, e))
		return st_step(t, name, -1, e, NULL);
	if (u.len < want) {
		vused_free(&u, 1);
		return st_step(
			t, name,
			verr_set(e, VX_DEVICE, "used len %u, the reply is %u bytes", u.len, want),
			e, NULL);
	}
	memcpy(reply, u.data, want);
	vused_free(&u, 1);
	return st_step(t, name, 0, e, "completed");
}

static int create_session(struct st *t, struct cr_ctx *c, struct verr *e)
{
	uint8_t req[CR_REQ_LEN] = {0}, in[16];
	struct vseg segs[3] = {
		{false, req, sizeof(req)}, {false, nist_key, sizeof(nist_key)}, {true, NULL, 16}};
	char id[24];

	st_put_le(req, 4, CR_CREATE_SESSION);
	st_put_le(req + 4, 4, CR_AES_CBC);
	/* virtio_crypto_cipher_session_para: algo, keylen, op; then op_type */
	st_put_le(req + 16, 4, CR_AES_CBC);
	st_put_le(req + 20, 4, sizeof(nist_key));
	st_put_le(req + 24, 4, CR_OP_ENCRYPT);
	st_put_le(req + 16 + 48, 4, CR_SYM_OP_CIPHER);
	if (request(t, c->ctrlq, "create-session", segs, 3, sizeof(in), in, e) ||
	    expect_status(t, "create-session", (uint32_t)st_get_le(in + 8, 4), e))
		return -1;
	c->session = st_get_le(in, 8);
	snprintf(id, sizeof(id), "0x%llx", (unsigned long long)c->session);
	r_str(t->out, "session_id", "Session ID", id);
	return 0;
}

static void hex(const uint8_t *p, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int encrypt(struct st *t, struct cr_ctx *c, struct verr *e)
{
	uint8_t req[CR_REQ_LEN] = {0}, in[sizeof(nist_cipher) + 1];
	struct vseg segs[5] = {{false, req, sizeof(req)},
			       {false, nist_iv, sizeof(nist_iv)},
			       {false, nist_plain, sizeof(nist_plain)},
			       {true, NULL, sizeof(nist_cipher)},
			       {true, NULL, 1}};
	char want[2 * sizeof(nist_cipher) + 1], got[2 * sizeof(nist_cipher) + 1];

	st_put_le(req, 4, CR_CIPHER_ENCRYPT);
	st_put_le(req + 4, 4, CR_AES_CBC);
	st_put_le(req + 8, 8, c->session);
	/* virtio_crypto_cipher_para: iv_len, src_data_len, dst_data_len; op_type */
	st_put_le(req + 24, 4, sizeof(nist_iv));
	st_put_le(req + 28, 4, sizeof(nist_plain));
	st_put_le(req + 32, 4, sizeof(nist_cipher));
	st_put_le(req + 24 + 40, 4, CR_SYM_OP_CIPHER);
	if (request(t, c->dataq, "encrypt", segs, 5, sizeof(in), in, e) ||
	    expect_status(t, "encrypt", in[sizeof(nist_cipher)], e))
		return -1;
	hex(nist_cipher, sizeof(nist_cipher), want);
	hex(in, sizeof(nist_cipher), got);
	return st_expect(t, "ciphertext (SP 800-38A F.2.1)", want, got,
			 memcmp(in, nist_cipher, sizeof(nist_cipher)) == 0, e);
}

static int destroy_session(struct st *t, struct cr_ctx *c, struct verr *e)
{
	uint8_t req[CR_REQ_LEN] = {0}, status;
	struct vseg segs[2] = {{false, req, sizeof(req)}, {true, NULL, 1}};

	st_put_le(req, 4, CR_DESTROY_SESSION);
	st_put_le(req + 4, 4, CR_AES_CBC);
	st_put_le(req + 16, 8, c->session);
	return request(t, c->ctrlq, "destroy-session", segs, 2, 1, &status, e) ||
	       expect_status(t, "destroy-session", status, e);
}

/* What the config must offer for the test: ready, the cipher service,
 * AES-CBC, 16-byte keys, a data queue. */
static int crypto_config(struct st *t, struct cr_ctx *c, struct verr *e)
{
	uint8_t cfg[CR_CFG_LEN];
	uint32_t status, services, algos, keylen, dataqs;
	char got[128];

	if (st_read_config(t, cfg, sizeof(cfg), 40, e))
		return -1;
	status = (uint32_t)st_get_le(cfg, 4);
	dataqs = (uint32_t)st_get_le(cfg + 4, 4);
	services = (uint32_t)st_get_le(cfg + 8, 4);
	algos = (uint32_t)st_get_le(cfg + 12, 4);
	keylen = (uint32_t)st_get_le(cfg + 36, 4);
	snprintf(got, sizeof(got),
		 "status 0x%x, %u data queues, services 0x%x, cipher_algo_l 0x%x, max key %u",
		 status, dataqs, services, algos, keylen);
	if (st_expect(t, "config", "HW_READY, a data queue, CIPHER, AES_CBC, 16-byte keys", got,
		      status & CR_HW_READY && dataqs >= 1 && dataqs < t->nrings &&
			      services >> CR_SERVICE_CIPHER & 1 && algos >> CR_AES_CBC & 1 &&
			      keylen >= sizeof(nist_key),
		      e))
		return -1;
	c->dataq = 0;
	c->ctrlq = dataqs; /* the control queue follows the data queues */
	return 0;
}

int st_run_crypto(struct st *t, struct verr *e)
{
	struct cr_ctx c = {0};

	if (crypto_config(t, &c, e) || st_setup_queue(t, c.dataq, e) ||
	    st_setup_queue(t, c.ctrlq, e) || st_driver_ok(t, e) || create_session(t, &c, e))
		return -1;
	/* The session goes whatever the encryption gave. */
	if (encrypt(t, &c, e)) {
		struct verr ignore = {0};

		destroy_session(t, &c, &ignore);
		return -1;
	}
	return destroy_session(t, &c, e);
}
