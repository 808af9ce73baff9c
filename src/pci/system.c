/* The device-source interface: one dispatch over each source's ops. */
#include "pci/system.h"

#include <stdlib.h>

struct psys *psys_new(const struct psys_ops *ops, void *priv, struct verr *e)
{
	struct psys *s = calloc(1, sizeof(*s));

	if (!s) {
		verr_set(e, VX_FAIL, "out of memory");
		return NULL;
	}
	s->ops = ops;
	s->priv = priv;
	return s;
}

void psys_close(struct psys *s)
{
	if (!s)
		return;
	if (s->ops->close)
		s->ops->close(s);
	free(s);
}

enum psys_kind psys_kind(const struct psys *s)
{
	return s->ops->kind;
}

const char *psys_name(const struct psys *s)
{
	return s->ops->name;
}

int psys_is_dump(const struct psys *s)
{
	return s->ops->kind == PSYS_DUMP;
}

const char *psys_sysfs_root(const struct psys *s)
{
	return s->ops->sysfs_root ? s->ops->sysfs_root(s) : NULL;
}

int psys_scan(struct psys *s, struct psys_entry **out, size_t *n, struct verr *e)
{
	*out = NULL;
	*n = 0;
	return s->ops->scan(s, out, n, e);
}

void psys_keep_scans(struct psys *s, bool on)
{
	if (s && s->ops->keep_scans)
		s->ops->keep_scans(s, on);
}

int psys_open_device(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e)
{
	*out = NULL;
	return s->ops->open_device(s, a, out, e);
}

int psys_open_config(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e)
{
	*out = NULL;
	if (s->ops->open_config)
		return s->ops->open_config(s, a, out, e);
	return s->ops->open_device(s, a, out, e);
}

int psys_open_caps(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e)
{
	*out = NULL;
	if (s->ops->open_caps)
		return s->ops->open_caps(s, a, out, e);
	return psys_open_config(s, a, out, e);
}
