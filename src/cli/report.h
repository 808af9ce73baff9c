/* Report builders: each turns one aspect of a device into report nodes.
 * Commands compose them (`dump` uses them all), so a field is built in one
 * place and looks the same in every command. */
#ifndef VIRTIOCTL_CLI_REPORT_H
#define VIRTIOCTL_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/command.h"
#include "format/report.h"
#include "linux/view.h"
#include "cli/session.h"
#include "virtio/features.h"

struct rctx {
	struct session *s;
	struct sdev *d;
	struct rnode *root;
	struct rnode *scratch; /* holds the notes until they are placed last */
	struct rnode *notes;
	struct linux_view lv;
	bool have_lv;
	/* Device features are needed by several sections; read them once. */
	int devf_state; /* 0 not read yet, 1 read, -1 unavailable */
	uint64_t devf;	/* bits 0-63 of devfx */
	struct vfeatures devfx;
	char devf_why[768]; /* devf_state -1: why */
	/* Set by a section whose whole answer could not be read (config with
	 * no register access, ...): the command fails with VX_UNAVAILABLE and
	 * this reason, unless it shows several sections (dump). */
	char missing[2048];
	char regs_why[512]; /* rctx_regs_why's buffer */
};

/* The reason for everything Linux would say (drivers, what they
 * created) that a -F dump cannot. */
#define DUMP_NO_LINUX "a -F dump has config space only, not what Linux made of it"

/* Why the registers cannot be reached, and what would reach them
 * (--select through the PCI-config window, root, resource files). */
const char *rctx_regs_why(struct rctx *c);
/* Marks the section's whole answer as missing (see rctx.missing). */
void rctx_missing(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every word of them (virtio/features.h); false as rctx_device_features. */
bool rctx_device_feature_words(struct rctx *c, struct vfeatures *f);
/* What the kernel printed in sysfs (c->lv.has_features), as words. */
void rctx_sysfs_feature_words(struct rctx *c, struct vfeatures *f);
/* Why the device features could not be read; "" when they were. */
const char *rctx_device_features_why(struct rctx *c);

/* The device-offered features, read once per report; false when they
 * cannot be read (the reason becomes a note). */
bool rctx_device_features(struct rctx *c, uint64_t *f);

void rctx_init(struct rctx *c, struct session *s, struct sdev *d, struct rnode *root);
/* Places the notes at the end of the report and frees the scratch space. */
void rctx_finish(struct rctx *c);
/* Adds a one-line note saying why something is missing; duplicates are
 * dropped so a reason shared by several sections is said once. */
void rctx_note(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rctx_note(c, "%s%s", what, why) without the format: most notes are a
 * fixed prefix and a reason, several a device in a report. */
void rctx_note_cat(struct rctx *c, const char *what, const char *why);

/* A device status byte, shown with its bit names. */
struct rnode *r_status(struct rnode *o, const char *key, const char *label, uint8_t status);

typedef void (*section_fn)(struct rctx *c);

/* A read-only device view: the identity header, then each section. */
/* partial: the report is printed even when a section's whole answer is
 * missing (dump); otherwise the command fails with VX_UNAVAILABLE. */
int report_show(struct session *s, const struct cmd_args *a, struct rnode **out,
		const section_fn *sections, size_t n, bool partial, struct verr *e);
#define SHOW_(partial, ...)                                                                   \
	do {                                                                                  \
		static const section_fn sec[] = {__VA_ARGS__};                                \
		return report_show(s, a, out, sec, sizeof(sec) / sizeof(sec[0]), partial, e); \
	} while (0)
#define SHOW(...)	  SHOW_(false, __VA_ARGS__)
#define SHOW_PARTIAL(...) SHOW_(true, __VA_ARGS__)

/* `dump` of one device (addr NULL or "": the current one). */
int report_dump(struct session *s, const char *addr, struct rnode **out, struct verr *e);

/* The identity header every device command's report starts with:
 * address, virtio device ID and type, transport and interface, PCI IDs,
 * driver, register access, virtio bus device. */
void report_identity(struct rctx *c);
/* A new report root holding the identity header, for the commands that
 * drive a device (their own keys follow). */
struct rnode *report_device_root(struct session *s, struct sdev *d);
void report_caps(struct rctx *c);
void report_status(struct rctx *c);
void report_common(struct rctx *c);
void report_features(struct rctx *c);
void report_config(struct rctx *c);
void report_linux(struct rctx *c);
/* Parts of report_linux's object: resources the driver created, and the
 * kernel's features/status compared with the registers. */
void report_linux_resources(struct rctx *c, struct rnode *linux_obj);
/* One object (kind, name, detail) per resource into arr: the format of
 * both `dump`'s linux.resources and `list`'s resources. */
struct linux_resources;
void report_resource_rows(struct rnode *arr, const struct linux_resources *res);
void report_linux_match(struct rctx *c, struct rnode *linux_obj);
/* The legacy I/O header of a legacy or transitional device (nothing for a
 * modern-only one); part of `common`. report_legacy.c */
void report_legacy_header(struct rctx *c);
/* Where a register structure lives, as integers (as `caps` gives a
 * capability's): {bar, bar_offset, length} under key "location". */
void report_location(struct rnode *parent, unsigned bar, uint64_t offset, uint64_t length);
/* `irqs`: MSI-X, vectors, Linux IRQs, INTx and ISR. report_irqs.c */
void report_irqs(struct rctx *c);
/* Sections of the vendor extensions matching the device. report_vendor.c */
void report_vendor(struct rctx *c);

#endif
