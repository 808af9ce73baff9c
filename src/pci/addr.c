#include "pci/addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"

static bool parse_hex(const char **p, unsigned max_digits, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0, n = 0;

	while (n < max_digits) {
		int c = s[n], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		v = v * 16 + (unsigned)d;
		n++;
	}
	if (n == 0 || v > max)
		return false;
	*p = s + n;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

bool pci_addr_parse(const char *s, struct pci_addr *out)
{
	struct pci_addr a = {0};
	const char *p = s;
	unsigned first;

	if (!s || !parse_hex(&p, 4, 0xffff, &first) || !expect(&p, ':'))
		return false;
	/* Three colons-separated parts before the dot means a domain was given. */
	if (strchr(p, ':')) {
		a.domain = first;
		if (!parse_hex(&p, 2, 0xff, &a.bus) || !expect(&p, ':'))
			return false;
	} else {
		if (first > 0xff || p - s > 3)
			return false;
		a.bus = first;
	}
	if (!parse_hex(&p, 2, 0x1f, &a.dev) || !expect(&p, '.') || !parse_hex(&p, 1, 7, &a.func) ||
	    *p != '\0')
		return false;
	*out = a;
	return true;
}

/* n hex digits of v at p, most significant first. */
static char *put_hex(char *p, unsigned v, unsigned n)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = n; i-- > 0;)
		*p++ = digits[v >> (4 * i) & 0xf];
	return p;
}

/* "%04x:%02x:%02x.%x" without printf: every report names its function,
 * some once per value, and the format parser was a tenth of `metrics`. */
void pci_addr_format(const struct pci_addr *a, char buf[PCI_ADDR_STRLEN])
{
	char *p = put_hex(buf, a->domain & 0xffff, 4);

	*p++ = ':';
	p = put_hex(p, a->bus & 0xff, 2);
	*p++ = ':';
	p = put_hex(p, a->dev & 0x1f, 2);
	*p++ = '.';
	p = put_hex(p, a->func & 7, 1);
	*p = '\0';
}

const char *pci_id_format(unsigned vendor, unsigned device, char buf[PCI_ID_STRLEN])
{
	char *p = put_hex(buf, vendor & 0xffff, 4);

	*p++ = ':';
	p = put_hex(p, device & 0xffff, 4);
	*p = '\0';
	return buf;
}

int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
	const unsigned x[4] = {a->domain, a->bus, a->dev, a->func};
	const unsigned y[4] = {b->domain, b->bus, b->dev, b->func};

	for (int i = 0; i < 4; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

bool pci_sysfs_path(char *buf, size_t len, const char *root, const struct pci_addr *a,
		    const char *leaf)
{
	char name[PCI_ADDR_STRLEN];

	pci_addr_format(a, name);
	return str_concat(buf, len, root, "/bus/pci/devices/", name, leaf ? "/" : "",
			  leaf ? leaf : "", NULL);
}
