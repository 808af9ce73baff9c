/* The -F backend: functions read from `lspci -x` ... `-xxxx` output. Only
 * config space is known. Lines are checked strictly, because a misparsed
 * dump would be reported as device state. */
#include "pci/backend/backend.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_MAX_CFG   4096
#define BYTES_PER_LINE 16

struct dump_fn {
	struct pci_addr addr;
	unsigned size; /* bytes of config space in the dump */
	unsigned line; /* of its header, for messages */
	uint8_t cfg[DUMP_MAX_CFG];
};

struct dumpfile {
	char *path;
	struct dump_fn *fn;
	size_t n, cap;
};

struct parser {
	const char *path;
	unsigned line;
	struct dumpfile *df;
	struct dump_fn *cur; /* function whose hex lines are being read */
	unsigned next_off;   /* offset the next hex line must have */
	unsigned last_hex_line;
	bool after_blank; /* a blank line ended the last function */
	struct verr *e;
};

static int __attribute__((format(printf, 3, 4)))
perr(struct parser *ps, unsigned line, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote the file, which may hold anything: no control or
	 * non-ASCII bytes go to the user's terminal. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	return verr_set(ps->e, VX_INPUT, "%s:%u: %s", ps->path, line, msg);
}

static unsigned le16_at(const uint8_t *b, unsigned off)
{
	return b[off] | (unsigned)b[off + 1] << 8;
}

static int hexval(char ch)
{
	int c = (unsigned char)ch;

	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* ---- end of a function's hex lines ---- */

/* lspci -x prints 64 bytes (128 for a CardBus bridge), -xxx 256, -xxxx 4096. */
static bool size_ok(const struct dump_fn *f, unsigned size)
{
	static const unsigned sizes[] = {64, 256, 4096};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (size == sizes[i])
			return true;
	return size == 128 && (f->cfg[PCI_CFG_HEADER_TYPE] & 0x7f) == 2;
}

static int end_function(struct parser *ps)
{
	struct dump_fn *f = ps->cur;
	char name[PCI_ADDR_STRLEN];

	if (!f)
		return 0;
	ps->cur = NULL;
	pci_addr_format(&f->addr, name);
	if (ps->next_off == 0)
		return perr(ps, f->line, "device %s has no hex lines after its header", name);
	if (!size_ok(f, ps->next_off))
		return perr(ps, ps->last_hex_line,
			    "config space of %s ends at offset 0x%x; lspci -x, -xxx and -xxxx "
			    "give 64, 256 or 4096 bytes (truncated dump?)",
			    name, ps->next_off - 1);
	f->size = ps->next_off;
	return 0;
}

/* ---- hex lines: "40: 09 50 10 01 ..." ---- */

static size_t hex_prefix(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

static bool is_hex_line(const char *s)
{
	size_t n = hex_prefix(s);

	return n > 0 && s[n] == ':' && (s[n + 1] == ' ' || s[n + 1] == '\0');
}

static int parse_bytes(struct parser *ps, const char *line, const char *p,
		       uint8_t out[BYTES_PER_LINE])
{
	unsigned n = 0;

	while (*p) {
		size_t tok;

		if (*p++ != ' ')
			return perr(ps, ps->line, "expected a space at column %d", (int)(p - line));
		tok = strcspn(p, " ");
		if (tok == 0)
			return perr(ps, ps->line, "extra space at column %d", (int)(p - line) + 1);
		if (tok != 2 || hex_prefix(p) < 2)
			return perr(ps, ps->line, "bad hex byte '%.*s' at column %d",
				    (int)(tok > 8 ? 8 : tok), p, (int)(p - line) + 1);
		if (n == BYTES_PER_LINE)
			return perr(ps, ps->line, "more than %d bytes on one line", BYTES_PER_LINE);
		out[n++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
		p += 2;
	}
	if (n < BYTES_PER_LINE)
		return perr(ps, ps->line, "truncated line: %u bytes, expected %d", n,
			    BYTES_PER_LINE);
	return 0;
}

static int check_offset(struct parser *ps, const char *s, size_t digits, unsigned long off)
{
	if (!ps->cur && ps->after_blank)
		return perr(ps, ps->line,
			    "hex line after a blank line (blank lines separate devices)");
	if (!ps->cur)
		return perr(
			ps, ps->line,
			"hex line outside a device (no header such as '00:04.0 ...' before it)");
	if (digits > 3 || off >= DUMP_MAX_CFG)
		return perr(ps, ps->line, "offset 0x%.*s is beyond the 4096-byte config space",
			    (int)(digits > 12 ? 12 : digits), s);
	if (off % BYTES_PER_LINE)
		return perr(ps, ps->line, "offset 0x%lx is not a multiple of 16", off);
	if (off < ps->next_off)
		return perr(ps, ps->line, "offset 0x%lx out of order (expected 0x%x)", off,
			    ps->next_off);
	if (off > ps->next_off)
		return perr(ps, ps->line, "missing lines: expected offset 0x%x, found 0x%lx",
			    ps->next_off, off);
	return 0;
}

static int hex_line(struct parser *ps, const char *s)
{
	size_t digits = hex_prefix(s);
	unsigned long off = digits <= 3 ? strtoul(s, NULL, 16) : DUMP_MAX_CFG;

	if (check_offset(ps, s, digits, off) ||
	    parse_bytes(ps, s, s + digits + 1, ps->cur->cfg + off))
		return -1;
	ps->next_off += BYTES_PER_LINE;
	ps->last_hex_line = ps->line;
	return 0;
}

/* ---- device headers: "00:04.0 Unassigned class ..." ---- */

static struct dump_fn *find_fn(const struct dumpfile *df, const struct pci_addr *a)
{
	for (size_t i = 0; i < df->n; i++)
		if (pci_addr_cmp(&df->fn[i].addr, a) == 0)
			return &df->fn[i];
	return NULL;
}

static struct dump_fn *add_fn(struct dumpfile *df)
{
	if (df->n == df->cap) {
		size_t ncap = df->cap ? df->cap * 2 : 8;
		struct dump_fn *nf = realloc(df->fn, ncap * sizeof(*nf));

		if (!nf)
			return NULL;
		df->fn = nf;
		df->cap = ncap;
	}
	memset(&df->fn[df->n], 0, sizeof(df->fn[0]));
	return &df->fn[df->n++];
}

static int header_addr(struct parser *ps, const char *s, struct pci_addr *a)
{
	char tok[16];
	size_t len = strcspn(s, " ");

	if (len < sizeof(tok)) {
		memcpy(tok, s, len);
		tok[len] = '\0';
		if (pci_addr_parse(tok, a))
			return 0;
		if (strchr(tok, ':') && strchr(tok, '.'))
			return perr(ps, ps->line, "bad PCI address '%s' in device header", tok);
	}
	return perr(ps, ps->line,
		    "unrecognized line: expected a device header ('00:04.0 ...') or a hex line "
		    "('00: f4 1a ...')");
}

static int header_line(struct parser *ps, const char *s)
{
	char name[PCI_ADDR_STRLEN];
	struct pci_addr a;
	struct dump_fn *f;

	if (header_addr(ps, s, &a) || end_function(ps))
		return -1;
	pci_addr_format(&a, name);
	f = find_fn(ps->df, &a);
	if (f)
		return perr(ps, ps->line, "device %s appears twice (first at line %u)", name,
			    f->line);
	f = add_fn(ps->df);
	if (!f)
		return verr_set(ps->e, VX_FAIL, "out of memory");
	f->addr = a;
	f->line = ps->line;
	ps->cur = f;
	ps->next_off = 0;
	ps->after_blank = false;
	return 0;
}

static int parse_line(struct parser *ps, char *s, size_t len)
{
	if (strlen(s) != len)
		return perr(ps, ps->line, "NUL byte in line (not a text file?)");
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
			   s[len - 1] == '\t'))
		s[--len] = '\0';
	if (len == 0) {
		ps->after_blank |= ps->cur != NULL;
		return end_function(ps);
	}
	/* Indented lines are the details of lspci -v, -vv. */
	if (s[0] == ' ' || s[0] == '\t')
		return 0;
	if (is_hex_line(s))
		return hex_line(ps, s);
	return header_line(ps, s);
}

static int parse_file(struct parser *ps, FILE *fp)
{
	char *buf = NULL;
	size_t bufsz = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&buf, &bufsz, fp)) >= 0) {
		ps->line++;
		rc = parse_line(ps, buf, (size_t)n);
	}
	free(buf);
	if (rc == 0 && ferror(fp))
		rc = verr_set(ps->e, VX_INPUT, "error reading %s: %s", ps->path, strerror(errno));
	if (rc == 0)
		rc = end_function(ps);
	if (rc == 0 && ps->df->n == 0)
		rc = verr_set(
			ps->e, VX_INPUT,
			"%s: no devices found (expected the output of lspci -x, -xxx or -xxxx)",
			ps->path);
	return rc;
}

static int fn_cmp(const void *x, const void *y)
{
	const struct dump_fn *a = x, *b = y;

	return pci_addr_cmp(&a->addr, &b->addr);
}

int dumpfile_load(const char *path, struct dumpfile **out, struct verr *e)
{
	struct dumpfile *df = calloc(1, sizeof(*df));
	struct parser ps = {.path = path, .df = df, .e = e};
	FILE *fp;

	*out = NULL;
	if (!df || !(df->path = strdup(path))) {
		free(df);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	fp = fopen(path, "r");
	if (!fp) {
		verr_set(e, VX_INPUT, "cannot open dump file %s: %s", path, strerror(errno));
		dumpfile_free(df);
		return -1;
	}
	if (parse_file(&ps, fp)) {
		fclose(fp);
		dumpfile_free(df);
		return -1;
	}
	fclose(fp);
	qsort(df->fn, df->n, sizeof(df->fn[0]), fn_cmp);
	*out = df;
	return 0;
}

void dumpfile_free(struct dumpfile *df)
{
	if (!df)
		return;
	free(df->fn);
	free(df->path);
	free(df);
}

size_t dumpfile_count(const struct dumpfile *df)
{
	return df->n;
}

/* ---- functions as struct pdev ---- */

struct dump_priv {
	unsigned size;
	uint8_t cfg[];
};

static void subsystem_ids(const uint8_t *cfg, unsigned size, uint16_t *vendor, uint16_t *device)
{
	static const struct {
		unsigned vendor_off, device_off;
	} where[3] = {
		{PCI_CFG_SUBSYS_VENDOR, PCI_CFG_SUBSYS_DEVICE},
		{0, 0}, /* bridges keep them in a capability */
		{PCI_CFG_CB_SUBSYS_VENDOR, PCI_CFG_CB_SUBSYS_DEVICE},
	};
	unsigned layout = cfg[PCI_CFG_HEADER_TYPE] & 0x7f;

	*vendor = *device = 0;
	if (layout >= 3 || !where[layout].vendor_off || where[layout].device_off + 2 > size)
		return;
	*vendor = (uint16_t)le16_at(cfg, where[layout].vendor_off);
	*device = (uint16_t)le16_at(cfg, where[layout].device_off);
}

static uint32_t class_at(const uint8_t *cfg)
{
	return cfg[PCI_CFG_CLASS] | (uint32_t)cfg[PCI_CFG_CLASS + 1] << 8 |
	       (uint32_t)cfg[PCI_CFG_CLASS + 2] << 16;
}

void dumpfile_entry(const struct dumpfile *df, size_t i, struct psys_entry *out)
{
	const struct dump_fn *f = &df->fn[i];

	memset(out, 0, sizeof(*out));
	out->addr = f->addr;
	out->vendor = (uint16_t)le16_at(f->cfg, PCI_CFG_VENDOR);
	out->device = (uint16_t)le16_at(f->cfg, PCI_CFG_DEVICE);
	out->class_code = class_at(f->cfg);
	subsystem_ids(f->cfg, f->size, &out->subsys_vendor, &out->subsys_device);
}

static int dump_cfg_read(struct pdev *d, unsigned off, unsigned width, uint32_t *val,
			 struct verr *e)
{
	const struct dump_priv *p = d->priv;
	uint32_t v = 0;

	if (off + width > p->size)
		return verr_set(e, VX_FAIL, "config offset 0x%x is not in the dump", off);
	for (unsigned i = width; i-- > 0;)
		v = v << 8 | p->cfg[off + i];
	*val = v;
	return 0;
}

static void dump_close(struct pdev *d)
{
	free(d->priv);
	d->priv = NULL;
}

static const struct pdev_ops dump_ops = {
	.name = "dump",
	.cfg_read = dump_cfg_read,
	.close = dump_close,
};

static void fill_from_cfg(struct pdev *d, const struct dump_fn *f)
{
	uint32_t raw[PCI_NUM_BARS] = {0};
	unsigned nbars = pci_header_num_bars(f->cfg[PCI_CFG_HEADER_TYPE]);

	d->addr = f->addr;
	d->vendor = (uint16_t)le16_at(f->cfg, PCI_CFG_VENDOR);
	d->device = (uint16_t)le16_at(f->cfg, PCI_CFG_DEVICE);
	d->revision = f->cfg[PCI_CFG_REVISION];
	d->class_code = class_at(f->cfg);
	subsystem_ids(f->cfg, f->size, &d->subsys_vendor, &d->subsys_device);
	d->cfg_size = f->size;
	if (f->size < PCI_CFG_SPACE_SIZE)
		snprintf(d->cfg_why, sizeof(d->cfg_why),
			 "the dump holds only the first %u bytes of config space: lspci -x; "
			 "lspci -xxx as root dumps them all",
			 f->size);
	for (unsigned i = 0; i < nbars; i++) {
		unsigned off = PCI_CFG_BAR0 + 4 * i;

		raw[i] = le16_at(f->cfg, off) | (uint32_t)le16_at(f->cfg, off + 2) << 16;
	}
	pci_bars_decode(raw, nbars, d->bar);
	snprintf(d->bar_why, sizeof(d->bar_why), "config space only (-F dump file)");
	snprintf(d->write_why, sizeof(d->write_why), "a -F dump file cannot be written");
}

int dumpfile_open_device(const struct dumpfile *df, const struct pci_addr *a, struct pdev **out,
			 struct verr *e)
{
	const struct dump_fn *f = find_fn(df, a);
	char name[PCI_ADDR_STRLEN];
	struct dump_priv *p;
	struct pdev *d;

	*out = NULL;
	if (!f) {
		pci_addr_format(a, name);
		return verr_set(e, VX_NODEV, "no function %s in dump file %s", name, df->path);
	}
	d = calloc(1, sizeof(*d));
	p = malloc(sizeof(*p) + f->size);
	if (!d || !p) {
		free(d);
		free(p);
		return verr_set(e, VX_FAIL, "out of memory");
	}
	p->size = f->size;
	memcpy(p->cfg, f->cfg, f->size);
	d->ops = &dump_ops;
	d->priv = p;
	fill_from_cfg(d, f);
	*out = d;
	return 0;
}
