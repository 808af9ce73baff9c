/* Helpers shared by the fuzz targets, and the target table. */
#include "fuzz.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Text goes to terminals: whatever a device or a file says, no control
 * character other than newline and tab may come out. */
static void check_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			fuzz_fail("text output has control byte 0x%02x at %zu: \"%.*s\"", c, i,
				  (int)(n - i > 60 ? 60 : n - i), s + i);
	}
}

static void check_json(const struct rnode *root, bool pretty)
{
	char *s = render_json_string(root, pretty);
	cJSON *j;

	if (!s)
		fuzz_fail("render_json_string returned NULL");
	j = cJSON_Parse(s);
	if (!j)
		fuzz_fail("JSON output does not parse: %.200s", s);
	cJSON_Delete(j);
	free(s);
}

void fuzz_render(const struct rnode *root)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		fuzz_fail("open_memstream failed");
	render_text(f, root);
	fclose(f);
	check_text(buf, len);
	free(buf);
	check_json(root, false);
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
