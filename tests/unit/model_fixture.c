#include "model_fixture.h"

#include <string.h>

#include "check.h"

void fixture_spec(struct model_spec *s, unsigned type, enum model_transport t)
{
	model_spec_init(s, type, t);
	s->writable = true;
}

struct pdev *fixture_pdev(const struct model_spec *s)
{
	struct verr e = {0};
	struct pdev *d = model_pdev_new(s, &e);

	if (!d)
		check_fail("setup: model_pdev_new (type %u): %s", s->device_id, e.msg);
	return d;
}

bool fixture_vdev(struct pdev *pci, struct vdev *v, enum vdev_iface iface, bool select)
{
	struct verr e = {0};

	if (vdev_open(pci, v, &e)) {
		check_fail("setup: vdev_open: %s", e.msg);
		return false;
	}
	if (iface != VDEV_IFACE_DEFAULT && vdev_use_interface(v, iface, &e)) {
		check_fail("setup: vdev_use_interface: %s", e.msg);
		return false;
	}
	vdev_allow_select(v, select, select ? NULL : "not allowed (test)");
	return true;
}

bool fixture_open_flags(struct fixture *f, const struct model_spec *s, enum vdev_iface iface,
			unsigned flags)
{
	struct model_spec spec = *s;
	struct verr e = {0};

	memset(f, 0, sizeof(*f));
	spec.writable = true;
	f->pci = fixture_pdev(&spec);
	if (!f->pci)
		return false;
	if (!fixture_vdev(f->pci, &f->v, iface, !(flags & FX_NO_SELECT)))
		goto fail;
	if (!(flags & FX_NO_HANDLERS))
		model_use_builtin_handlers(f->pci);
	if (!(flags & FX_NO_DMA) && dma_open_backend(f->pci, &model_dma_backend, &f->dma, &e)) {
		check_fail("setup: dma_open_backend: %s", e.msg);
		goto fail;
	}
	return true;
fail:
	fixture_close(f);
	return false;
}

bool fixture_open_spec(struct fixture *f, const struct model_spec *s, enum vdev_iface iface)
{
	return fixture_open_flags(f, s, iface, 0);
}

bool fixture_open(struct fixture *f, unsigned type, enum model_transport t, enum vdev_iface iface)
{
	struct model_spec s;

	fixture_spec(&s, type, t);
	return fixture_open_spec(f, &s, iface);
}

void fixture_close(struct fixture *f)
{
	if (f->dma)
		dma_close(f->dma);
	f->dma = NULL;
	if (f->pci)
		pdev_close(f->pci);
	f->pci = NULL;
}
