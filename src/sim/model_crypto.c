/* virtio-crypto in the model (virtio 1.3, 5.9), as far as the self-test
 * goes: AES-CBC cipher sessions on the control queue (create, destroy),
 * and encryption on data queue 0 of one input only, the NIST SP 800-38A
 * F.2.1 vector, whose published ciphertext the model returns (it has no
 * AES of its own; anything else is NOTSUPP). A test can make the answer
 * wrong. Fixed 72-byte request layouts, as QEMU 7.2 takes them. */
#include "sim/model_types_impl.h"

#include <string.h>

#define CR_REQ_LEN	   72
#define CR_AES_CBC	   3
#define CR_CREATE_SESSION  0x02
#define CR_DESTROY_SESSION 0x03
#define CR_CIPHER_ENCRYPT  0x00
#define CR_CFG_LEN	   48
enum { CR_OK = 0, CR_ERR = 1, CR_BADMSG = 2, CR_NOTSUPP = 3, CR_INVSESS = 4 };

/* SP 800-38A F.2.1: key, IV, plaintext, ciphertext. */
static const uint8_t f21_key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t f21_in[16 + 64] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11,
	0x73, 0x93, 0x17, 0x2a, 0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7,
	0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51, 0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11,
	0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef, 0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f,
	0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10};
static const uint8_t f21_out[64] = {
	0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e, 0x9b, 0x12,
	0xe9, 0x19, 0x7d, 0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72, 0x19, 0xee, 0x95, 0xdb,
	0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2, 0x73, 0xbe, 0xd6, 0xb8, 0xe3, 0xc1, 0x74,
	0x3b, 0x71, 0x16, 0xe6, 0x9e, 0x22, 0x22, 0x95, 0x16, 0x3f, 0xf1, 0xca, 0xa1,
	0x68, 0x1f, 0xac, 0x09, 0x12, 0x0e, 0xca, 0x30, 0x75, 0x86, 0xe1, 0xa7};

static uint32_t create(struct model_types *s, const struct model_chain *c, const uint8_t *r,
		       uint64_t *id)
{
	uint32_t keylen = model_le32(r + 20);
	uint8_t key[16];

	if (model_le32(r + 16) != CR_AES_CBC || model_le32(r + 64) != 1 /* CIPHER */)
		return CR_NOTSUPP;
	if (keylen != sizeof(key) || c->readable < CR_REQ_LEN + keylen)
		return CR_BADMSG;
	model_chain_read(c, CR_REQ_LEN, key, sizeof(key));
	s->crypto_known_key = memcmp(key, f21_key, sizeof(key)) == 0;
	s->crypto_session = true;
	*id = ++s->crypto_session_id;
	return CR_OK;
}

static int control(struct model *m, struct model_types *s, const struct model_chain *c,
		   const uint8_t *r, uint32_t *used_len)
{
	uint8_t in[16] = {0};
	uint64_t id = 0;

	if (model_le32(r) == CR_CREATE_SESSION) {
		if (c->writable < sizeof(in))
			return model_err(m, "crypto create-session reply of %zu bytes",
					 c->writable);
		model_put(in + 8, 4, create(s, c, r, &id));
		model_put(in, 8, id);
		model_chain_write(c, 0, in, sizeof(in));
		*used_len = sizeof(in);
		return 0;
	}
	if (model_le32(r) == CR_DESTROY_SESSION) {
		in[0] = s->crypto_session && model_le64(r + 16) == s->crypto_session_id
				? CR_OK
				: CR_INVSESS;
		if (in[0] == CR_OK)
			s->crypto_session = false;
		s->crypto_destroyed += in[0] == CR_OK;
		model_chain_write(c, 0, in, 1);
		*used_len = 1;
		return 0;
	}
	return model_err(m, "crypto control opcode 0x%x", model_le32(r));
}

static uint8_t encrypt(struct model_types *s, const struct model_chain *c, const uint8_t *r,
		       uint8_t *out)
{
	uint8_t in[sizeof(f21_in)];

	if (model_le32(r) != CR_CIPHER_ENCRYPT || model_le32(r + 64) != 1)
		return CR_NOTSUPP;
	if (!s->crypto_session || model_le64(r + 8) != s->crypto_session_id)
		return CR_INVSESS;
	if (model_le32(r + 24) != 16 || model_le32(r + 28) != 64 || model_le32(r + 32) != 64 ||
	    c->readable != CR_REQ_LEN + sizeof(in) || c->writable != 64 + 1)
		return CR_BADMSG;
	model_chain_read(c, CR_REQ_LEN, in, sizeof(in));
	if (!s->crypto_known_key || memcmp(in, f21_in, sizeof(in)) != 0)
		return CR_NOTSUPP; /* no AES here: only the vector it knows */
	memcpy(out, f21_out, sizeof(f21_out));
	out[0] ^= s->crypto_corrupt;
	return CR_OK;
}

int model_crypto_handler(struct pdev *d, unsigned qidx, const struct model_chain *c,
			 uint32_t *used_len, void *ctx)
{
	struct model *m = model_of(d);
	struct model_types *s = model_types_of(m);
	uint8_t r[CR_REQ_LEN], out[64 + 1] = {0};

	(void)ctx;
	if (!s)
		return -1;
	if (c->readable < sizeof(r) || c->writable < 1)
		return model_err(m, "crypto request of %zu/%zu bytes", c->readable, c->writable);
	model_chain_read(c, 0, r, sizeof(r));
	if (qidx == 1)
		return control(m, s, c, r, used_len);
	out[64] = encrypt(s, c, r, out);
	if (c->writable == sizeof(out)) {
		model_chain_write(c, 0, out, sizeof(out));
		*used_len = sizeof(out);
	} else {
		model_chain_write(c, c->writable - 1, out + 64, 1);
		*used_len = (uint32_t)c->writable;
	}
	return 0;
}

void model_crypto_spec(struct model_spec *s)
{
	uint8_t *c = s->device_cfg;

	model_put(c, 4, 1);	   /* status: HW_READY */
	model_put(c + 4, 4, 1);	   /* max_dataqueues */
	model_put(c + 8, 4, 0x17); /* services: cipher, hash, mac, aead */
	model_put(c + 12, 4, 1u << CR_AES_CBC);
	model_put(c + 36, 4, 64); /* max_cipher_key_len */
	model_put(c + 40, 8, 0);
	s->device_cfg_len = CR_CFG_LEN;
	s->num_queues = 2; /* data queue 0, control queue 1 */
}

int model_crypto_corrupt(struct pdev *d, uint8_t xor_first, struct verr *e)
{
	struct model_types *s = model_types_of(model_of(d));

	if (!s)
		return verr_set(e, VX_FAIL, "model: out of memory");
	s->crypto_corrupt = xor_first;
	return 0;
}

unsigned model_crypto_destroyed(const struct pdev *d)
{
	struct model *m = model_of(d);

	return m->types ? m->types->crypto_destroyed : 0;
}
