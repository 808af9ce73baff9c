/* Helpers shared by the fuzz targets, and the target table. */
#include "fuzz.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/render.h"

const struct fuzz_target fuzz_targets[] = {
	/* clang-format off */
	{"dump", fuzz_dump, 64 * 1024, 3000},
	{"caps", fuzz_caps, 1 + 4096, 1500},
	{"devcfg", fuzz_devcfg, 9 + 4096, 2000},
	{"vring", fuzz_vring, 4096, 3000},
	{"regs", fuzz_regs, 4096 + 4096, 800},
	{"vpacked", fuzz_vpacked, 4096, 3000},
	/* clang-format on */
};
const size_t fuzz_ntargets = sizeof(fuzz_targets) / sizeof(fuzz_targets[0]);

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("fuzz invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The checkers below are the harness, not code under test: without
 * coverage (and ASan) instrumentation they cost a fraction, and libFuzzer
 * does not take their branches for new behaviour of the product. */
#if defined(__clang__)
#define FUZZ_UNINSTRUMENTED __attribute__((no_sanitize("coverage", "address", "undefined")))
#else
#define FUZZ_UNINSTRUMENTED
#endif

/* Text goes to terminals: whatever a device or a file says, no control
 * character other than newline and tab may come out. */
FUZZ_UNINSTRUMENTED static void check_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			fuzz_fail("text output has control byte 0x%02x at %zu: \"%.*s\"", c, i,
				  (int)(n - i > 60 ? 60 : n - i), s + i);
	}
}

/* ---- A strict JSON checker (RFC 8259), allocating nothing ----
 * It replaced cJSON_Parse here: parsing back every report into a tree
 * cost more than everything else a target does. It accepts less than
 * cJSON does (no trailing garbage, no bare control bytes in strings, no
 * leading zeros), so the invariant is as strong as before. */

struct jscan {
	const char *p;
	unsigned depth;
};

static bool j_value(struct jscan *j);

FUZZ_UNINSTRUMENTED static void j_ws(struct jscan *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

FUZZ_UNINSTRUMENTED static bool j_lit(struct jscan *j, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

FUZZ_UNINSTRUMENTED static bool j_digits(struct jscan *j)
{
	const char *s = j->p;

	while (*j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

FUZZ_UNINSTRUMENTED static bool j_number(struct jscan *j)
{
	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (!j_digits(j))
		return false;
	if (*j->p == '.') {
		j->p++;
		if (!j_digits(j))
			return false;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!j_digits(j))
			return false;
	}
	return true;
}

FUZZ_UNINSTRUMENTED static bool j_string(struct jscan *j)
{
	if (*j->p++ != '"')
		return false;
	for (;;) {
		unsigned char c = (unsigned char)*j->p++;

		if (c == '"')
			return true;
		if (c < 0x20)
			return false; /* the terminating NUL included */
		if (c != '\\')
			continue;
		c = (unsigned char)*j->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, j->p++)
				if (!isxdigit((unsigned char)*j->p))
					return false;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return false;
		}
	}
}

/* Members of an object (key: value) or elements of an array. */
FUZZ_UNINSTRUMENTED static bool j_container(struct jscan *j, char close, bool members)
{
	bool ok = true;

	if (++j->depth > 256)
		return false;
	j->p++;
	j_ws(j);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		j_ws(j);
		if (members) {
			if (!j_string(j))
				return false;
			j_ws(j);
			if (*j->p++ != ':')
				return false;
		}
		if (!j_value(j))
			return false;
		j_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		ok = *j->p++ == close;
		break;
	}
	j->depth--;
	return ok;
}

FUZZ_UNINSTRUMENTED static bool j_value(struct jscan *j)
{
	j_ws(j);
	switch (*j->p) {
	case '{':
		return j_container(j, '}', true);
	case '[':
		return j_container(j, ']', false);
	case '"':
		return j_string(j);
	case 't':
		return j_lit(j, "true");
	case 'f':
		return j_lit(j, "false");
	case 'n':
		return j_lit(j, "null");
	default:
		return j_number(j);
	}
}

/* One JSON document and nothing after it. */
FUZZ_UNINSTRUMENTED static bool json_valid(const char *s)
{
	struct jscan j = {s, 0};

	if (!j_value(&j))
		return false;
	j_ws(&j);
	return *j.p == '\0';
}

static void check_json(const struct rnode *root, bool pretty)
{
	char *s = render_json_string(root, pretty);

	if (!s)
		fuzz_fail("render_json_string returned NULL");
	if (!json_valid(s))
		fuzz_fail("JSON output does not parse: %.200s", s);
	free(s);
}

/* Test harness state, not product state: how fuzz_render renders. */
static enum fuzz_render_mode render_mode = FUZZ_RENDER_ALL;
static bool render_sampled = true;

void fuzz_render_pick(const uint8_t *data, size_t size)
{
	unsigned h = (unsigned)size + (size ? data[size - 1] : 0u);

	render_mode = h % 2 ? FUZZ_RENDER_TEXT : h % 4 ? FUZZ_RENDER_JSON : FUZZ_RENDER_PRETTY;
	render_sampled = (h >> 2) % 4 == 0;
}

bool fuzz_render_sampled(void)
{
	return render_sampled;
}

void fuzz_render(const struct rnode *root)
{
	if (render_mode == FUZZ_RENDER_ALL || render_mode == FUZZ_RENDER_TEXT) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (!f)
			fuzz_fail("open_memstream failed");
		render_text(f, root);
		fclose(f);
		check_text(buf, len);
		free(buf);
	}
	if (render_mode != FUZZ_RENDER_TEXT && render_mode != FUZZ_RENDER_PRETTY)
		check_json(root, false);
	if (render_mode != FUZZ_RENDER_TEXT && render_mode != FUZZ_RENDER_JSON)
		check_json(root, true);
}

uint8_t fin_u8(struct fuzz_in *in)
{
	return in->pos < in->n ? in->p[in->pos++] : 0;
}

/* Separate statements: the order of operands' evaluation is unspecified. */
uint16_t fin_u16(struct fuzz_in *in)
{
	uint16_t lo = fin_u8(in);

	return (uint16_t)(lo | fin_u8(in) << 8);
}

uint32_t fin_u32(struct fuzz_in *in)
{
	uint32_t lo = fin_u16(in);

	return lo | (uint32_t)fin_u16(in) << 16;
}

uint64_t fin_u64(struct fuzz_in *in)
{
	uint64_t lo = fin_u32(in);

	return lo | (uint64_t)fin_u32(in) << 32;
}

size_t fin_left(const struct fuzz_in *in)
{
	return in->n - in->pos;
}
