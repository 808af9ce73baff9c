#include "linux/irqs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"

#define MAX_FILE (4u << 20)

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Copies the next whitespace-delimited token; returns what follows it. */
static const char *token(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	p = skip_space(p);
	while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
		if (n + 1 < len)
			buf[n++] = *p;
		p++;
	}
	buf[n] = '\0';
	return p;
}

static unsigned count_cpus(const char *header)
{
	unsigned n = 0;
	char tok[32];

	for (const char *p = header; *(p = skip_space(p)) && *p != '\n';) {
		p = token(p, tok, sizeof(tok));
		n += strncmp(tok, "CPU", 3) == 0;
	}
	return n;
}

/* "123-edge", "123", "-edge" (no hwirq shown) or "edge". */
static void parse_hwirq(const char *tok, struct irq_line *l)
{
	char *end;
	unsigned long long v = strtoull(tok, &end, 10);

	l->has_hwirq = end != tok && isdigit((unsigned char)tok[0]);
	l->hwirq = l->has_hwirq ? v : 0;
	if (!l->has_hwirq)
		end = (char *)tok;
	if (*end == '-')
		end++;
	str_copy(l->handler, sizeof(l->handler), end);
}

/* CONFIG_GENERIC_IRQ_SHOW_LEVEL kernels print "123 Level   -fasteoi". */
static const char *level_column(const char *p, struct irq_line *l)
{
	char tok[16];
	const char *q = token(p, tok, sizeof(tok));

	if (strcmp(tok, "Edge") != 0 && strcmp(tok, "Level") != 0)
		return p;
	p = skip_space(q);
	return *p == '-' ? token(p + 1, l->handler, sizeof(l->handler)) : p;
}

static void copy_rest(const char *p, char *buf, size_t len)
{
	struct sbuf b;
	size_t n;

	p = skip_space(p);
	n = strcspn(p, "\n");
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	sb_init(&b, buf, len);
	sb_putn(&b, p, n);
}

/* One "NN: counts chip hwirq-handler actions" line; false for the others. */
static bool parse_line(const char *p, unsigned ncpu, struct irq_line *l)
{
	char tok[64], *end;
	unsigned long irq = strtoul(skip_space(p), &end, 10);

	if (end == skip_space(p) || *end != ':')
		return false;
	memset(l, 0, sizeof(*l));
	l->irq = (unsigned)irq;
	l->count = calloc(ncpu ? ncpu : 1, sizeof(*l->count));
	if (!l->count)
		return false;
	p = end + 1;
	for (; l->ncpu < ncpu; l->ncpu++) {
		unsigned long long c;

		p = skip_space(p);
		c = strtoull(p, &end, 10);
		if (end == p)
			break;
		l->count[l->ncpu] = c;
		l->total += c;
		p = end;
	}
	p = token(p, l->chip, sizeof(l->chip));
	p = token(p, tok, sizeof(tok));
	parse_hwirq(tok, l);
	if (!l->handler[0])
		p = level_column(p, l);
	copy_rest(p, l->actions, sizeof(l->actions));
	return true;
}

int irq_table_parse(const char *text, struct irq_table *out)
{
	const char *p = text, *nl = strchr(text, '\n');
	unsigned cap = 0;

	memset(out, 0, sizeof(*out));
	out->ncpu = count_cpus(text);
	if (!out->ncpu)
		return -1;
	for (p = nl ? nl + 1 : ""; *p; p = (nl = strchr(p, '\n')) ? nl + 1 : p + strlen(p)) {
		struct irq_line l;

		if (!parse_line(p, out->ncpu, &l))
			continue;
		if (out->n == cap) {
			struct irq_line *v = realloc(out->v, (cap ? 2 * cap : 64) * sizeof(*v));

			if (!v) {
				free(l.count);
				irq_table_free(out);
				return -1;
			}
			out->v = v;
			cap = cap ? 2 * cap : 64;
		}
		out->v[out->n++] = l;
	}
	return 0;
}

int irq_table_read(const char *path, struct irq_table *out)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f)
		return -1;
	buf = malloc(MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, MAX_FILE, f);
	fclose(f);
	buf[n] = '\0';
	rc = irq_table_parse(buf, out);
	free(buf);
	return rc;
}

void irq_table_free(struct irq_table *t)
{
	for (unsigned i = 0; i < t->n; i++)
		free(t->v[i].count);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const struct irq_line *irq_table_find(const struct irq_table *t, unsigned irq)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->v[i].irq == irq)
			return &t->v[i];
	return NULL;
}

/* "PCI-MSIX-0000:00:04.0": the per-device domain names the function. */
static bool per_device_chip(const char *chip, const struct pci_addr *a)
{
	static const char *const prefixes[] = {"PCI-MSIX-", "PCI-MSI-"};
	char want[PCI_ADDR_STRLEN];

	if (strncmp(chip, "IR-", 3) == 0)
		chip += 3;
	pci_addr_format(a, want);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(chip, prefixes[i], n) == 0)
			return strcmp(chip + n, want) == 0;
	}
	return false;
}

static bool global_msi_chip(const char *chip)
{
	return strcmp(chip, "PCI-MSI") == 0 || strcmp(chip, "IR-PCI-MSI") == 0;
}

int irq_msi_index(const struct irq_line *l, const struct pci_addr *a)
{
	uint64_t devid = (uint64_t)a->bus << 8 | a->dev << 3 | a->func;

	if (!l->has_hwirq)
		return -1;
	if (per_device_chip(l->chip, a))
		return l->hwirq < 2048 ? (int)l->hwirq : -1;
	if (!global_msi_chip(l->chip))
		return -1;
	if ((l->hwirq >> 11 & 0xffff) != devid || (l->hwirq >> 27) != (a->domain & 0xffffffffu))
		return -1;
	return (int)(l->hwirq & 0x7ff);
}

bool irq_map_msix(const struct linux_view *lv, const struct irq_table *t, const struct pci_addr *a,
		  unsigned *vec_irq, unsigned nvec)
{
	unsigned n = lv->n_msi_irqs < LINUX_VIEW_MAX_IRQS ? lv->n_msi_irqs : LINUX_VIEW_MAX_IRQS;
	bool exact = true;

	for (unsigned i = 0; i < nvec; i++)
		vec_irq[i] = 0;
	if (!lv->has_msi_irqs || !lv->msix || !n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		const struct irq_line *l = t ? irq_table_find(t, lv->msi_irqs[i]) : NULL;
		int idx = l ? irq_msi_index(l, a) : -1;

		exact &= idx >= 0;
		if (idx < 0)
			idx = (int)i;
		if ((unsigned)idx < nvec)
			vec_irq[idx] = lv->msi_irqs[i];
	}
	return exact;
}

const char *irq_virtio_name(const char *actions, const char *virtio_dev, char *buf, size_t len)
{
	size_t dl = strlen(virtio_dev);

	if (!*virtio_dev || strncmp(actions, virtio_dev, dl) != 0 || actions[dl] != '-' ||
	    !actions[dl + 1] || strchr(actions, ','))
		return NULL;
	str_copy(buf, len, actions + dl + 1);
	return buf;
}
