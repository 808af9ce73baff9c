/* The --simulate device source: parses specs, builds one model per spec
 * and hands out handles on it, so a device keeps its state for as long as
 * the source lives (a shell session), like hardware. */
#include "sim/source.h"

#include "sim/model_types.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUEUE_SIZE 32768u

/* Every type the model has defaults for (model.c type_table). */
static const struct sim_type types[] = {
	{"net", NULL, MODEL_ID_NET, true},	    {"block", "blk", MODEL_ID_BLOCK, true},
	{"console", NULL, MODEL_ID_CONSOLE, true},  {"entropy", "rng", MODEL_ID_RNG, true},
	{"balloon", NULL, MODEL_ID_BALLOON, false}, {"scsi", NULL, MODEL_ID_SCSI, false},
	{"9p", NULL, MODEL_ID_9P, false},	    {"mem", NULL, MODEL_ID_MEM, true},
};

static const struct sim_key keys[] = {
	{"transport", "modern|transitional|legacy",
	 "PCI interface: modern (device ID 0x1040+type), transitional (legacy I/O BAR and "
	 "virtio capabilities) or legacy (I/O BAR only); default modern"},
	{"queues", "N", "number of virtqueues, 1 to 64 (default: the type's, as QEMU)"},
	{"queue_size", "N",
	 "maximum size of every queue, a power of two up to 32768 (default: the type's)"},
	{"driver", "NAME",
	 "simulate a device bound to kernel driver NAME: its BARs are unreachable and "
	 "writes are refused as on a bound device"},
	{"packed", "on|off",
	 "offer VIRTIO_F_RING_PACKED (bit 34), as QEMU's packed=on; default off"},
	{"bug", "NAME[+NAME...]", "a misbehaviour knob (repeatable); see the bug list"},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct sim_type *sim_types(size_t *n)
{
	*n = ARRAY_SIZE(types);
	return types;
}

const struct sim_key *sim_keys(size_t *n)
{
	*n = ARRAY_SIZE(keys);
	return keys;
}

bool sim_spec_is_list(const char *spec)
{
	return spec && strcmp(spec, "list") == 0;
}

/* ---- Spec parsing ---- */

/* A part of the spec being parsed: [p, p+len). */
struct word {
	const char *p;
	size_t len;
};

static bool word_is(struct word w, const char *s)
{
	return strlen(s) == w.len && strncmp(w.p, s, w.len) == 0;
}

static const struct sim_type *find_type(struct word w)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (word_is(w, types[i].name) || (types[i].alias && word_is(w, types[i].alias)))
			return &types[i];
	return NULL;
}

static int bad(struct verr *e, const char *spec, struct word w, const char *why)
{
	char part[96];

	if (!w.len)
		return verr_set(e, VX_USAGE, "'%.120s': %s", spec, why);
	snprintf(part, sizeof(part), "%.*s", (int)(w.len < 80 ? w.len : 80), w.p);
	for (char *c = part; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
	return verr_set(e, VX_USAGE, "'%.120s': %s: %s", spec, part, why);
}

static bool parse_num(struct word v, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char buf[24], *end;

	if (!v.len || v.len >= sizeof(buf) || !isdigit((unsigned char)v.p[0]))
		return false;
	memcpy(buf, v.p, v.len);
	buf[v.len] = '\0';
	errno = 0;
	*out = strtoul(buf, &end, 10);
	return !errno && !*end && *out >= lo && *out <= hi;
}

static int set_transport(struct model_spec *s, const char *spec, struct word kv, struct word v,
			 struct verr *e)
{
	static const struct {
		const char *name;
		enum model_transport t;
	} ts[] = {{"modern", MODEL_MODERN},
		  {"transitional", MODEL_TRANSITIONAL},
		  {"legacy", MODEL_LEGACY}};

	for (size_t i = 0; i < ARRAY_SIZE(ts); i++)
		if (word_is(v, ts[i].name)) {
			s->transport = ts[i].t;
			return 0;
		}
	return bad(e, spec, kv, "not a transport (modern, transitional or legacy)");
}

static int set_bugs(struct model_spec *s, const char *spec, struct word v, struct verr *e)
{
	const char *p = v.p, *end = v.p + v.len;

	while (p <= end) {
		const char *plus = memchr(p, '+', (size_t)(end - p));
		struct word b = {p, (size_t)((plus ? plus : end) - p)};
		const struct model_bug_info *info = model_bug_find(b.p, b.len);

		if (!info)
			return bad(e, spec, b, "not a bug knob (the simulator's list names them)");
		s->bugs |= info->bit;
		if (!plus)
			break;
		p = plus + 1;
	}
	return 0;
}

static int set_driver(char *buf, size_t len, const char *spec, struct word kv, struct word v,
		      struct verr *e)
{
	if (!v.len || v.len >= len)
		return bad(e, spec, kv, "not a driver name (1 to 63 characters)");
	for (size_t i = 0; i < v.len; i++)
		if (!isgraph((unsigned char)v.p[i]) || v.p[i] == '/')
			return bad(e, spec, kv, "not a driver name (printable, no '/')");
	memcpy(buf, v.p, v.len);
	buf[v.len] = '\0';
	return 0;
}

/* What the keys asked for, applied after the type's defaults. */
struct wish {
	enum model_transport transport;
	unsigned long queues, queue_size; /* 0: the type's */
	unsigned bugs;
	bool packed;	 /* offer RING_PACKED */
	char driver[64]; /* "" for none */
};

static int apply_key(struct wish *w, const char *spec, struct word k, struct word v, struct verr *e)
{
	struct word kv = {k.p, (size_t)(v.p + v.len - k.p)}; /* for messages */
	struct model_spec tmp = {0};

	if (word_is(k, "transport")) {
		tmp.transport = w->transport;
		if (set_transport(&tmp, spec, kv, v, e))
			return -1;
		w->transport = tmp.transport;
	} else if (word_is(k, "queues")) {
		if (!parse_num(v, 1, MODEL_MAX_QUEUES, &w->queues))
			return bad(e, spec, kv, "not a queue count from 1 to 64");
	} else if (word_is(k, "queue_size")) {
		if (!parse_num(v, 1, MAX_QUEUE_SIZE, &w->queue_size) ||
		    (w->queue_size & (w->queue_size - 1)))
			return bad(e, spec, kv,
				   "not a queue size (a power of two from 1 to 32768)");
	} else if (word_is(k, "driver")) {
		return set_driver(w->driver, sizeof(w->driver), spec, kv, v, e);
	} else if (word_is(k, "packed")) {
		if (!word_is(v, "on") && !word_is(v, "off"))
			return bad(e, spec, kv, "not on or off");
		w->packed = word_is(v, "on");
	} else if (word_is(k, "bug")) {
		tmp.bugs = w->bugs;
		if (set_bugs(&tmp, spec, v, e))
			return -1;
		w->bugs = tmp.bugs;
	} else {
		return bad(e, spec, k,
			   "not a key (transport, queues, queue_size, driver, packed, bug)");
	}
	return 0;
}

/* key=value[,key=value...] after the type. */
static int parse_keys(struct wish *w, const char *spec, const char *p, struct verr *e)
{
	for (;;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		struct word k = {p, (size_t)((eq ? eq : end) - p)};

		if (!k.len)
			return bad(e, spec, (struct word){p, (size_t)(end - p)},
				   "a key=value is empty or has no key");
		if (!eq)
			return bad(e, spec, k, "not key=value");
		if (apply_key(w, spec, k, (struct word){eq + 1, (size_t)(end - eq - 1)}, e))
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void apply_wish(struct sim_spec *out, const struct wish *w, unsigned index)
{
	struct model_spec *s = &out->model;

	static const char owned[] = "the simulated driver owns the BARs (as on a device bound "
				    "to a kernel driver)";

	if (w->queues) {
		s->num_queues = (unsigned)w->queues;
		s->msix_vectors = s->num_queues + 1;
	}
	for (unsigned i = 0; w->queue_size && i < MODEL_MAX_QUEUES; i++)
		s->queue_max[i] = (uint16_t)w->queue_size;
	s->bugs = w->bugs;
	if (w->packed)
		s->features |= MODEL_BIT(MODEL_F_RING_PACKED);
	s->addr = (struct pci_addr){0, 0, (uint8_t)(index + 1), 0};
	s->no_log = true;
	memcpy(out->driver, w->driver, sizeof(out->driver));
	s->driver = out->driver[0] ? out->driver : NULL;
	/* vfio-pci hands the BARs to its user; any other driver keeps them. */
	if (s->driver && strcmp(s->driver, "vfio-pci") != 0)
		s->bar_why = owned;
}

/* The model's own consistency checks (a knob the transport lacks), by
 * building the device once; mapping nothing, it costs little. */
static int check_buildable(const char *spec, const struct model_spec *ms, struct verr *e)
{
	struct verr local = {0};
	struct pdev *d = model_pdev_new(ms, &local);

	if (d) {
		pdev_close(d);
		return 0;
	}
	return verr_set(e, local.code, "'%.120s': %s", spec,
			strncmp(local.msg, "model: ", 7) == 0 ? local.msg + 7 : local.msg);
}

int sim_spec_parse(const char *spec, unsigned index, struct sim_spec *out, struct verr *e)
{
	const char *comma = strchr(spec, ',');
	struct word t = {spec, comma ? (size_t)(comma - spec) : strlen(spec)};
	const struct sim_type *type = find_type(t);
	struct wish w = {.transport = MODEL_MODERN};

	if (index >= SIM_MAX_DEVICES)
		return verr_set(e, VX_USAGE, "at most %u simulated devices (one per slot of bus 0)",
				SIM_MAX_DEVICES);
	if (!type)
		return bad(e, spec, t,
			   "not a simulated device type (net, block, console, entropy, "
			   "balloon, scsi, 9p, mem)");
	if (comma && parse_keys(&w, spec, comma + 1, e))
		return -1;
	model_spec_init(&out->model, type->id, w.transport);
	apply_wish(out, &w, index);
	return check_buildable(spec, &out->model, e);
}

/* ---- The source ---- */

struct sim_source {
	size_t n;
	struct pdev *dev[SIM_MAX_DEVICES];
};

static struct sim_source *src(const struct psys *s)
{
	return s->priv;
}

static struct pdev *find_dev(const struct psys *s, const struct pci_addr *a)
{
	for (size_t i = 0; i < src(s)->n; i++)
		if (pci_addr_cmp(&src(s)->dev[i]->addr, a) == 0)
			return src(s)->dev[i];
	return NULL;
}

static int sim_scan(struct psys *s, struct psys_entry **out, size_t *n, struct verr *e)
{
	struct sim_source *ss = src(s);
	struct psys_entry *v = calloc(ss->n ? ss->n : 1, sizeof(*v));

	if (!v)
		return verr_set(e, VX_FAIL, "out of memory");
	for (size_t i = 0; i < ss->n; i++) {
		const struct pdev *d = ss->dev[i];

		v[i] = (struct psys_entry){
			d->addr,	  d->vendor,	 d->device, d->subsys_vendor,
			d->subsys_device, d->class_code, ""};
		snprintf(v[i].driver, sizeof(v[i].driver), "%s", d->driver);
	}
	*out = v;
	*n = ss->n;
	return 0;
}

static int sim_open(struct psys *s, const struct pci_addr *a, struct pdev **out, struct verr *e)
{
	struct pdev *d = find_dev(s, a);
	char name[PCI_ADDR_STRLEN];

	if (!d) {
		pci_addr_format(a, name);
		return verr_set(e, VX_NODEV,
				"no simulated device at %s (the %zu simulated are at "
				"0000:00:01.0 to 0000:00:%02zx.0)",
				name, src(s)->n, src(s)->n);
	}
	*out = model_pdev_ref(d, e);
	return *out ? 0 : -1;
}

static void sim_close(struct psys *s)
{
	struct sim_source *ss = src(s);

	for (size_t i = 0; i < ss->n; i++)
		pdev_close(ss->dev[i]);
	free(ss);
}

static const struct psys_ops sim_ops = {
	.name = "simulator",
	.kind = PSYS_PROVIDED,
	.scan = sim_scan,
	.open_device = sim_open,
	.close = sim_close,
};

static struct pdev *build(const char *spec, unsigned i, struct verr *e)
{
	struct sim_spec ss;
	struct pdev *d;

	if (sim_spec_parse(spec, i, &ss, e))
		return NULL;
	d = model_pdev_new(&ss.model, e);
	if (!d)
		return NULL;
	model_use_builtin_handlers(d);
	model_blk_set_id(d, "virtioctl-sim");
	return d;
}

struct psys *sim_source_open(const char *const *specs, size_t n, struct verr *e)
{
	struct sim_source *ss = calloc(1, sizeof(*ss));
	struct psys *s;

	if (!ss) {
		verr_set(e, VX_FAIL, "out of memory");
		return NULL;
	}
	if (n > SIM_MAX_DEVICES) {
		verr_set(e, VX_USAGE, "at most %u simulated devices (one per slot of bus 0)",
			 SIM_MAX_DEVICES);
		goto fail;
	}
	for (; ss->n < n; ss->n++) {
		ss->dev[ss->n] = build(specs[ss->n], (unsigned)ss->n, e);
		if (!ss->dev[ss->n])
			goto fail;
	}
	s = psys_new(&sim_ops, ss, e);
	if (s)
		return s;
fail:
	for (size_t i = 0; i < ss->n; i++)
		pdev_close(ss->dev[i]);
	free(ss);
	return NULL;
}

bool sim_is_device(const struct pdev *d)
{
	return model_is(d);
}

struct pdev *sim_source_device(const struct psys *s, const struct pci_addr *a)
{
	return s && s->ops == &sim_ops ? find_dev(s, a) : NULL;
}

int sim_dma_open(struct pdev *d, struct pdev *sim, struct dma **out, struct verr *e)
{
	*out = NULL;
	if (!sim || !sim_is_device(sim))
		return verr_set(e, VX_USAGE, "not a simulated device");
	return dma_open_backend_ctx(d, &model_dma_backend, sim, out, e);
}
