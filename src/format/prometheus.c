/* The Prometheus text exposition format, version 0.0.4, of a metrics model
 * (metrics.h): per family a HELP line, a TYPE line, then its samples.
 *
 *   # HELP virtioctl_device_info A virtio-pci function (value 1) ...
 *   # TYPE virtioctl_device_info gauge
 *   virtioctl_device_info{address="0000:00:02.0",type="block"} 1
 *
 * Label values come from devices and sysfs: they are escaped (backslash,
 * double quote, newline) and bytes that are not UTF-8 become U+FFFD, since
 * a scraper rejects the whole exposition otherwise. */
#include "format/metrics.h"
#include "format/render.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1-4), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and values beyond Unicode are invalid */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* quote: also escape '"' (label values; HELP text leaves it alone). Runs
 * of plain bytes go out in one fwrite. */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	while (*p) {
		size_t n = utf8_len(p);
		bool plain = n && *p != '\\' && *p != '\n' && !(*p == '"' && quote);

		if (plain) {
			p += n;
			continue;
		}
		fwrite(run, 1, (size_t)(p - run), f);
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '"')
			fputs("\\\"", f);
		else
			fputs("\xef\xbf\xbd", f);
		p++;
		run = p;
	}
	fwrite(run, 1, (size_t)(p - run), f);
}

static void put_value(FILE *f, const struct rnode *v)
{
	if (!v) {
		fputs("NaN", f);
	} else if (v->kind == R_UINT) {
		fprintf(f, "%" PRIu64, v->v.u);
	} else if (v->kind == R_INT) {
		fprintf(f, "%" PRId64, v->v.i);
	} else if (v->kind == R_DOUBLE && isnan(v->v.d)) {
		fputs("NaN", f);
	} else if (v->kind == R_DOUBLE && isinf(v->v.d)) {
		fputs(v->v.d > 0 ? "+Inf" : "-Inf", f);
	} else if (v->kind == R_DOUBLE) {
		fprintf(f, "%.9g", v->v.d);
	} else {
		fputs("NaN", f);
	}
}

static void put_sample(FILE *f, const char *name, const struct rnode *s)
{
	const struct rnode *labels = r_find(s, "labels");
	bool first = true;

	fputs(name, f);
	for (const struct rnode *l = labels ? labels->child : NULL; l; l = l->next) {
		if (l->kind != R_STR || !m_valid_label_name(l->key))
			continue;
		fprintf(f, "%s%s=\"", first ? "{" : ",", l->key);
		put_escaped(f, l->v.s, true);
		fputc('"', f);
		first = false;
	}
	fputs(first ? " " : "} ", f);
	put_value(f, r_find(s, "value"));
	fputc('\n', f);
}

static const char *str_of(const struct rnode *obj, const char *key)
{
	const struct rnode *n = r_find(obj, key);

	return n && n->kind == R_STR ? n->v.s : NULL;
}

/* A family without samples says nothing: it is left out. */
static void put_family(FILE *f, const struct rnode *fam)
{
	const char *name = str_of(fam, "name"), *type = str_of(fam, "type");
	const char *help = str_of(fam, "help");
	const struct rnode *samples = r_find(fam, "samples");

	if (!m_valid_metric_name(name) || !type || !samples || !samples->child)
		return;
	fprintf(f, "# HELP %s ", name);
	put_escaped(f, help ? help : "", false);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
	for (const struct rnode *s = samples->child; s; s = s->next)
		put_sample(f, name, s);
}

void render_metrics(FILE *f, const struct rnode *root)
{
	const struct rnode *fams = root ? r_find(root, "families") : NULL;

	for (const struct rnode *fam = fams ? fams->child : NULL; fam; fam = fam->next)
		put_family(f, fam);
}
