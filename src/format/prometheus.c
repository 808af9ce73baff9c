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
#include <stdio.h>
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

/* The exposition goes through a buffer of our own: a sample line is a
 * dozen short pieces, and stdio's per-call work (locking, the format
 * parser) was most of what rendering cost. */
struct out {
	FILE *f;
	size_t n;
	char b[8192];
};

static void o_flush(struct out *o)
{
	fwrite(o->b, 1, o->n, o->f);
	o->n = 0;
}

static void o_write(struct out *o, const char *s, size_t n)
{
	if (n > sizeof(o->b) - o->n) {
		o_flush(o);
		if (n > sizeof(o->b)) {
			fwrite(s, 1, n, o->f);
			return;
		}
	}
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

static void o_puts(struct out *o, const char *s)
{
	o_write(o, s, strlen(s));
}

static void o_putc(struct out *o, char c)
{
	o_write(o, &c, 1);
}

/* Bytes below 0x80 that are passed on as they are in a label value:
 * everything but the terminator and the three escaped ones. */
static bool plain_ascii(unsigned char c)
{
	return c < 0x80 && c != '\0' && c != '\\' && c != '\n' && c != '"';
}

/* quote: also escape '"' (label values; HELP text leaves it alone). */
static void put_escaped(struct out *o, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	for (;;) {
		size_t n;

		/* plain ASCII first, in a loop of its own: nearly every byte */
		while (plain_ascii(*p))
			p++;
		if (!*p)
			break;
		n = *p >= 0x80 ? utf8_len(p) : *p == '"' && !quote;
		if (n) {
			p += n;
			continue;
		}
		o_write(o, (const char *)run, (size_t)(p - run));
		if (*p == '\\')
			o_puts(o, "\\\\");
		else if (*p == '\n')
			o_puts(o, "\\n");
		else if (*p == '"')
			o_puts(o, "\\\"");
		else
			o_puts(o, "\xef\xbf\xbd");
		p++;
		run = p;
	}
	o_write(o, (const char *)run, (size_t)(p - run));
}

static void put_u64(struct out *o, uint64_t v, bool negative)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		buf[--i] = '-';
	o_write(o, buf + i, sizeof(buf) - i);
}

static void put_value(struct out *o, const struct rnode *v)
{
	char buf[32];

	if (!v) {
		o_puts(o, "NaN");
	} else if (v->kind == R_UINT) {
		put_u64(o, v->v.u, false);
	} else if (v->kind == R_INT) {
		/* the magnitude of INT64_MIN does not fit an int64_t */
		put_u64(o, v->v.i < 0 ? 0 - (uint64_t)v->v.i : (uint64_t)v->v.i, v->v.i < 0);
	} else if (v->kind == R_DOUBLE && isnan(v->v.d)) {
		o_puts(o, "NaN");
	} else if (v->kind == R_DOUBLE && isinf(v->v.d)) {
		o_puts(o, v->v.d > 0 ? "+Inf" : "-Inf");
	} else if (v->kind == R_DOUBLE) {
		snprintf(buf, sizeof(buf), "%.9g", v->v.d);
		o_puts(o, buf);
	} else {
		o_puts(o, "NaN");
	}
}

static void put_sample(struct out *o, const char *name, const struct rnode *s)
{
	const struct rnode *labels = r_find(s, "labels");
	bool first = true;

	o_puts(o, name);
	for (const struct rnode *l = labels ? labels->child : NULL; l; l = l->next) {
		if (l->kind != R_STR || !m_valid_label_name(l->key))
			continue;
		o_putc(o, first ? '{' : ',');
		o_puts(o, l->key);
		o_write(o, "=\"", 2);
		put_escaped(o, l->v.s, true);
		o_putc(o, '"');
		first = false;
	}
	o_puts(o, first ? " " : "} ");
	put_value(o, r_find(s, "value"));
	o_putc(o, '\n');
}

static const char *str_of(const struct rnode *obj, const char *key)
{
	const struct rnode *n = r_find(obj, key);

	return n && n->kind == R_STR ? n->v.s : NULL;
}

/* A family without samples says nothing: it is left out. */
static void put_family(struct out *o, const struct rnode *fam)
{
	const char *name = str_of(fam, "name"), *type = str_of(fam, "type");
	const char *help = str_of(fam, "help");
	const struct rnode *samples = r_find(fam, "samples");

	if (!m_valid_metric_name(name) || !type || !samples || !samples->child)
		return;
	o_puts(o, "# HELP ");
	o_puts(o, name);
	o_putc(o, ' ');
	put_escaped(o, help ? help : "", false);
	o_puts(o, "\n# TYPE ");
	o_puts(o, name);
	o_putc(o, ' ');
	o_puts(o, type);
	o_putc(o, '\n');
	for (const struct rnode *s = samples->child; s; s = s->next)
		put_sample(o, name, s);
}

void render_metrics(FILE *f, const struct rnode *root)
{
	const struct rnode *fams = root ? r_find(root, "families") : NULL;
	struct out o;

	o.f = f; /* the buffer itself needs no zeroing */
	o.n = 0;

	for (const struct rnode *fam = fams ? fams->child : NULL; fam; fam = fam->next)
		put_family(&o, fam);
	o_flush(&o);
}
