#include "cli/expect.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/commands_impl.h"
#include "virtio/features.h"

enum op { OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT, OP_NONE_SET, OP_SET, OP_COUNT, OP_NONE };

/* Longest first, so "<=" is not read as "<". */
static const char *const ops[OP_COUNT] = {"==", "!=", "<=", ">=", "<", ">", "!&", "&"};
static const char *const shown_ops[OP_COUNT] = {"==", "!=", "<", "<=", ">", ">=", "&", "!&"};

const char *const *expect_operators(size_t *count)
{
	*count = OP_COUNT;
	return shown_ops;
}

struct expr {
	char text[512]; /* the whole expression, for messages */
	char path[256];
	enum op op;
	const char *value; /* into text */
};

static char *trim(char *p)
{
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return p;
}

static bool valid_path(const char *p)
{
	return *p &&
	       strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") ==
		       strlen(p);
}

static int find_op(const char *p)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (strncmp(p, ops[i], strlen(ops[i])) == 0)
			return i;
	return -1;
}

/* The words are joined again, so "a>=1" and "a >= 1" read the same. */
static int parse_expr(const struct cmd_args *a, struct expr *x, struct verr *e)
{
	char buf[sizeof(x->text)];
	size_t o = 0, k;
	int op;

	for (int i = 0; i < a->argc && o < sizeof(x->text); i++)
		o += (size_t)snprintf(x->text + o, sizeof(x->text) - o, "%s%s", i ? " " : "",
				      a->argv[i]);
	memcpy(buf, x->text, sizeof(buf));
	k = strcspn(buf, "=!<>&");
	op = buf[k] ? find_op(buf + k) : OP_NONE;
	if (op < 0)
		return verr_set(e, VX_USAGE,
				"expect %s: unknown operator (use == != < <= > >= & !&)", x->text);
	x->op = (enum op)op;
	x->value = op == OP_NONE ? NULL : trim(x->text + k + strlen(ops[op]));
	buf[k] = '\0';
	snprintf(x->path, sizeof(x->path), "%s", trim(buf));
	if (!valid_path(x->path))
		return verr_set(e, VX_USAGE, "expect %s: '%s' is not a path like queues.0.size",
				x->text, x->path);
	if (x->value && !*x->value)
		return verr_set(e, VX_USAGE, "expect %s: %s needs a value", x->text, ops[op]);
	return 0;
}

int expect_device_id(struct session *s)
{
	const struct rnode *n = r_path(s->last, "virtio_device_id");
	struct sdev *d;

	if (n && n->kind == R_INT && n->v.i >= 0)
		return (int)n->v.i;
	if (n && n->kind == R_UINT)
		return (int)n->v.u;
	if (s->current[0] && session_device(s, NULL, &d, NULL) == 0)
		return d->v.device_id;
	return -1;
}

/* A status bit name ("FEATURES_OK"; "RESET" is 0) as its value. */
static bool status_name(const char *w, uint64_t *v)
{
	char name[32];

	if (strcasecmp(w, "RESET") == 0) {
		*v = 0;
		return true;
	}
	for (unsigned b = 0; b < 8; b++) {
		virtio_status_str((uint8_t)(1u << b), name, sizeof(name));
		if (strncmp(name, "bit", 3) != 0 && strcasecmp(name, w) == 0) {
			*v = 1u << b;
			return true;
		}
	}
	return false;
}

static bool number(const char *w, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = *w == '-' ? (uint64_t)strtoll(w, &end, 0) : strtoull(w, &end, 0);
	return *w && !*end && errno == 0;
}

/* One term of an operand: a number, true/false, a status bit or a feature
 * name of the device type. */
static int term(const char *w, int devid, uint64_t *v, struct verr *e)
{
	int bit;

	if (number(w, v) || status_name(w, v))
		return 0;
	if (strcasecmp(w, "true") == 0 || strcasecmp(w, "false") == 0) {
		*v = strcasecmp(w, "true") == 0;
		return 0;
	}
	bit = virtio_feature_by_name(devid >= 0 ? (unsigned)devid : 0, w);
	if (bit >= 0 && bit < 64) {
		*v = 1ull << bit;
		return 0;
	}
	return verr_set(e, VX_USAGE, "expect: '%s' is not a number, status bit or feature name", w);
}

/* "A|B|0x10": the bits of every term. */
static int operand(const char *value, int devid, uint64_t *v, struct verr *e)
{
	char buf[256], *save = NULL;
	uint64_t t;

	snprintf(buf, sizeof(buf), "%s", value);
	*v = 0;
	for (char *w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
		if (term(trim(w), devid, &t, e))
			return -1;
		*v |= t;
	}
	return 0;
}

static bool compare_u(enum op op, uint64_t l, uint64_t r)
{
	switch (op) {
	case OP_EQ:
		return l == r;
	case OP_NE:
		return l != r;
	case OP_LE:
		return l <= r;
	case OP_GE:
		return l >= r;
	case OP_LT:
		return l < r;
	case OP_GT:
		return l > r;
	case OP_SET:
		return r && (l & r) == r;
	case OP_NONE_SET:
		return (l & r) == 0;
	default:
		return false;
	}
}

/* Measured values (seconds): ordering only, bit operators never hold. */
static bool compare_d(enum op op, double l, double r)
{
	switch (op) {
	case OP_EQ:
		return l == r;
	case OP_NE:
		return l != r;
	case OP_LE:
		return l <= r;
	case OP_GE:
		return l >= r;
	case OP_LT:
		return l < r;
	case OP_GT:
		return l > r;
	default:
		return false;
	}
}

static bool compare_i(enum op op, int64_t l, int64_t r)
{
	if (op == OP_SET || op == OP_NONE_SET || op == OP_EQ || op == OP_NE)
		return compare_u(op, (uint64_t)l, (uint64_t)r);
	return op == OP_LE ? l <= r : op == OP_GE ? l >= r : op == OP_LT ? l < r : l > r;
}

/* The value at the path as people read it, for the failure message. */
static void describe(const struct rnode *n, char *buf, size_t len)
{
	switch (n->kind) {
	case R_UINT:
		snprintf(buf, len, n->fmt && strchr(n->fmt, 'x') ? "0x%llx" : "%llu",
			 (unsigned long long)n->v.u);
		break;
	case R_INT:
		snprintf(buf, len, "%lld", (long long)n->v.i);
		break;
	case R_DOUBLE:
		snprintf(buf, len, "%g", n->v.d);
		break;
	case R_BOOL:
		snprintf(buf, len, "%s", n->v.b ? "true" : "false");
		break;
	case R_STR:
		snprintf(buf, len, "'%s'", n->v.s);
		break;
	case R_NULL:
		snprintf(buf, len, "null");
		break;
	default:
		snprintf(buf, len, "%s with %u entries", n->kind == R_OBJ ? "an object" : "a list",
			 r_count(n));
	}
	if (n->annot && strlen(buf) + 4 < len)
		snprintf(buf + strlen(buf), len - strlen(buf), " (%s)", n->annot);
}

static int not_held(const struct expr *x, const struct rnode *n, struct verr *e)
{
	char shown[256];

	describe(n, shown, sizeof(shown));
	return verr_set(e, VX_EXPECT, "expect %s: %s is %s", x->text, x->path, shown);
}

/* Strings compare as strings unless they hold a number (64-bit feature
 * words are "0x..." strings in the report). */
static int check_string(const struct expr *x, const struct rnode *n, int devid, struct verr *e)
{
	uint64_t l, r;
	bool eq;

	if (number(n->v.s, &l)) {
		if (operand(x->value, devid, &r, e))
			return -1;
		return compare_u(x->op, l, r) ? 0 : not_held(x, n, e);
	}
	if (x->op != OP_EQ && x->op != OP_NE)
		return verr_set(e, VX_USAGE, "expect %s: %s is a string: use == or !=", x->text,
				x->path);
	eq = strcmp(n->v.s, x->value) == 0;
	return eq == (x->op == OP_EQ) ? 0 : not_held(x, n, e);
}

static int check_null(const struct expr *x, const struct rnode *n, struct verr *e)
{
	bool is_null = n->kind == R_NULL, want_null = strcmp(x->value, "null") == 0;

	if (!want_null || (x->op != OP_EQ && x->op != OP_NE))
		return not_held(x, n, e);
	return is_null == (x->op == OP_EQ) ? 0 : not_held(x, n, e);
}

static int check(struct session *s, const struct rnode *n, const struct expr *x, struct verr *e)
{
	uint64_t l, r;

	if (x->op == OP_NONE)
		return n->kind != R_NULL && !(n->kind == R_BOOL && !n->v.b) ? 0 : not_held(x, n, e);
	if (n->kind == R_NULL || strcmp(x->value, "null") == 0)
		return check_null(x, n, e);
	if (n->kind == R_STR)
		return check_string(x, n, expect_device_id(s), e);
	if (n->kind == R_OBJ || n->kind == R_ARR)
		return verr_set(e, VX_USAGE, "expect %s: %s is not a single value", x->text,
				x->path);
	if (operand(x->value, expect_device_id(s), &r, e))
		return -1;
	if (n->kind == R_INT)
		return compare_i(x->op, n->v.i, (int64_t)r) ? 0 : not_held(x, n, e);
	if (n->kind == R_DOUBLE)
		return compare_d(x->op, n->v.d, (double)r) ? 0 : not_held(x, n, e);
	l = n->kind == R_BOOL ? n->v.b : n->v.u;
	return compare_u(x->op, l, r) ? 0 : not_held(x, n, e);
}

/* Names what is there where the path stops matching: the common reason is
 * a misspelt key. */
static int missing(const struct rnode *root, const struct expr *x, struct verr *e)
{
	char prefix[256], keys[200] = "";
	const struct rnode *n = root;
	size_t o = 0;

	snprintf(prefix, sizeof(prefix), "%s", x->path);
	for (char *dot; (dot = strrchr(prefix, '.'));) {
		*dot = '\0';
		if ((n = r_path(root, prefix)))
			break;
	}
	if (!n || !strchr(x->path, '.'))
		n = root;
	for (const struct rnode *k = n->child; k && o + 8 < sizeof(keys); k = k->next)
		o += (size_t)snprintf(keys + o, sizeof(keys) - o, "%s%s", o ? ", " : "",
				      k->key ? k->key : "0..");
	if (n->kind == R_ARR)
		snprintf(keys, sizeof(keys), "0..%u", r_count(n) ? r_count(n) - 1 : 0);
	return verr_set(e, VX_EXPECT, "expect %s: no '%s' in the result (%s there: %s)", x->text,
			x->path, n->kind == R_ARR ? "indices" : "keys", keys[0] ? keys : "none");
}

CMD_HANDLER(cmd_expect)
{
	const struct rnode *n;
	struct expr x;

	(void)out;
	if (parse_expr(a, &x, e))
		return -1;
	if (!s->last)
		return verr_set(e, VX_EXPECT,
				"expect %s: no result to test (the command before failed or "
				"printed none)",
				x.text);
	n = r_path(s->last, x.path);
	return n ? check(s, n, &x, e) : missing(s->last, &x, e);
}
