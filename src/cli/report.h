/* Report builders: each turns one aspect of a device into report nodes.
 * Commands compose them (`dump` uses them all), so a field is built in one
 * place and looks the same in every command. */
#ifndef VIRTIOCTL_CLI_REPORT_H
#define VIRTIOCTL_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "format/report.h"
#include "pci/linux_view.h"
#include "session.h"

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
	uint64_t devf;
};

/* The device-offered features, read once per report; false when they
 * cannot be read (the reason becomes a note). */
bool rctx_device_features(struct rctx *c, uint64_t *f);

void rctx_init(struct rctx *c, struct session *s, struct sdev *d, struct rnode *root);
/* Places the notes at the end of the report and frees the scratch space. */
void rctx_finish(struct rctx *c);
/* Adds a one-line note saying why something is missing; duplicates are
 * dropped so a reason shared by several sections is said once. */
void rctx_note(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void report_identity(struct rctx *c);
void report_caps(struct rctx *c);
void report_status(struct rctx *c);
void report_common(struct rctx *c);
void report_features(struct rctx *c);
void report_config(struct rctx *c);
void report_linux(struct rctx *c);

#endif
