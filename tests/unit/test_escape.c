/* Strings from outside reach terminals escaped: control bytes, C1
 * controls and invalid UTF-8 as \xNN; valid UTF-8 and plain text as is. */
#include "check.h"
#include "util/escape.h"

#include <string.h>

static void expect_escaped(const char *in, const char *want)
{
	char out[256];

	CHECK_STR(str_escape(in, out, sizeof(out)), want);
	CHECK_EQ(str_needs_escape(in), strcmp(in, want) != 0);
}

int main(void)
{
	char small[12];

	expect_escaped("eth0", "eth0");
	expect_escaped("", "");
	expect_escaped("a\x1b[31mred", "a\\x1b[31mred");
	expect_escaped("line\nnext\ttab\r", "line\\x0anext\\x09tab\\x0d");
	expect_escaped("del\x7f", "del\\x7f");
	expect_escaped("gr\xc3\xbc\xc3\x9f", "gr\xc3\xbc\xc3\x9f"); /* "grüß" */
	expect_escaped("\xe2\x82\xac 5", "\xe2\x82\xac 5");	    /* euro sign */
	expect_escaped("csi\xc2\x9b"
		       "2J",
		       "csi\\xc2\\x9b2J");			 /* C1 CSI, UTF-8 */
	expect_escaped("raw\x9b", "raw\\x9b");			 /* C1 CSI, byte */
	expect_escaped("bad\xc3", "bad\\xc3");			 /* truncated */
	expect_escaped("over\xc0\xaf", "over\\xc0\\xaf");	 /* overlong */
	expect_escaped("sur\xed\xa0\x80", "sur\\xed\\xa0\\x80"); /* surrogate */
	expect_escaped("a\\b", "a\\b");				 /* plain backslash */
	expect_escaped("a\\x41", "a\\\\x41");			 /* not an escape */
	/* too long: cut, marked, terminated */
	CHECK_STR(str_escape("\x01\x02\x03\x04", small, sizeof(small)), "\\x01\\x02...");
	CHECK_STR(str_escape("abc", small, 3), "");
	return check_done();
}
