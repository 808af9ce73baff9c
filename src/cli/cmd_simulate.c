/* `--simulate list`: what a simulated device can be, from the simulator's
 * own tables (types, spec keys, misbehaviour knobs). */
#include <stdio.h>

#include "cli/options.h"
#include "format/render.h"
#include "sim/source.h"

static void types_table(struct rnode *root)
{
	size_t n;
	const struct sim_type *t = sim_types(&n);
	struct rnode *a = r_arr(root, "types", "Types", RF_TABLE);

	for (size_t i = 0; i < n; i++) {
		struct rnode *o = r_obj(a, NULL, NULL);

		r_str(o, "name", "type", t[i].name);
		r_uint(o, "virtio_device_id", "id", t[i].id, NULL);
		r_str(o, "alias", "alias", t[i].alias);
		r_bool(o, "selftest", "selftest", t[i].selftest);
	}
}

static void keys_table(struct rnode *root)
{
	size_t n;
	const struct sim_key *k = sim_keys(&n);
	struct rnode *a = r_arr(root, "keys", "Keys", RF_TABLE);

	for (size_t i = 0; i < n; i++) {
		struct rnode *o = r_obj(a, NULL, NULL);

		r_strf(o, "key", "key", "%s=%s", k[i].name, k[i].value);
		r_str(o, "help", "meaning", k[i].help);
	}
}

static void bugs_table(struct rnode *root)
{
	size_t n;
	const struct model_bug_info *b = model_bugs(&n);
	struct rnode *a = r_arr(root, "bugs", "Bug knobs (bug=NAME)", RF_TABLE);

	for (size_t i = 0; i < n; i++) {
		struct rnode *o = r_obj(a, NULL, NULL);

		r_str(o, "name", "name", b[i].name);
		r_str(o, "description", "mistake", b[i].description);
		r_str(o, "changes", "what the simulated device does", b[i].changes);
		r_bool(o, "modern_only", "modern only", b[i].modern_only);
	}
}

int simulate_list(struct session *s)
{
	struct rnode *root = r_new_root();

	if (!root) {
		fprintf(stderr, "virtioctl: out of memory\n");
		return VX_FAIL;
	}
	types_table(root);
	keys_table(root);
	bugs_table(root);
	if (!r_complete(root)) {
		r_free(root);
		fprintf(stderr, "virtioctl: out of memory while building the report\n");
		return VX_FAIL;
	}
	render(stdout, root, &s->out);
	r_free(root);
	return VX_OK;
}
