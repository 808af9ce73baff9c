/* (c) Device config bytes through every layout's decoder.
 *
 * Input: 8 bytes of offered features (little-endian), a flags byte (bit 0:
 * the features are known), then the device config region. The region is
 * the end of the input, so reading past it is a heap overflow the
 * sanitizers see. */
#include "fuzz.h"

#include <stdio.h>

#include "virtio/devcfg.h"

int fuzz_devcfg(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size, 0};
	uint64_t features = fin_u64(&in);
	bool known = fin_u8(&in) & 1;
	const uint8_t *cfg = data + in.pos;
	unsigned len = (unsigned)fin_left(&in);
	size_t nlayouts;
	const struct cfg_layout *l = virtio_cfg_layouts(&nlayouts);
	struct rnode *root = r_new_root();

	if (len > 4096)
		len = 4096;
	for (size_t i = 0; i < nlayouts; i++) {
		char key[32];

		snprintf(key, sizeof(key), "type_%u", l[i].device_id);
		virtio_cfg_decode(&l[i], cfg, len, features, known, r_obj(root, key, NULL));
	}
	virtio_cfg_hexdump(cfg, len, r_obj(root, "unknown", NULL));
	/* A NULL layout (unknown type) decodes nothing. */
	virtio_cfg_decode(NULL, cfg, len, features, known, r_obj(root, "none", NULL));
	fuzz_render(root);
	r_free(root);
	return 0;
}
