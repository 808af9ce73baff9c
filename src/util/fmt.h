/* Numbers and strings put together without the printf family: the
 * per-function paths of dump --all, list and metrics format hundreds of
 * short strings (paths, hex words, decimal indices), and vsnprintf's
 * format parsing was a seventh of what those commands ran (issue 13).
 *
 * Every writer here produces exactly what the snprintf it replaces would:
 * the same digits, and on truncation the same cut (the first len - 1
 * bytes, terminated) and the same "would have been" length. */
#ifndef VIRTIOCTL_UTIL_FMT_H
#define VIRTIOCTL_UTIL_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes fmt_dec needs: UINT64_MAX's 20 digits and the terminator. */
#define FMT_DEC_MAX 21

/* v in decimal ("%llu") at buf, terminated; returns the digit count. */
size_t fmt_dec(char *buf, uint64_t v);
/* v in lowercase hex, zero-padded to at least width digits ("%0*llx"),
 * at buf (which holds the digits and a terminator); returns the digit
 * count. */
size_t fmt_hex(char *buf, uint64_t v, unsigned width);

/* A bounded string being built piece by piece, as one snprintf of the
 * whole would build it: buf (len bytes) always holds the first len - 1
 * bytes of what was put, terminated (nothing when len is 0), and n is the
 * length of all of it, as snprintf's return value. */
struct sbuf {
	char *buf;
	size_t len, n;
};

void sb_init(struct sbuf *b, char *buf, size_t len);
void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_putc(struct sbuf *b, char c);
void sb_dec(struct sbuf *b, uint64_t v);
void sb_hex(struct sbuf *b, uint64_t v, unsigned width);
/* Everything put fitted (snprintf's n < len). */
static inline bool sb_ok(const struct sbuf *b)
{
	return b->n < b->len;
}

/* snprintf(buf, len, "%s", s): false when s was cut. */
bool str_copy(char *buf, size_t len, const char *s);
/* The strings up to a NULL, one after the other ("%s%s..."): false when
 * the result was cut. */
bool str_concat(char *buf, size_t len, ...) __attribute__((sentinel));

#endif
