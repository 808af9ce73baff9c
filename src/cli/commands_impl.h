/* Handlers named by the command table, and the enums that index their
 * options (the table's option rows use them as designated initializers). */
#ifndef VIRTIOCTL_CLI_COMMANDS_IMPL_H
#define VIRTIOCTL_CLI_COMMANDS_IMPL_H

#include "cli/command.h"
#include "cli/session.h"

#define CMD_HANDLER(name) \
	int name(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)

/* Options of poll, post, vring, selftest, bench: a->opt[...] */
enum { POLL_TIMEOUT, POLL_COUNT, POLL_OUTPUT, POLL_IRQ, POLL_SPIN, POLL_BACKOFF, POLL_SLEEP_US };
enum { POST_INDIRECT };
enum { VRING_IRQ, VRING_RING };
enum {
	ST_BYTES,
	ST_TIMEOUT,
	ST_ENDPOINT,
	ST_PATH,
	ST_ARP,
	ST_RING,
	ST_SPIN,
	ST_BACKOFF,
	ST_SLEEP_US
};
enum { BENCH_DURATION, BENCH_RING, BENCH_SPIN, BENCH_BACKOFF, BENCH_SLEEP_US, BENCH_WORKLOAD };
/* The spin budget options of poll, selftest and bench (their first index). */
struct vring_spin;
void spin_from_args(const struct cmd_args *a, unsigned first, struct vring_spin *out);
enum { CHECK_ACTIVE, CHECK_ONLY, CHECK_STRICT, CHECK_LIST, CHECK_ALL };
/* Options of metrics, dump, diff, watch. */
enum { METRICS_TEXTFILE };
enum { DUMP_ALL };
enum { DIFF_IGNORE };
enum { WATCH_INTERVAL, WATCH_COUNT };

/* Why a command visiting every function (--all) leaves this one out, or
 * NULL: a host function bound to vfio-pci (opening it through VFIO resets
 * it, and a VM may own it). */
const char *every_skip_why(const struct session *s, const struct psys_entry *p);

CMD_HANDLER(cmd_list);
CMD_HANDLER(cmd_caps);
CMD_HANDLER(cmd_common);
CMD_HANDLER(cmd_features);
CMD_HANDLER(cmd_features_set);
CMD_HANDLER(cmd_features_negotiate);
CMD_HANDLER(cmd_config);
CMD_HANDLER(cmd_status);
CMD_HANDLER(cmd_status_step); /* a->choice: enum vstep */
CMD_HANDLER(cmd_dump);
CMD_HANDLER(cmd_irqs);
CMD_HANDLER(cmd_vendor);
CMD_HANDLER(cmd_metrics);
CMD_HANDLER(cmd_diff);
CMD_HANDLER(cmd_watch);
CMD_HANDLER(cmd_help);
CMD_HANDLER(cmd_vring_setup);
CMD_HANDLER(cmd_vring_show);
CMD_HANDLER(cmd_post);
CMD_HANDLER(cmd_kick);
CMD_HANDLER(cmd_poll);
CMD_HANDLER(cmd_selftest);
CMD_HANDLER(cmd_bench);
CMD_HANDLER(cmd_check);
CMD_HANDLER(cmd_version);
/* Shell, scripts, completion (cmd_session.c, expect.c, complete.c, help.c). */
CMD_HANDLER(cmd_shell);
CMD_HANDLER(cmd_open);
CMD_HANDLER(cmd_close);
CMD_HANDLER(cmd_set_output);  /* a->choice: index in output_formats */
CMD_HANDLER(cmd_set_errexit); /* a->choice: index in on_off */
CMD_HANDLER(cmd_expect);
CMD_HANDLER(cmd_quit);
CMD_HANDLER(cmd_commands);
CMD_HANDLER(cmd_complete);

/* Choice lists the table shares with handlers and options.c. */
extern const struct choices step_choices;    /* status steps: enum vstep */
extern const struct choices dma_choices;     /* --dma: enum dma_kind */
extern const struct choices iface_choices;   /* --transport: enum vdev_iface */
extern const struct choices output_formats;  /* set output: text, json, pretty */
extern const struct choices on_off;	     /* set errexit: on, off */
extern const struct choices ring_choices;    /* --ring: enum vring_layout */
extern const struct choices backoff_choices; /* --backoff: enum vring_backoff */

#endif
