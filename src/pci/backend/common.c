#include "pci/backend/backend.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

unsigned pci_header_num_bars(uint8_t header_type)
{
	static const unsigned nbars[] = {6, 2, 1};
	unsigned layout = header_type & 0x7f;

	return layout < 3 ? nbars[layout] : 0;
}

/* Memory BAR type field (bits 2:1). Type 1 is the pre-PCI-3.0 "below 1 MiB"
 * encoding, which behaves as a 32-bit BAR; type 3 is reserved. */
static const enum pci_bar_kind mem_kind[4] = {
	PCI_BAR_MEM32,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
	PCI_BAR_NONE,
};

static unsigned decode_one(const uint32_t raw[PCI_NUM_BARS], unsigned i, unsigned nbars,
			   struct pci_bar *b)
{
	uint32_t v = raw[i];

	if (v == 0)
		return 1;
	if (v & 1) {
		b->kind = PCI_BAR_IO;
		b->base = v & ~3u;
		return 1;
	}
	b->kind = mem_kind[(v >> 1) & 3];
	b->prefetchable = (v & 8) != 0;
	b->base = v & ~0xfu;
	if (b->kind != PCI_BAR_MEM64)
		return 1;
	/* A 64-bit BAR in the last slot has no upper half: the header is bogus. */
	if (i + 1 >= nbars) {
		*b = (struct pci_bar){0};
		return 1;
	}
	b->base |= (uint64_t)raw[i + 1] << 32;
	return 2;
}

void pci_bars_decode(const uint32_t raw[PCI_NUM_BARS], unsigned nbars,
		     struct pci_bar bar[PCI_NUM_BARS])
{
	unsigned i = 0;

	memset(bar, 0, sizeof(*bar) * PCI_NUM_BARS);
	if (nbars > PCI_NUM_BARS)
		nbars = PCI_NUM_BARS;
	while (i < nbars)
		i += decode_one(raw, i, nbars, &bar[i]);
}

uint64_t pci_mmio_load(volatile uint8_t *p, unsigned width)
{
	switch (width) {
	case 1:
		return *p;
	case 2:
		return le16toh(*(volatile uint16_t *)p);
	case 4:
		return le32toh(*(volatile uint32_t *)p);
	default:
		return le64toh(*(volatile uint64_t *)p);
	}
}

void pci_mmio_store(volatile uint8_t *p, unsigned width, uint64_t v)
{
	switch (width) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 2:
		*(volatile uint16_t *)p = htole16((uint16_t)v);
		break;
	case 4:
		*(volatile uint32_t *)p = htole32((uint32_t)v);
		break;
	default:
		*(volatile uint64_t *)p = htole64(v);
	}
}

uint32_t pci_le_value(const uint8_t *b, unsigned width)
{
	uint32_t v = 0;

	for (unsigned i = width; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

void pci_le_bytes(uint32_t v, unsigned width, uint8_t *b)
{
	for (unsigned i = 0; i < width; i++, v >>= 8)
		b[i] = (uint8_t)v;
}
