/* Building the metrics model (metrics.h). */
#include "format/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {[M_GAUGE] = "gauge", [M_COUNTER] = "counter"};

struct rnode *m_new(void)
{
	struct rnode *root = r_new_root();

	if (root) {
		root->flags |= RF_METRICS;
		r_arr(root, "families", "Families", 0);
	}
	return root;
}

struct rnode *m_family(struct rnode *root, const struct mfamily_spec *spec)
{
	struct rnode *f = r_obj(root ? r_find(root, "families") : NULL, NULL, NULL);

	r_str(f, "name", "name", spec->name);
	r_str(f, "type", "type", type_names[spec->type]);
	r_str(f, "help", "help", spec->help);
	r_arr(f, "samples", "samples", RF_TABLE);
	return f;
}

/* The family's samples array: its last child, as m_family made it (found
 * without a search: a collection adds a sample per feature bit). */
static struct rnode *samples_of(struct rnode *family)
{
	struct rnode *l = family ? family->last : NULL;

	return l && l->key && strcmp(l->key, "samples") == 0 ? l : r_find(family, "samples");
}

static struct rnode *sample(struct rnode *family)
{
	struct rnode *s = r_obj(samples_of(family), NULL, NULL);

	r_obj(s, "labels", NULL);
	return s;
}

struct rnode *m_sample_uint(struct rnode *family, uint64_t value)
{
	struct rnode *s = sample(family);

	r_uint(s, "value", NULL, value, NULL);
	return s;
}

struct rnode *m_sample_double(struct rnode *family, double value)
{
	struct rnode *s = sample(family);

	r_double(s, "value", NULL, value);
	return s;
}

/* The sample's label object: its first child, as sample() made it. */
static struct rnode *labels_of(struct rnode *sample)
{
	struct rnode *l = sample ? sample->child : NULL;

	return l && l->key && strcmp(l->key, "labels") == 0 ? l : r_find(sample, "labels");
}

void m_label(struct rnode *sample, const char *name, const char *value)
{
	r_str(labels_of(sample), name, NULL, value ? value : "");
}

void m_label_uint(struct rnode *sample, const char *name, unsigned value)
{
	char buf[16];
	size_t i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	m_label(sample, name, buf + i);
}

void m_labelf(struct rnode *sample, const char *name, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m_label(sample, name, buf);
}

unsigned m_count_samples(const struct rnode *root)
{
	const struct rnode *fams = root ? r_find(root, "families") : NULL;
	unsigned n = 0;

	for (const struct rnode *f = fams ? fams->child : NULL; f; f = f->next)
		n += r_count(r_find(f, "samples"));
	return n;
}

/* [a-zA-Z_] then [a-zA-Z0-9_]; colon: ':' allowed anywhere (metric names). */
static bool name_chars(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (c >= '0' && c <= '9' && p != s) || (c == ':' && colon);

		if (!ok)
			return false;
	}
	return true;
}

bool m_valid_metric_name(const char *s)
{
	return name_chars(s, true);
}

bool m_valid_label_name(const char *s)
{
	/* names starting with __ are reserved for Prometheus itself */
	return name_chars(s, false) && strncmp(s, "__", 2) != 0;
}
