/* Text rendering for people: aligned "label: value" lines, nested objects
 * indented, arrays of flat objects as tables, byte strings as hex dumps. */
#include "format/render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

#define INDENT_STEP 2
#define CELL_MAX    2048 /* one value as text, escaped */

/* Strings in a report come from devices, sysfs, files and arguments:
 * nothing reaches the terminal unescaped (util/escape.h). */
static const char *safe(const char *s, char *buf, size_t len)
{
	return str_needs_escape(s) ? str_escape(s, buf, len) : s;
}

static const char *label_of(const struct rnode *n)
{
	return n->label ? n->label : n->key ? n->key : "";
}

static bool is_scalar(const struct rnode *n)
{
	return n->kind != R_OBJ && n->kind != R_ARR;
}

/* Formats are written as "0x%04x" or "%llu"; the value is always passed as
 * unsigned long long, so give the one conversion an "ll" length modifier
 * whatever the caller wrote. */
static void ull_format(const char *fmt, char *out, size_t len)
{
	size_t o = 0;
	bool in_conv = false;

	for (const char *p = fmt; *p && o + 3 < len; p++) {
		if (in_conv && strchr("diouxX", *p)) {
			if (!(p > fmt && p[-1] == 'l')) {
				out[o++] = 'l';
				out[o++] = 'l';
			}
			in_conv = false;
		} else if (*p == '%') {
			in_conv = !in_conv;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

static const char *scalar_text(const struct rnode *n, char *buf, size_t len);

/* An array of scalars in a table cell (per-CPU counts, say): its values
 * separated by spaces; with RF_NAMES, each object's name, comma-separated. */
static const char *joined_text(const struct rnode *n, char *buf, size_t len)
{
	char one[64];
	size_t o = 0;

	buf[0] = '\0';
	for (const struct rnode *c = n->child; c && o < len; c = c->next) {
		const struct rnode *v = (n->flags & RF_NAMES) ? r_find(c, "name") : c;

		if (!v)
			v = c;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      !o		      ? ""
				      : (n->flags & RF_NAMES) ? ", "
							      : " ",
				      is_scalar(v) ? scalar_text(v, one, sizeof(one)) : "...");
	}
	return n->child ? buf : "none";
}

/* The word for each kind of null (report.h). */
static const char *null_text(const struct rnode *n)
{
	if (n->flags & RF_UNKNOWN)
		return "unknown";
	return n->flags & RF_NONE ? "none" : "n/a";
}

/* The value without its annotation, into buf. */
static const char *scalar_text(const struct rnode *n, char *buf, size_t len)
{
	char fmt[32];

	switch (n->kind) {
	case R_UINT:
		ull_format(n->fmt ? n->fmt : "%llu", fmt, sizeof(fmt));
		snprintf(buf, len, fmt, (unsigned long long)n->v.u);
		return buf;
	case R_INT:
		snprintf(buf, len, "%" PRId64, n->v.i);
		return buf;
	case R_DOUBLE:
		snprintf(buf, len, "%g", n->v.d);
		return buf;
	case R_BOOL:
		return n->v.b ? "yes" : "no";
	case R_STR:
		return safe(n->v.s, buf, len);
	case R_ARR:
		return joined_text(n, buf, len);
	default:
		return null_text(n);
	}
}

static void print_scalar_value(FILE *f, const struct rnode *n)
{
	char buf[CELL_MAX];

	fputs(scalar_text(n, buf, sizeof(buf)), f);
	if (n->annot && *n->annot)
		fprintf(f, " (%s)", safe(n->annot, buf, sizeof(buf)));
	if (n->why)
		fprintf(f, " (%s)", safe(n->why, buf, sizeof(buf)));
}

static void print_hexdump(FILE *f, const char *hex, int indent)
{
	size_t nbytes = strlen(hex) / 2;

	for (size_t off = 0; off < nbytes; off += 16) {
		char ascii[17] = {0};

		fprintf(f, "%*s%04zx:", indent, "", off);
		for (size_t i = 0; i < 16; i++) {
			unsigned b;

			if (off + i >= nbytes) {
				fputs("   ", f);
				continue;
			}
			sscanf(hex + 2 * (off + i), "%2x", &b);
			fprintf(f, " %02x", b);
			ascii[i] = (b >= 0x20 && b < 0x7f) ? (char)b : '.';
		}
		fprintf(f, "  |%s|\n", ascii);
	}
}

static void render_node(FILE *f, const struct rnode *n, int indent, int width);

static int label_width(const struct rnode *obj)
{
	int w = 0;

	for (const struct rnode *c = obj->child; c; c = c->next) {
		int l = (int)strlen(label_of(c));

		if (is_scalar(c) && !(c->flags & RF_HEXDUMP) && l > w)
			w = l;
	}
	return w;
}

static void render_children(FILE *f, const struct rnode *obj, int indent)
{
	int width = label_width(obj);

	for (const struct rnode *c = obj->child; c; c = c->next)
		render_node(f, c, indent, width);
}

static void render_inline_array(FILE *f, const struct rnode *n, int indent, int width)
{
	fprintf(f, "%*s%-*s", indent, "", width + 1, label_of(n));
	if (!n->child)
		fputs(" none", f);
	for (const struct rnode *c = n->child; c; c = c->next) {
		fputs(c == n->child ? " " : ", ", f);
		print_scalar_value(f, c);
	}
	fputc('\n', f);
}

/* Column widths over the header and every row; cells of nested containers
 * print as "...", which callers avoid by keeping table rows flat. */
static void table_widths(const struct rnode *arr, int *w, int ncol)
{
	char buf[CELL_MAX], abuf[CELL_MAX];
	int i = 0;

	for (const struct rnode *h = arr->child->child; h && i < ncol; h = h->next, i++)
		w[i] = (int)strlen(label_of(h));
	for (const struct rnode *row = arr->child; row; row = row->next) {
		i = 0;
		for (const struct rnode *c = row->child; c && i < ncol; c = c->next, i++) {
			int l = (int)strlen(scalar_text(c, buf, sizeof(buf)));

			if (c->annot && *c->annot)
				l += (int)strlen(safe(c->annot, abuf, sizeof(abuf))) + 3;
			if (l > w[i])
				w[i] = l;
		}
	}
}

#define REASONS_MAX 32 /* distinct reasons listed under one table */
#define COLUMNS_MAX 32

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* The columns (labels, in order of appearance) whose cells have reason
 * why, as "a, b". */
static void columns_with(const struct rnode *n, const char *why, FILE *f)
{
	const char *cols[COLUMNS_MAX];
	size_t nc = 0;

	for (const struct rnode *row = n->child; row; row = row->next)
		for (const struct rnode *c = row->child; c; c = c->next)
			if (c->why && nc < COLUMNS_MAX && strcmp(c->why, why) == 0 &&
			    !in_list(cols, nc, label_of(c))) {
				fprintf(f, "%s%s", nc ? ", " : "", label_of(c));
				cols[nc++] = label_of(c);
			}
}

/* Cells say only "unknown"; each reason once below the table, after the
 * columns it applies to: "driver, virtio unknown: why". Linear in the
 * cells for each distinct reason (MSI-X tables have thousands). */
static void table_reasons(FILE *f, const struct rnode *n, int indent)
{
	const char *whys[REASONS_MAX];
	size_t nw = 0;
	char buf[CELL_MAX];

	for (const struct rnode *row = n->child; row; row = row->next)
		for (const struct rnode *c = row->child; c; c = c->next)
			if (c->why && nw < REASONS_MAX && !in_list(whys, nw, c->why))
				whys[nw++] = c->why;
	for (size_t i = 0; i < nw; i++) {
		fprintf(f, "%*s", indent, "");
		columns_with(n, whys[i], f);
		fprintf(f, " unknown: %s\n", safe(whys[i], buf, sizeof(buf)));
	}
}

/* The first n bytes of s left-aligned in a column of width w and the two
 * spaces after it (w < 0: the last column, as is), as fprintf "%-*s  " of
 * a cell buffer printed it: tables have thousands of cells (MSI-X
 * vectors), and a fuzz build checks every printf format and argument. */
static void put_cell(FILE *f, const char *s, size_t n, int w)
{
	static const char spaces[] = "                                ";
	const int chunk = (int)sizeof(spaces) - 1;

	fwrite(s, 1, n, f);
	if (w < 0)
		return;
	for (int pad = w - (int)n; pad > 0; pad -= chunk)
		fwrite(spaces, 1, (size_t)(pad < chunk ? pad : chunk), f);
	fputs("  ", f);
}

static void render_table(FILE *f, const struct rnode *n, int indent)
{
	int ncol = (int)r_count(n->child), *w, i = 0;
	char buf[CELL_MAX], abuf[CELL_MAX];

	if (n->label || n->key)
		fprintf(f, "%*s%s:\n", indent, "", label_of(n));
	if (!n->child) {
		fprintf(f, "%*s(none)\n", indent + INDENT_STEP, "");
		return;
	}
	w = calloc((size_t)ncol + 1, sizeof(*w));
	table_widths(n, w, ncol);
	fprintf(f, "%*s", indent + INDENT_STEP, "");
	for (const struct rnode *h = n->child->child; h; h = h->next, i++) {
		if (h->next)
			fprintf(f, "%-*s  ", w[i], label_of(h));
		else
			fprintf(f, "%s\n", label_of(h));
	}
	for (const struct rnode *row = n->child; row; row = row->next) {
		fprintf(f, "%*s", indent + INDENT_STEP, "");
		i = 0;
		for (const struct rnode *c = row->child; c && i < ncol; c = c->next, i++) {
			const char *t = scalar_text(c, buf, sizeof(buf));
			char cell[2 * CELL_MAX + 4];

			if (c->annot && *c->annot) {
				snprintf(cell, sizeof(cell), "%s (%s)", t,
					 safe(c->annot, abuf, sizeof(abuf)));
				t = cell;
			}
			/* at most what the cell buffer held */
			put_cell(f, t, strnlen(t, sizeof(cell) - 1), c->next ? w[i] : -1);
		}
		fputc('\n', f);
	}
	free(w);
	table_reasons(f, n, indent + INDENT_STEP);
}

static void render_array(FILE *f, const struct rnode *n, int indent, int width)
{
	unsigned i = 0;

	if (n->flags & RF_TABLE) {
		render_table(f, n, indent);
		return;
	}
	if (n->flags & RF_LINES) {
		if (!n->child)
			return;
		fprintf(f, "%*s%s:\n", indent, "", label_of(n));
		for (const struct rnode *c = n->child; c; c = c->next) {
			fprintf(f, "%*s", indent + INDENT_STEP, "");
			print_scalar_value(f, c);
			fputc('\n', f);
		}
		return;
	}
	if ((n->flags & RF_INLINE) || !n->child || is_scalar(n->child)) {
		render_inline_array(f, n, indent, width);
		return;
	}
	for (const struct rnode *c = n->child; c; c = c->next, i++) {
		if (c->label)
			fprintf(f, "%*s%s:\n", indent, "", c->label);
		else
			fprintf(f, "%*s%s[%u]:\n", indent, "", label_of(n), i);
		render_children(f, c, indent + INDENT_STEP);
	}
}

static void render_node(FILE *f, const struct rnode *n, int indent, int width)
{
	if (n->kind == R_OBJ) {
		fprintf(f, "%*s%s:\n", indent, "", label_of(n));
		render_children(f, n, indent + INDENT_STEP);
	} else if (n->kind == R_ARR) {
		render_array(f, n, indent, width);
	} else if (n->flags & RF_PLAIN) {
		fprintf(f, "%*s%s ", indent, "", label_of(n));
		print_scalar_value(f, n);
		fputc('\n', f);
	} else if (n->flags & RF_HEXDUMP) {
		fprintf(f, "%*s%s:%s\n", indent, "", label_of(n), *n->v.s ? "" : " (empty)");
		print_hexdump(f, n->v.s, indent + INDENT_STEP);
	} else {
		fprintf(f, "%*s%s:%*s ", indent, "", label_of(n), width - (int)strlen(label_of(n)),
			"");
		print_scalar_value(f, n);
		fputc('\n', f);
	}
}

void render_text(FILE *f, const struct rnode *root)
{
	if (root->kind == R_ARR)
		render_array(f, root, 0, 0);
	else if (root->kind == R_OBJ)
		render_children(f, root, 0);
	else
		render_node(f, root, 0, 0);
}
