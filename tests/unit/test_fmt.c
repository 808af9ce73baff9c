/* util/fmt: each writer against the snprintf it stands in for, at 0, at
 * the largest values and at every buffer length around a cut. */
#include "check.h"
#include "util/fmt.h"

#include <stdio.h>
#include <string.h>

static const uint64_t values[] = {
	0,
	1,
	9,
	10,
	15,
	16,
	99,
	255,
	256,
	4095,
	65535,
	0xdeadbeef,
	UINT32_MAX,
	(uint64_t)UINT32_MAX + 1,
	1000000000000000000ull,
	9999999999999999999ull,
	UINT64_MAX,
};
#define NVALUES (sizeof(values) / sizeof(values[0]))

static void test_dec(void)
{
	for (size_t i = 0; i < NVALUES; i++) {
		char got[FMT_DEC_MAX], want[32];
		int n = snprintf(want, sizeof(want), "%llu", (unsigned long long)values[i]);

		CHECK_EQ(fmt_dec(got, values[i]), n);
		CHECK_STR(got, want);
	}
	CHECK_EQ(strlen("18446744073709551615") + 1, FMT_DEC_MAX);
}

static void test_hex(void)
{
	static const unsigned widths[] = {0, 1, 2, 4, 8, 16};

	for (size_t i = 0; i < NVALUES; i++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			char got[32], want[32];
			int n = snprintf(want, sizeof(want), "%0*llx", (int)widths[w],
					 (unsigned long long)values[i]);

			CHECK_EQ(fmt_hex(got, values[i], widths[w]), n);
			CHECK_STR(got, want);
		}
}

/* One sbuf of every kind of piece, at every length from 0 to past the
 * whole: the same bytes, terminator and length as one snprintf. */
static void test_sbuf_cuts(void)
{
	char want[128];
	int full = snprintf(want, sizeof(want), "0x%016llx %s%c%llu/%02x", 0x1234abcdull, "path",
			    '=', (unsigned long long)UINT64_MAX, 0xa);

	for (size_t len = 0; len <= (size_t)full + 2; len++) {
		char got[128], ref[128];
		struct sbuf b;

		memset(got, 'X', sizeof(got));
		memset(ref, 'X', sizeof(ref));
		snprintf(ref, len, "0x%016llx %s%c%llu/%02x", 0x1234abcdull, "path", '=',
			 (unsigned long long)UINT64_MAX, 0xa);
		sb_init(&b, got, len);
		sb_puts(&b, "0x");
		sb_hex(&b, 0x1234abcd, 16);
		sb_putc(&b, ' ');
		sb_puts(&b, "path");
		sb_putc(&b, '=');
		sb_dec(&b, UINT64_MAX);
		sb_putn(&b, "/", 1);
		sb_hex(&b, 0xa, 2);
		CHECK_EQ(b.n, full);
		CHECK_EQ(sb_ok(&b), (size_t)full < len);
		CHECK(memcmp(got, ref, sizeof(got)) == 0); /* nothing past the cut */
	}
}

static void test_sbuf_wide_hex(void)
{
	char got[128], want[128];
	struct sbuf b;

	snprintf(want, sizeof(want), "%0100llx", 0xffull);
	sb_init(&b, got, sizeof(got));
	sb_hex(&b, 0xff, 100);
	CHECK_STR(got, want);
	CHECK_EQ(b.n, 100);
}

static void test_copy_concat(void)
{
	char buf[8];

	CHECK(str_copy(buf, sizeof(buf), "1234567"));
	CHECK_STR(buf, "1234567");
	CHECK(!str_copy(buf, sizeof(buf), "12345678")); /* cut as snprintf cuts */
	CHECK_STR(buf, "1234567");
	CHECK(str_copy(buf, sizeof(buf), ""));
	CHECK_STR(buf, "");
	CHECK(!str_copy(buf, 0, "a"));
	CHECK(str_concat(buf, sizeof(buf), "/sys", "/", "ab", NULL));
	CHECK_STR(buf, "/sys/ab");
	CHECK(!str_concat(buf, sizeof(buf), "/sys", "/", "abc", NULL));
	CHECK_STR(buf, "/sys/ab");
	CHECK(str_concat(buf, sizeof(buf), NULL));
	CHECK_STR(buf, "");
}

int main(void)
{
	test_dec();
	test_hex();
	test_sbuf_cuts();
	test_sbuf_wide_hex();
	test_copy_concat();
	return check_done();
}
