/* The simulator as a device source (`--simulate SPEC`): simulated
 * virtio-pci functions at 0000:00:01.0, 0000:00:02.0, ... in the order of
 * their specs, each a model device (model.h) with the built-in device
 * behaviours and its own bounded DMA memory.
 *
 * SPEC is TYPE[,key=value...]; the keys are in sim_keys(), the types in
 * sim_types(), the misbehaviour knobs (bug=NAME) in model_bugs(). Errors
 * name the spec and the key or value that is wrong, without naming a
 * command-line flag (that is the CLI's to add). */
#ifndef VIRTIOCTL_SIM_SOURCE_H
#define VIRTIOCTL_SIM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "dma/dma.h"
#include "pci/system.h"
#include "sim/model.h"
#include "util/err.h"

/* One device per slot of bus 0: 0000:00:01.0 to 0000:00:1f.0. */
#define SIM_MAX_DEVICES 31

struct sim_type {
	const char *name;  /* as virtio/ids.c names the type (a unit test checks) */
	const char *alias; /* another accepted name, or NULL */
	unsigned id;	   /* virtio device type */
	bool selftest;	   /* the driving self-test knows the type */
};

struct sim_key {
	const char *name;
	const char *value; /* what it takes, for help: "modern|transitional|legacy" */
	const char *help;
};

const struct sim_type *sim_types(size_t *n);
const struct sim_key *sim_keys(size_t *n);

/* True for the TYPE word that asks for the lists instead of a device. */
bool sim_spec_is_list(const char *spec);
/* One parsed spec. model.driver points at driver (or is NULL): use the
 * struct where it was filled, do not copy it. */
struct sim_spec {
	struct model_spec model;
	char driver[64];
};

/* Parses one spec for the device in slot `index` (0-based: address
 * 0000:00:{index+1}.0) and checks that the model can build it. VX_USAGE
 * naming the bad part. */
int sim_spec_parse(const char *spec, unsigned index, struct sim_spec *out, struct verr *e);

/* A source of the n devices the specs describe. */
struct psys *sim_source_open(const char *const *specs, size_t n, struct verr *e);
/* True for a device opened from a simulator source, as opened (a pdev
 * wrapped later, e.g. in the virtio config window, is no longer seen as
 * one: ask the source with sim_source_device()). */
bool sim_is_device(const struct pdev *d);
/* The simulated device at `a` when s is a simulator source, else NULL:
 * for sim_dma_open(). Owned by the source. */
struct pdev *sim_source_device(const struct psys *s, const struct pci_addr *a);
/* DMA memory for d, a pdev opened from the simulated device `sim`
 * (sim_source_device(); d itself, if not wrapped): the device's bounded
 * memory, through dma_open_backend_ctx(). VX_USAGE when sim is not a
 * simulated device. */
int sim_dma_open(struct pdev *d, struct pdev *sim, struct dma **out, struct verr *e);

#endif
