/* `diff A B`: the fields that differ between two dumps, each a saved
 * `--json dump` file or a live device (dumped now, read-only as `dump`
 * is). Exit status like diff(1): 0 equal, 1 different, 2 and up for
 * errors. */
#include "cli/commands_impl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "format/jsondiff.h"
#include "format/render.h"

#define DUMP_FILE_MAX (16u << 20)

static char *slurp(const char *path, struct verr *e)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);

	if (!f) {
		free(buf);
		verr_set(e, errno == ENOENT ? VX_NODEV : VX_INPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while (buf && !feof(f) && !ferror(f) && len < DUMP_FILE_MAX) {
		if (len + 1 >= cap) {
			char *n = realloc(buf, cap *= 2);

			if (!n)
				break;
			buf = n;
		}
		len += fread(buf + len, 1, cap - len - 1, f);
	}
	if (!buf || ferror(f) || len >= DUMP_FILE_MAX || !feof(f)) {
		verr_set(e, VX_INPUT, "%s: not read (larger than %u MiB, or a read error)", path,
			 DUMP_FILE_MAX >> 20);
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/* A saved dump: one device's (with its address), or `dump --all`'s (with
 * devices, matched by address). */
static cJSON *load_file(const char *path, struct verr *e)
{
	char *text = slurp(path, e);
	cJSON *j = text ? cJSON_Parse(text) : NULL;

	if (text && !j)
		verr_set(e, VX_INPUT, "%s: not JSON (save one with 'virtioctl --json dump DEVICE')",
			 path);
	else if (j && !(cJSON_IsObject(j) &&
			(cJSON_GetObjectItemCaseSensitive(j, "address") ||
			 cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "devices")))))
		verr_set(e, VX_INPUT,
			 "%s: not a 'virtioctl --json dump' document (no address, no devices)",
			 path);
	if (j && e->code) {
		cJSON_Delete(j);
		j = NULL;
	}
	free(text);
	return j;
}

/* A PCI address is a live device (write ./00:02.0 for a file of that
 * name); anything else a dump file. */
static cJSON *load(struct session *s, const char *what, struct verr *e)
{
	struct pci_addr a;
	struct rnode *r = NULL;
	char *text;
	cJSON *j;

	if (!pci_addr_parse(what, &a))
		return load_file(what, e);
	if (report_dump(s, what, &r, e)) {
		r_free(r);
		return NULL;
	}
	text = r_complete(r) ? render_json_string(r, false) : NULL;
	r_free(r);
	j = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!j)
		verr_set(e, VX_FAIL, "out of memory while dumping %s", what);
	return j;
}

/* --ignore KEY,KEY...: keys left out at any depth; "notes" by default
 * (they explain, they are not state). */
static const char **ignore_list(const char *opt, char *buf, size_t len)
{
	const char **v;
	size_t n = 2;
	char *save = NULL;

	snprintf(buf, len, "%s", opt ? opt : "notes");
	for (const char *p = buf; *p; p++)
		n += *p == ',';
	v = calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	n = 0;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		v[n++] = w;
	return v;
}

CMD_HANDLER(cmd_diff)
{
	char buf[512];
	const char **ignore = ignore_list(a->opt[DIFF_IGNORE].given ? a->opt[DIFF_IGNORE].s : NULL,
					  buf, sizeof(buf));
	cJSON *ja = NULL, *jb = NULL;
	struct rnode *t;
	unsigned n;

	if (!ignore)
		return verr_set(e, VX_FAIL, "out of memory");
	ja = load(s, a->argv[0], e);
	jb = ja ? load(s, a->argv[1], e) : NULL;
	if (!ja || !jb) {
		cJSON_Delete(ja);
		free(ignore);
		return -1;
	}
	*out = r_new_root();
	r_str(*out, "a", "A", a->argv[0]);
	r_str(*out, "b", "B", a->argv[1]);
	t = r_arr(*out, "differences", "Differences", RF_TABLE);
	n = json_diff(ja, jb, ignore, t);
	r_bool(*out, "equal", "Equal", n == 0);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	free(ignore);
	if (n)
		return verr_set(e, VX_FAIL, "%s and %s differ in %u field%s", a->argv[0],
				a->argv[1], n, n == 1 ? "" : "s");
	return 0;
}
