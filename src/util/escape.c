#include "util/escape.h"

#include <stdio.h>
#include <string.h>

/* Length of the valid, printable UTF-8 sequence at s (1 for printable
 * ASCII), or 0 when the byte at s must be escaped. */
static size_t printable_len(const unsigned char *s)
{
	unsigned cp;
	size_t n;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0; /* control, DEL, continuation or invalid lead byte */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	/* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/* A backslash followed by "x" would read as an escape: double it then. */
static bool ambiguous_backslash(const unsigned char *s)
{
	return s[0] == '\\' && (s[1] == 'x' || s[1] == '\\');
}

bool str_needs_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = printable_len(p);

		if (!n || ambiguous_backslash(p))
			return true;
		p += n;
	}
	return false;
}

const char *str_escape(const char *s, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (!len)
		return out;
	while (*p) {
		size_t n = printable_len(p);
		char piece[8];

		if (!n)
			snprintf(piece, sizeof(piece), "\\x%02x", *p), n = 1;
		else if (ambiguous_backslash(p))
			snprintf(piece, sizeof(piece), "\\\\");
		else
			memcpy(piece, p, n), piece[n] = '\0';
		/* o + 4 <= len holds here whenever len >= 4 */
		if (o + strlen(piece) + 4 > len) {
			if (len >= 4)
				memcpy(out + o, "...", 4);
			else
				out[0] = '\0';
			return out;
		}
		memcpy(out + o, piece, strlen(piece));
		o += strlen(piece);
		p += n;
	}
	out[o] = '\0';
	return out;
}
