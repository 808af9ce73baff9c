/* The one command table (commands.c). The one-shot parser, the shell,
 * scripts, dispatch()'s safety rules, help, the man page and completion all
 * follow it: nothing about a command is written anywhere else.
 *
 * A row, in commands.c:
 *
 *	{.name = "kick", .args = "<device> <queue>",
 *	 .summary = "notify the device about a queue", .help = "Writes ...",
 *	 .flags = CMD_DEVICE | CMD_WRITES, .run = cmd_kick},
 *
 * - args: the positional arguments, BlueZ style: <required>, [optional],
 *   and a last word ending in "..." repeats. Each word names an argument
 *   kind that completion knows (complete.c: device, queue, feature, file,
 *   ...); tests/unit/test_safety.c has a sample word for each kind a
 *   device command requires, and says so when a new kind lacks one.
 * - flags: CMD_DEVICE when the first argument is a device (the shell's open
 *   device may stand for it). CMD_WRITES when running it can write to that
 *   device: dispatch() alone then refuses, before the handler runs, a -F
 *   dump, a device bound to a kernel driver other than vfio-pci (unless
 *   --force) and a device that is not writable. The `safety` unit test runs
 *   every row on a bound device: one that writes without CMD_WRITES fails it.
 * - opts: the command's options, typed, ended by {0}. Handlers read
 *   a->opt[i] by an enum of theirs (commands_impl.h); write the rows with
 *   designated initializers, [POLL_COUNT] = OPT_UINT(...), so the enum and
 *   the table cannot disagree. Defaults and ranges live in the row only:
 *   OPT_FLAG(name, short, help), OPT_UINT(name, short, META, min, max,
 *   default, help), OPT_STRING / OPT_FILE(name, short, META, help),
 *   OPT_CHOICE(name, short, META, &list, help), and OPT_FLAG_WRITES(name,
 *   short, help) for a flag that makes the command write to its device
 *   (check --active): dispatch() then applies CMD_WRITES's rules to the
 *   line, and the `safety` test tries every flag. Values are checked while
 *   parsing: a bad one is a usage error (exit status 2) naming the option
 *   and what it takes; help, the man page and completion show the rest.
 * - run: the handler; it builds the report into *out (see cmd_fn).
 *
 * Sub-actions (`vring DEV setup Q`, `features DEV set F...`, `status DEV
 * ack`, `set output json`) are rows of .actions, ended by {0}. The action
 * word comes right after the command's own .args; each action has its own
 * args (after the word), summary, flags and handler:
 *
 *	static const struct cmd_action vring_actions[] = {
 *		{.name = "setup", .args = "<queue> [size]", .summary = "...",
 *		 .flags = CMD_WRITES, .run = cmd_vring_setup},
 *		{.name = "show", .args = "<queue>", .summary = "...", .run = cmd_vring_show},
 *		{0},
 *	};
 *
 * An action may stand for every word of a list (.words: `status DEV STEP`
 * for any status step; .name is then how usage names the word); a->choice
 * holds the word's value. An action whose last argument is a word of a
 * list says so with .value (`set output text|json|pretty`); a->choice then
 * holds that value. The command's own .run runs when no action word is
 * given (NULL: an action is required) with the command's flags; an action
 * runs with its own flags: `features DEV` reads, `features DEV set` writes.
 *
 * Literal choices (option values, action words) are struct choices lists,
 * each written once, where the layer that knows the values keeps them
 * (dma kinds in dma/, status steps in virtio/driver.c, interfaces in
 * virtio/vdev.c) or in the CLI for CLI settings. */
#ifndef VIRTIOCTL_CLI_COMMAND_H
#define VIRTIOCTL_CLI_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/report.h"
#include "util/err.h"

struct session;

enum cmd_flag {
	CMD_DEVICE = 1u << 0,  /* first argument is a device (may come from `open`) */
	CMD_WRITES = 1u << 1,  /* writes to the device: dispatch() applies the safety rules */
	CMD_SESSION = 1u << 2, /* acts on the shell's or script's session only */
	CMD_HIDDEN = 1u << 3,  /* for the completion scripts and tests: not documented */
	CMD_ONESHOT = 1u << 4, /* only as one command (`shell`): not offered inside */
};

/* A list of words, each standing for a value. Either a NULL-terminated
 * array (the value is the index) or a lower layer's own name table:
 * name_of(v) for v < count, NULL for a value that is no choice. */
struct choices {
	const char *const *names;
	const char *(*name_of)(unsigned v);
	unsigned count;
};

/* The word of value v, or NULL. */
const char *choice_name(const struct choices *c, unsigned v);
/* Values to try with choice_name: 0 to choice_end() - 1. */
unsigned choice_end(const struct choices *c);
bool choice_parse(const struct choices *c, const char *word, unsigned *v);
/* The words joined: (", ", " or ") gives "a, b or c"; ("|", "|") "a|b|c". */
const char *choice_join(const struct choices *c, const char *sep, const char *last_sep, char *buf,
			size_t len);

enum opt_type {
	OPT_FLAG,   /* given or not */
	OPT_UINT,   /* a number (decimal or 0x hex) from min to max */
	OPT_STRING, /* any word */
	OPT_FILE,   /* a file name: completion offers files */
	OPT_CHOICE, /* a word of .choices; the value is the word's */
};

/* No upper bound worth printing: max of a millisecond timeout. */
#define OPT_UNBOUNDED 2147483647u

struct cmd_opt {
	const char *name;
	char short_name; /* 0 for none */
	enum opt_type type;
	const char *arg; /* metavariable; NULL for a flag */
	const char *help;
	uint64_t min, max; /* OPT_UINT */
	bool has_default;  /* OPT_UINT, OPT_CHOICE: the value when not given */
	uint64_t def;
	const struct choices *choices; /* OPT_CHOICE */
	/* Given, the option makes the command write to its device (check
	 * --active): dispatch() applies the rules of CMD_WRITES. */
	bool writes;
	/* Given, the command visits every virtio-pci function and names none
	 * (dump --all, check --all): the shell's open device does not stand
	 * in for a device argument, and when the line writes, dispatch()
	 * leaves the rules of CMD_WRITES to each function the handler
	 * visits (dispatch_may_write) instead of applying them to one. */
	bool every;
};

#define OPT_FLAG(n, sh, h)                                               \
	{                                                                \
		.name = n, .short_name = sh, .type = OPT_FLAG, .help = h \
	}
/* A flag that makes the command write to its device. */
#define OPT_FLAG_WRITES(n, sh, h)                                                        \
	{                                                                                \
		.name = n, .short_name = sh, .type = OPT_FLAG, .help = h, .writes = true \
	}
/* A flag that makes the command visit every function (see .every). */
#define OPT_FLAG_EVERY(n, sh, h)                                                        \
	{                                                                               \
		.name = n, .short_name = sh, .type = OPT_FLAG, .help = h, .every = true \
	}
#define OPT_UINT(n, sh, meta, lo, hi, d, h)                                                       \
	{                                                                                         \
		.name = n, .short_name = sh, .type = OPT_UINT, .arg = meta, .help = h, .min = lo, \
		.max = hi, .has_default = true, .def = d                                          \
	}
/* A number without one default (the handler decides, and its help says). */
#define OPT_UINT_NODEF(n, sh, meta, lo, hi, h)                                                    \
	{                                                                                         \
		.name = n, .short_name = sh, .type = OPT_UINT, .arg = meta, .help = h, .min = lo, \
		.max = hi                                                                         \
	}
#define OPT_STRING(n, sh, meta, h)                                                      \
	{                                                                               \
		.name = n, .short_name = sh, .type = OPT_STRING, .arg = meta, .help = h \
	}
#define OPT_FILE(n, sh, meta, h)                                                      \
	{                                                                             \
		.name = n, .short_name = sh, .type = OPT_FILE, .arg = meta, .help = h \
	}
#define OPT_CHOICE(n, sh, meta, list, h)                                                 \
	{                                                                                \
		.name = n, .short_name = sh, .type = OPT_CHOICE, .arg = meta, .help = h, \
		.choices = list                                                          \
	}
#define OPT_CHOICE_DEF(n, sh, meta, list, d, h)                                          \
	{                                                                                \
		.name = n, .short_name = sh, .type = OPT_CHOICE, .arg = meta, .help = h, \
		.choices = list, .has_default = true, .def = d                           \
	}

#define CMD_MAX_OPTS 12

/* One option's value: for OPT_UINT and OPT_CHOICE in u (the default when
 * not given and the row has one), for strings in s. */
struct opt_value {
	bool given;
	uint64_t u;
	const char *s;
};

struct cmd_action;

/* Parsed arguments: positionals (the action word taken out), the action,
 * and each option's value indexed like the command's opts. */
struct cmd_args {
	int argc;
	char **argv;
	const struct cmd_action *action; /* NULL: no action word */
	unsigned choice;		 /* value of the action's word or argument list */
	struct opt_value opt[CMD_MAX_OPTS];
};

/* Builds the result into *out (root created by the handler). Returns 0, or
 * -1 with e set; a partial *out is still rendered. */
typedef int cmd_fn(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e);

struct cmd_action {
	const char *name;	     /* the word; with .words, how usage names it */
	const struct choices *words; /* any word of this list names this action */
	const char *args;	     /* after the word, as struct command's args */
	const struct choices *value; /* the last argument is a word of this list */
	const char *summary;	     /* one line */
	unsigned flags;		     /* CMD_WRITES */
	cmd_fn *run;
};

struct command {
	const char *name;
	const char *args;    /* before any action word; see the top of this file */
	const char *summary; /* one line, for `help` and the man page */
	const char *help;    /* paragraph for `COMMAND --help` */
	unsigned flags;
	const struct cmd_opt *opts;
	const struct cmd_action *actions;
	cmd_fn *run; /* without an action word; NULL when one is required */
};

const struct command *commands(size_t *count);
const struct command *command_find(const char *name);
size_t command_opt_count(const struct command *c);
size_t command_action_count(const struct command *c);

/* The action named by word (NULL: none); *choice gets a word list's value. */
const struct cmd_action *command_action(const struct command *c, const char *word,
					unsigned *choice);
/* Whether running c with action act (NULL: none) can write to the device. */
bool command_writes(const struct command *c, const struct cmd_action *act);
/* Whether this command line writes: its row or action has CMD_WRITES, or
 * an option given has .writes. */
bool command_line_writes(const struct command *c, const struct cmd_args *a);
/* Whether this command line visits every function: an option given has
 * .every (dump --all, check --all). */
bool command_line_every(const struct command *c, const struct cmd_args *a);
/* The one-line argument synopsis, derived from args and actions:
 * "<device> [set|negotiate] [feature...]". */
const char *command_synopsis(const struct command *c, char *buf, size_t len);
/* An action's usage after the command name: "<device> set <feature...>". */
const char *action_usage(const struct command *c, const struct cmd_action *act, char *buf,
			 size_t len);
/* Number of words in an args spec: required, and at most (-1 when the last
 * repeats). */
void spec_arity(const char *spec, int *min, int *max);
/* The kind of positional argument i of a spec ("device", "queue", ...),
 * or NULL past its end. */
const char *spec_arg_kind(const char *spec, int i, char *buf, size_t len);
/* An option's help with what the row says of its value appended: range,
 * default, choices. */
const char *opt_describe(const struct cmd_opt *o, char *buf, size_t len);

#endif
