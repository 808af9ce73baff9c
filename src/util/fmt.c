#include "util/fmt.h"

#include <stdarg.h>
#include <string.h>

size_t fmt_dec(char *buf, uint64_t v)
{
	char tmp[FMT_DEC_MAX];
	char *p = tmp + sizeof(tmp);
	size_t n;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

size_t fmt_hex(char *buf, uint64_t v, unsigned width)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 1;

	for (uint64_t t = v >> 4; t; t >>= 4)
		n++;
	if (n < width)
		n = width;
	buf[n] = '\0';
	for (size_t i = n; i-- > 0; v >>= 4)
		buf[i] = digits[v & 0xf];
	return n;
}

void sb_init(struct sbuf *b, char *buf, size_t len)
{
	b->buf = buf;
	b->len = len;
	b->n = 0;
	if (len)
		buf[0] = '\0';
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + 1 < b->len) {
		size_t room = b->len - 1 - b->n, k = n < room ? n : room;

		memcpy(b->buf + b->n, s, k);
		b->buf[b->n + k] = '\0';
	}
	b->n += n;
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

void sb_dec(struct sbuf *b, uint64_t v)
{
	char tmp[FMT_DEC_MAX];

	sb_putn(b, tmp, fmt_dec(tmp, v));
}

void sb_hex(struct sbuf *b, uint64_t v, unsigned width)
{
	char tmp[80];

	/* wider than any caller asks: the padding is zeros all the same */
	for (; width > sizeof(tmp) - 1; width--)
		sb_putc(b, '0');
	sb_putn(b, tmp, fmt_hex(tmp, v, width));
}

bool str_copy(char *buf, size_t len, const char *s)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	sb_puts(&b, s);
	return sb_ok(&b);
}

bool str_concat(char *buf, size_t len, ...)
{
	struct sbuf b;
	va_list ap;

	sb_init(&b, buf, len);
	va_start(ap, len);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		sb_puts(&b, s);
	va_end(ap);
	return sb_ok(&b);
}
