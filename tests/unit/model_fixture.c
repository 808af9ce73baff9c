#include "model_fixture.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

static bool fail(const char *what, const struct verr *e)
{
	printf("FAIL %s: %s\n", what, e->msg);
	CHECK(0);
	return false;
}

bool fixture_open(struct fixture *f, unsigned type, enum model_transport t, enum vdev_iface iface)
{
	struct model_spec spec;

	model_spec_init(&spec, type, t);
	return fixture_open_spec(f, &spec, iface);
}

bool fixture_open_spec(struct fixture *f, const struct model_spec *s, enum vdev_iface iface)
{
	struct model_spec spec = *s;
	struct verr e = {0};

	memset(f, 0, sizeof(*f));
	spec.writable = true;
	f->pci = model_pdev_new(&spec, &e);
	if (!f->pci || vdev_open(f->pci, &f->v, &e))
		return fail("model", &e);
	if (iface != VDEV_IFACE_DEFAULT && vdev_use_interface(&f->v, iface, &e))
		return fail("interface", &e);
	vdev_allow_select(&f->v, true, NULL);
	model_use_builtin_handlers(f->pci);
	if (dma_open_backend(f->pci, &model_dma_backend, &f->dma, &e))
		return fail("dma_open", &e);
	return true;
}

void fixture_close(struct fixture *f)
{
	if (f->dma)
		dma_close(f->dma);
	pdev_close(f->pci);
}
