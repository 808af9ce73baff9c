#include "format/report.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"

/* Out of memory is not fatal here: the node is not added, every function
 * below takes a NULL node as a no-op, and the root is marked RF_OOM so
 * that the command fails (r_complete) after its normal cleanup, which may
 * have a device to reset. */
static struct rnode *root_of(struct rnode *n)
{
	while (n && n->parent)
		n = n->parent;
	return n;
}

static void mark_oom(struct rnode *p)
{
	struct rnode *r = root_of(p);

	if (r)
		r->flags |= RF_OOM;
}

/* A report's nodes and strings come from one arena that r_free() drops
 * whole: a report of a thousand queues is tens of thousands of nodes, and
 * a few mallocs for each (node, key, label, format) were most of the cost
 * of building and freeing it. Chunks double from RARENA_FIRST up to
 * RARENA_MAX; a bigger piece gets a chunk of its own. */
#define RARENA_FIRST 2048
#define RARENA_MAX   (64 * 1024)

struct rchunk {
	struct rchunk *next;
	size_t used, size;
	max_align_t data[];
};

struct rarena {
	struct rchunk *head;
	size_t next_size;
};

static void *arena_alloc(struct rarena *a, size_t n)
{
	struct rchunk *c = a->head;
	size_t size;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (c && c->size - c->used >= n) {
		c->used += n;
		return (char *)c->data + c->used - n;
	}
	size = n > a->next_size ? n : a->next_size;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = n;
	c->next = a->head;
	a->head = c;
	if (a->next_size < RARENA_MAX)
		a->next_size *= 2;
	return c->data;
}

static char *arena_strdup(struct rarena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(a, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

static void arena_free(struct rarena *a)
{
	struct rchunk *c = a->head;

	while (c) {
		struct rchunk *next = c->next;

		free(c);
		c = next;
	}
	free(a);
}

static bool dup_into(struct rnode *n, char **dst, const char *s)
{
	if (!s)
		return true;
	*dst = arena_strdup(n->arena, s);
	if (*dst)
		return true;
	mark_oom(n);
	return false;
}

static struct rarena *new_arena(void)
{
	struct rarena *a = calloc(1, sizeof(*a));

	if (a)
		a->next_size = RARENA_FIRST;
	return a;
}

/* Copies s to *at and moves *at past it. */
static char *put_str(char **at, const char *s, size_t n)
{
	char *p = memcpy(*at, s, n);

	*at += n;
	return p;
}

/* A new node under p; p NULL makes a root (and its arena). NULL when out
 * of memory. The node, its key and its label are one piece of the arena,
 * and a label that is the key's own string shares the key's copy: nodes
 * are most of what a report allocates, and this function (three pieces of
 * the arena a node) took a tenth of a fuzz run. */
static struct rnode *make(struct rnode *p, enum rkind kind, const char *key, const char *label)
{
	struct rarena *a = p ? p->arena : new_arena();
	size_t nk = key ? strlen(key) + 1 : 0, nl = label && label != key ? strlen(label) + 1 : 0;
	struct rnode *n = a ? arena_alloc(a, sizeof(*n) + nk + nl) : NULL;
	char *at;

	if (!n) {
		if (!p && a)
			arena_free(a);
		mark_oom(p);
		return NULL;
	}
	at = (char *)(n + 1);
	/* Field by field, every field: a fuzz build turns a zeroing of the
	 * whole node into a checked memset call. */
	n->kind = kind;
	n->flags = 0;
	n->key = key ? put_str(&at, key, nk) : NULL;
	n->label = !label ? NULL : label == key ? n->key : put_str(&at, label, nl);
	n->fmt = n->annot = n->why = NULL;
	n->v.u = 0;
	n->parent = p;
	n->child = n->last = n->next = NULL;
	n->arena = a;
	if (p) {
		if (p->last)
			p->last->next = n;
		else
			p->child = n;
		p->last = n;
	}
	return n;
}

/* A child of p; a no-op (NULL) when p is NULL, as after an earlier
 * allocation failure. */
static struct rnode *add(struct rnode *p, enum rkind kind, const char *key, const char *label)
{
	return p ? make(p, kind, key, label) : NULL;
}

struct rnode *r_new_root(void)
{
	return make(NULL, R_OBJ, NULL, NULL);
}

bool r_complete(const struct rnode *root)
{
	return root && !(root->flags & RF_OOM);
}

struct rnode *r_new_root_array(unsigned flags)
{
	struct rnode *n = make(NULL, R_ARR, NULL, NULL);

	if (n)
		n->flags = flags;
	return n;
}

/* Frees a whole report (its arena): only roots are freed, never a node
 * still linked into a parent. */
void r_free(struct rnode *n)
{
	if (n)
		arena_free(n->arena);
}

struct rnode *r_obj(struct rnode *p, const char *key, const char *label)
{
	return add(p, R_OBJ, key, label);
}

struct rnode *r_arr(struct rnode *p, const char *key, const char *label, unsigned flags)
{
	struct rnode *n = add(p, R_ARR, key, label);

	if (n)
		n->flags = flags;
	return n;
}

struct rnode *r_uint(struct rnode *p, const char *key, const char *label, uint64_t v,
		     const char *fmt)
{
	struct rnode *n = add(p, R_UINT, key, label);

	if (n) {
		n->v.u = v;
		dup_into(n, &n->fmt, fmt);
	}
	return n;
}

struct rnode *r_int(struct rnode *p, const char *key, const char *label, int64_t v)
{
	struct rnode *n = add(p, R_INT, key, label);

	if (n)
		n->v.i = v;
	return n;
}

struct rnode *r_bool(struct rnode *p, const char *key, const char *label, bool v)
{
	struct rnode *n = add(p, R_BOOL, key, label);

	if (n)
		n->v.b = v;
	return n;
}

struct rnode *r_str(struct rnode *p, const char *key, const char *label, const char *s)
{
	struct rnode *n;

	if (!s)
		return r_none(p, key, label);
	n = add(p, R_STR, key, label);
	if (n && !dup_into(n, &n->v.s, s))
		n->kind = R_NULL; /* the root is marked: the command fails */
	return n;
}

/* The longest string the formatted variants keep (their buffer). */
#define R_FMT_MAX 1024

struct rnode *r_strf(struct rnode *p, const char *key, const char *label, const char *fmt, ...)
{
	char buf[R_FMT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return r_str(p, key, label, buf);
}

struct rnode *r_null(struct rnode *p, const char *key, const char *label)
{
	return add(p, R_NULL, key, label);
}

struct rnode *r_none(struct rnode *p, const char *key, const char *label)
{
	struct rnode *n = add(p, R_NULL, key, label);

	if (n)
		n->flags |= RF_NONE;
	return n;
}

struct rnode *r_unknown(struct rnode *p, const char *key, const char *label, const char *why)
{
	struct rnode *n = add(p, R_NULL, key, label);

	if (n) {
		n->flags |= RF_UNKNOWN;
		dup_into(n, &n->why, why && *why ? why : "not read");
	}
	return n;
}

struct rnode *r_unknownf(struct rnode *p, const char *key, const char *label, const char *fmt, ...)
{
	char buf[R_FMT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return r_unknown(p, key, label, buf);
}

struct rnode *r_unknown_cat(struct rnode *p, const char *key, const char *label, const char *what,
			    const char *why)
{
	char buf[R_FMT_MAX];

	str_concat(buf, sizeof(buf), what, why, NULL);
	return r_unknown(p, key, label, buf);
}

struct rnode *r_double(struct rnode *p, const char *key, const char *label, double v)
{
	struct rnode *n = add(p, R_DOUBLE, key, label);

	if (n)
		n->v.d = v;
	return n;
}

struct rnode *r_hex64(struct rnode *p, const char *key, const char *label, uint64_t v)
{
	char buf[2 + 16 + 1] = "0x";

	fmt_hex(buf + 2, v, 16);
	return r_str(p, key, label, buf);
}

/* The hex is written straight into the node's copy in the arena: no
 * buffer of its own, no printf a byte. */
struct rnode *r_bytes(struct rnode *p, const char *key, const char *label, const uint8_t *buf,
		      unsigned len)
{
	static const char digits[] = "0123456789abcdef";
	struct rnode *n = add(p, R_STR, key, label);
	char *hex = n ? arena_alloc(n->arena, 2 * (size_t)len + 1) : NULL;

	if (!hex) {
		if (n)
			n->kind = R_NULL; /* as r_str: the root is marked, the command fails */
		mark_oom(n ? n : p);
		return n;
	}
	for (unsigned i = 0; i < len; i++) {
		hex[2 * i] = digits[buf[i] >> 4];
		hex[2 * i + 1] = digits[buf[i] & 0xf];
	}
	hex[2 * (size_t)len] = '\0';
	n->v.s = hex;
	n->flags |= RF_HEXDUMP;
	return n;
}

struct rnode *r_annot(struct rnode *n, const char *fmt, ...)
{
	char buf[R_FMT_MAX];
	va_list ap;

	if (!n)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n->annot = NULL; /* the old one stays in the arena until r_free */
	dup_into(n, &n->annot, buf);
	return n;
}

struct rnode *r_annot_str(struct rnode *n, const char *s)
{
	char buf[R_FMT_MAX];

	if (!n)
		return NULL;
	str_copy(buf, sizeof(buf), s);
	n->annot = NULL;
	dup_into(n, &n->annot, buf);
	return n;
}

struct rnode *r_find(const struct rnode *obj, const char *key)
{
	if (!obj)
		return NULL;
	for (struct rnode *c = obj->child; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

static const struct rnode *nth_child(const struct rnode *n, unsigned long idx)
{
	const struct rnode *c = n->child;

	while (c && idx--)
		c = c->next;
	return c;
}

const struct rnode *r_path(const struct rnode *root, const char *path)
{
	const struct rnode *n = root;
	char part[128];

	while (n && *path) {
		size_t len = strcspn(path, ".");
		char *end;

		if (len >= sizeof(part))
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		path += len + (path[len] == '.');
		if (n->kind == R_ARR) {
			unsigned long idx = strtoul(part, &end, 10);

			n = *end ? NULL : nth_child(n, idx);
		} else {
			n = r_find(n, part);
		}
	}
	return n;
}

unsigned r_count(const struct rnode *n)
{
	unsigned c = 0;

	for (const struct rnode *k = n ? n->child : NULL; k; k = k->next)
		c++;
	return c;
}

static void unlink_node(struct rnode *n)
{
	struct rnode *p = n->parent, *prev = NULL;

	if (!p)
		return;
	for (struct rnode *c = p->child; c && c != n; c = c->next)
		prev = c;
	if (prev)
		prev->next = n->next;
	else
		p->child = n->next;
	if (p->last == n)
		p->last = prev;
	n->next = NULL;
	n->parent = NULL;
}

/* A copy of n (and its subtree) as the last child of p, in p's arena. */
static struct rnode *copy_into(struct rnode *p, const struct rnode *n)
{
	struct rnode *c = add(p, n->kind, n->key, n->label);

	if (!c)
		return NULL;
	c->flags = n->flags;
	c->v = n->v;
	/* a failed copy leaves NULL (and the report marked incomplete) */
	if (n->kind == R_STR && !dup_into(c, &c->v.s, n->v.s))
		c->kind = R_NULL;
	dup_into(c, &c->fmt, n->fmt);
	dup_into(c, &c->annot, n->annot);
	dup_into(c, &c->why, n->why); /* RF_UNKNOWN's reason goes along */
	for (const struct rnode *k = n->child; k; k = k->next)
		copy_into(c, k);
	return c;
}

static void set_arena(struct rnode *n, struct rarena *a)
{
	n->arena = a;
	for (struct rnode *c = n->child; c; c = c->next)
		set_arena(c, a);
}

/* A root's whole tree into p's arena without a copy: its chunks are
 * spliced in behind p's current one (where allocation goes on) and its
 * nodes re-pointed. dump --all moves a report per function this way; the
 * copy was a tenth of its work. */
static void adopt_arena(struct rnode *root, struct rnode *p)
{
	struct rarena *from = root->arena, *to = p->arena;
	struct rchunk *tail = from->head;

	if (tail) {
		while (tail->next)
			tail = tail->next;
		if (to->head) {
			tail->next = to->head->next;
			to->head->next = from->head;
		} else {
			to->head = from->head;
		}
	}
	set_arena(root, to);
	free(from);
	if (root->flags & RF_OOM)
		mark_oom(p);
}

struct rnode *r_move(struct rnode *n, struct rnode *new_parent)
{
	if (!n || !new_parent)
		return NULL;
	if (n->arena != new_parent->arena && !n->parent)
		adopt_arena(n, new_parent);
	if (n->arena != new_parent->arena) {
		struct rnode *c = copy_into(new_parent, n);

		unlink_node(n);
		return c;
	}
	unlink_node(n);
	n->parent = new_parent;
	if (new_parent->last)
		new_parent->last->next = n;
	else
		new_parent->child = n;
	new_parent->last = n;
	return n;
}
