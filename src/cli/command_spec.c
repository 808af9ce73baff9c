/* Reading the BlueZ-style argument spec strings of the command table. */
#include "cli/command.h"

#include <string.h>

static const char *next_word(const char *p, const char **start, size_t *len)
{
	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	*start = p;
	while (*p && *p != ' ')
		p++;
	*len = (size_t)(p - *start);
	return p;
}

/* "[word...]", "<buffer...>", "word...": the argument repeats. */
static bool repeats(const char *w, size_t len)
{
	while (len && strchr(">]", w[len - 1]))
		len--;
	return len >= 3 && strncmp(w + len - 3, "...", 3) == 0;
}

void command_arity(const struct command *c, int *min, int *max)
{
	const char *p = c->args ? c->args : "", *w;
	size_t len;

	*min = *max = 0;
	while ((p = next_word(p, &w, &len))) {
		if (repeats(w, len)) {
			*max = -1;
			if (w[0] == '<')
				(*min)++;
			continue;
		}
		if (w[0] == '<')
			(*min)++;
		if (*max >= 0)
			(*max)++;
	}
}

/* "<device>" -> "device", "[feature...]" -> "feature". */
static const char *word_kind(const char *w, size_t wl, char *buf, size_t len)
{
	while (wl && strchr("<[", *w)) {
		w++;
		wl--;
	}
	while (wl && strchr(">].", w[wl - 1]))
		wl--;
	if (wl >= len)
		wl = len - 1;
	memcpy(buf, w, wl);
	buf[wl] = '\0';
	return buf;
}

const char *command_arg_kind(const struct command *c, int i, char *buf, size_t len)
{
	const char *p = c->args ? c->args : "", *w = NULL;
	size_t wl = 0;
	bool more = false;

	for (int n = 0; n <= i; n++) {
		const char *nw;
		size_t nl;

		p = next_word(p, &nw, &nl);
		if (!p) {
			if (!more)
				return NULL;
			break;
		}
		w = nw;
		wl = nl;
		more = repeats(w, wl);
	}
	return len ? word_kind(w, wl, buf, len) : NULL;
}
