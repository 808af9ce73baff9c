/* The interactive shell on GNU readline's callback interface: the loop
 * waits in pselect, so a signal at the prompt is seen at once and Ctrl-C
 * can clear the line instead of ending the program. */
#include "cli/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli/complete.h"
#include "cli/dispatch.h"
#include "linux/view.h"

#define HISTORY_MAX 1000

/* The one static pointer to the session. Signal handlers and readline's
 * callbacks (line handler, completion) take no user pointer, so they find
 * the session here. Set once by interrupt_trap; nothing else in virtioctl
 * keeps state outside the session. */
static struct session *the_session;

static void on_signal(int sig)
{
	struct session *s = the_session;

	if (!s)
		return;
	s->cancel = 1;
	/* Ctrl-C cancels the running command of the shell or a script; one
	 * command on its own ends, after cleanup, with 128 + SIGINT. */
	if (sig != SIGINT || s->mode == MODE_ONESHOT)
		s->signalled = sig;
}

/* A BAR mapping whose device went away can fault (SIGBUS) instead of
 * reading all-ones. As SPDK's virtio library does, the faulting page is
 * replaced by an anonymous one reading all-ones, so the access completes
 * with what a removed PCIe device returns, and the device is marked
 * removed, so every later access fails with "device removed". A fault
 * outside our BAR mappings is not ours: the default action then runs. */
static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	struct session *s = the_session;
	long page = sysconf(_SC_PAGESIZE);
	void *base;

	(void)uctx;
	for (unsigned i = 0; s && i < s->ndev; i++) {
		struct pdev *d = s->dev[i] ? s->dev[i]->pci : NULL;

		if (!d || !pdev_maps(d, si->si_addr))
			continue;
		base = (void *)((uintptr_t)si->si_addr & ~(uintptr_t)(page - 1));
		if (mmap(base, (size_t)page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		memset(base, 0xff, (size_t)page);
		d->removed = 1;
		return;
	}
	signal(sig, SIG_DFL);
}

void interrupt_trap(struct session *s)
{
	struct sigaction bus = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO};

	/* No SA_RESTART: a wait in select or read must see the signal. */
	struct sigaction sa = {.sa_handler = on_signal};
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	the_session = s;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&bus.sa_mask);
	sigaction(SIGBUS, &bus, NULL);
}

/* History: $XDG_STATE_HOME/virtioctl/history, else
 * ~/.local/state/virtioctl/history. */
static char *history_path(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char path[PATH_MAX];

	/* The XDG spec says relative values are to be ignored. */
	if (state && state[0] == '/')
		snprintf(path, sizeof(path), "%s/virtioctl/history", state);
	else if (home && *home)
		snprintf(path, sizeof(path), "%s/.local/state/virtioctl/history", home);
	else
		return NULL;
	return strdup(path);
}

/* mkdir -p of the file's directory. */
static int make_parents(const char *file)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", file);
	for (char *p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static void history_off(struct session *s, int err)
{
	print_error("warning: history not kept in %s: %s", s->history, strerror(err));
	free(s->history);
	s->history = NULL;
}

static void history_start(struct session *s)
{
	int fd;

	using_history();
	stifle_history(HISTORY_MAX);
	s->history = history_path();
	if (!s->history)
		return;
	if (make_parents(s->history)) {
		history_off(s, errno);
		return;
	}
	fd = open(s->history, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		history_off(s, errno);
		return;
	}
	close(fd);
	read_history(s->history);
}

static void remember(struct session *s, const char *line)
{
	HIST_ENTRY *last = history_get(history_base + history_length - 1);
	int err;

	if (last && strcmp(last->line, line) == 0)
		return;
	add_history(line);
	/* Saved line by line, so a killed shell keeps what was typed. */
	if (s->history && (err = append_history(1, s->history)) != 0)
		history_off(s, err);
}

static void history_end(struct session *s)
{
	int err;

	if (s->history && (err = history_truncate_file(s->history, HISTORY_MAX)) != 0)
		history_off(s, err);
	free(s->history);
	s->history = NULL;
}

/* The open device's status bits, "ACKNOWLEDGE|DRIVER": one register read,
 * or where the registers cannot be reached the status the kernel shows in
 * sysfs, marked so; false when neither can be read (a dump file). */
static bool current_status(struct session *s, char *buf, size_t len)
{
	struct verr e = {0};
	struct linux_view lv;
	struct sdev *d;
	uint8_t st;
	const char *from = "";

	if (session_device(s, NULL, &d, &e))
		return false;
	if (!vdev_regs_readable(&d->v) || d->v.ops->get_status(&d->v, &st, &e)) {
		if (s->dump_file || linux_view_read(session_sysfs_root(s), &d->pci->addr, &lv) ||
		    !lv.has_status)
			return false;
		st = (uint8_t)lv.status;
		from = " (sysfs)";
	}
	virtio_status_str(st, buf, (unsigned)len);
	for (char *p = buf; (p = strchr(p, ' ')); p++)
		*p = '|';
	snprintf(buf + strlen(buf), len - strlen(buf), "%s", from);
	return true;
}

static void on_line(char *line);

static void install_prompt(struct session *s)
{
	char prompt[160], status[96];

	session_restore(s);
	if (!s->current[0])
		snprintf(prompt, sizeof(prompt), "virtioctl> ");
	else if (current_status(s, status, sizeof(status)))
		snprintf(prompt, sizeof(prompt), "virtioctl %s [%s]> ", s->current, status);
	else
		snprintf(prompt, sizeof(prompt), "virtioctl %s> ", s->current);
	rl_callback_handler_install(prompt, on_line);
}

/* The terminal is back in its normal mode while a command runs, so Ctrl-C
 * reaches on_signal and cancels it. */
static void on_line(char *line)
{
	struct session *s = the_session;
	const char *p = line;

	rl_callback_handler_remove();
	if (!line) {
		/* Ctrl-D */
		s->quit = true;
		fputc('\n', stdout);
		return;
	}
	p += strspn(p, " \t");
	if (*p) {
		remember(s, line);
		dispatch_line(s, line, NULL);
	}
	free(line);
	s->cancel = 0;
	if (!s->quit && !s->signalled)
		install_prompt(s);
}

/* Ctrl-C at the prompt: drop the line and start a new one. */
static void clear_line(struct session *s)
{
	s->cancel = 0;
	rl_free_line_state();
	rl_callback_sigcleanup();
	rl_replace_line("", 0);
	fputs("^C", rl_outstream);
	rl_crlf();
	rl_on_new_line();
	rl_redisplay();
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

/* readline's match list: the text to put in, then every candidate. */
static char **to_matches(const struct cands *c, const char *text)
{
	char **m = calloc(c->n + 2, sizeof(*m));
	size_t lcd = strlen(c->v[0].word);

	if (!m)
		return NULL;
	for (size_t i = 1; i < c->n; i++) {
		size_t k = common_prefix(c->v[0].word, c->v[i].word);

		lcd = k < lcd ? k : lcd;
	}
	/* Candidates may differ from the text in case: never shorten it. */
	m[0] = c->n > 1 && lcd < strlen(text) ? strdup(text) : strndup(c->v[0].word, lcd);
	for (size_t i = 0; c->n > 1 && i < c->n; i++)
		m[i + 1] = strdup(c->v[i].word);
	/* A path that goes on ("capabilities.") wants no space after it. */
	rl_completion_suppress_append = c->n == 1 && lcd && c->v[0].word[lcd - 1] == '.';
	return m;
}

static char **attempt(const char *text, int start, int end)
{
	struct cands c = {0};
	char *head = strndup(rl_line_buffer, (size_t)start), **argv = NULL, **m = NULL;
	int argc;

	(void)end;
	rl_attempted_completion_over = 1;
	if (head && line_split(head, &argc, &argv, NULL) == 0) {
		complete_line(the_session, argc, argv, text, &c);
		if (c.files)
			rl_attempted_completion_over = 0; /* readline's file names */
		else if (c.n)
			m = to_matches(&c, text);
	}
	cands_free(&c);
	free(argv);
	free(head);
	return m;
}

static void shell_loop(struct session *s)
{
	sigset_t block, orig;
	int fd = fileno(rl_instream ? rl_instream : stdin);

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);
	while (!s->quit && !s->signalled) {
		fd_set in;

		/* Ctrl-C while readline worked (completing, say) is seen here. */
		if (s->cancel && !s->signalled)
			clear_line(s);
		FD_ZERO(&in);
		FD_SET(fd, &in);
		/* Signals are let in only while waiting or running a line. */
		if (pselect(fd + 1, &in, NULL, NULL, NULL, &orig) < 0) {
			if (errno != EINTR)
				break;
			continue;
		}
		sigprocmask(SIG_SETMASK, &orig, NULL);
		rl_callback_read_char();
		sigprocmask(SIG_BLOCK, &block, NULL);
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
}

int shell_run(struct session *s, struct verr *e)
{
	(void)e;
	s->mode = MODE_SHELL;
	the_session = s;
	rl_readline_name = "virtioctl";
	rl_catch_signals = 0;
	rl_attempted_completion_function = attempt;
	/* Addresses hold ':' and expressions '&', '<': only blanks split. */
	rl_completer_word_break_characters = " \t\n";
	history_start(s);
	install_prompt(s);
	shell_loop(s);
	rl_callback_handler_remove();
	history_end(s);
	return 0;
}
