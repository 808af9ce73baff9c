/* The fuzz targets as a deterministic unit test: every target over its
 * corpus (tests/fuzz/corpus/NAME/), then over seeded pseudo-random
 * mutations of it. Iteration i of a target derives its own generator state
 * from (seed, target, i), so any failing iteration can be replayed alone.
 *
 *   test_fuzz_regress                      every target, default iterations
 *   test_fuzz_regress -t vring -n 50000    one target, more iterations
 *   test_fuzz_regress -t dump -i 1234 -w crash.txt
 *                                          write iteration 1234's input
 *   test_fuzz_regress -t dump FILE...      run the files (no mutations)
 *
 * Each target has its own default count (fuzz_targets[]);
 * VIRTIOCTL_FUZZ_SCALE multiplies them (10 for a
 * longer run); -n sets one count for every target. */
#include "fuzz.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FUZZ_CORPUS_DIR
#define FUZZ_CORPUS_DIR "tests/fuzz/corpus"
#endif
#define DEFAULT_SEED 0x76697274696fULL /* "virtio" */

struct input {
	uint8_t *p;
	size_t n;
	char *name;
};

struct corpus {
	struct input *v;
	size_t n, cap;
};

/* ---- what is running, for a crash report ---- */

static char running[512];

static void say_running(void)
{
	ssize_t r = write(2, running, strlen(running));

	(void)r;
}

static void on_fatal(int sig)
{
	say_running();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Sanitizers that exit without a signal call this first. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void watch_crashes(void)
{
	signal(SIGABRT, on_fatal);
#if !defined(__SANITIZE_ADDRESS__)
#if defined(__has_feature)
#if !__has_feature(address_sanitizer)
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
#endif
#else
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
#endif
#endif
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(say_running);
}

/* ---- the generator: splitmix64 ---- */

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t below(uint64_t *s, size_t n)
{
	return n ? (size_t)(next(s) % n) : 0;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* ---- corpus ---- */

static int read_file(const char *path, size_t max, struct input *out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = malloc(max ? max : 1);
	size_t n;

	if (!f || !p) {
		if (f)
			fclose(f);
		free(p);
		return -1;
	}
	n = fread(p, 1, max, f);
	fclose(f);
	out->p = p;
	out->n = n;
	out->name = strdup(path);
	return out->name ? 0 : -1;
}

static void add(struct corpus *c, struct input in)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (!c->v)
			abort();
	}
	c->v[c->n++] = in;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_corpus(const char *dir, size_t max, struct corpus *c)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	/* readdir order differs between file systems: sort, to be determinate. */
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct input in;

		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) < (int)sizeof(path) &&
		    read_file(path, max, &in) == 0)
			add(c, in);
		free(names[i]);
	}
	free(names);
	return 0;
}

static void free_corpus(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].p);
		free(c->v[i].name);
	}
	free(c->v);
}

/* ---- mutations ---- */

struct buf {
	uint8_t *p;
	size_t n, max;
};

static const uint32_t interesting[] = {
	0,	1,	2,	 3,	     4,		 7,	     8,
	15,	16,	0x20,	 0x34,	     0x3f,	 0x40,	     0x7f,
	0x80,	0xff,	0x100,	 0xfff,	     0x1000,	 0x7fff,     0x8000,
	0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};

static void put(struct buf *b, size_t pos, uint32_t v, unsigned width)
{
	for (unsigned i = 0; i < width && pos + i < b->n; i++)
		b->p[pos + i] = (uint8_t)(v >> (8 * i));
}

static void insert(struct buf *b, size_t pos, const uint8_t *src, size_t len)
{
	if (b->n + len > b->max)
		len = b->max - b->n;
	memmove(b->p + pos + len, b->p + pos, b->n - pos);
	memcpy(b->p + pos, src, len);
	b->n += len;
}

/* A hex digit for a hex digit, somewhere, but not in a dump line's offset
 * ("10:"), which has to stay in sequence. */
static void mutate_hex(struct buf *b, uint64_t *s)
{
	for (size_t tries = 0; tries < 16 && b->n; tries++) {
		size_t pos = below(s, b->n);

		if (isxdigit(b->p[pos]) && !(pos + 1 < b->n && b->p[pos + 1] == ':') &&
		    !(pos + 2 < b->n && b->p[pos + 2] == ':')) {
			b->p[pos] = (uint8_t) "0123456789abcdef"[below(s, 16)];
			return;
		}
	}
}

static void mutate_once(struct buf *b, const struct corpus *c, uint64_t *s)
{
	static const char text[] = "0123456789abcdef: \n\t.-xX";
	size_t pos = below(s, b->n + 1), len;
	uint8_t tmp[64];

	switch (below(s, 12)) {
	case 0: /* flip a bit */
		if (pos < b->n)
			b->p[pos] ^= (uint8_t)(1u << below(s, 8));
		break;
	case 1: /* a random byte */
		if (pos < b->n)
			b->p[pos] = (uint8_t)next(s);
		break;
	case 2: /* an interesting value, 1, 2 or 4 bytes */
		put(b, pos, interesting[below(s, sizeof(interesting) / sizeof(interesting[0]))],
		    1u << below(s, 3));
		break;
	case 3: /* a hex digit for a hex digit: dumps stay well-formed */
	case 4:
		mutate_hex(b, s);
		break;
	case 5: /* a text character */
		if (pos < b->n)
			b->p[pos] = (uint8_t)text[below(s, sizeof(text) - 1)];
		break;
	case 6: /* insert random bytes */
		len = 1 + below(s, 16);
		for (size_t i = 0; i < len; i++)
			tmp[i] = (uint8_t)next(s);
		insert(b, pos, tmp, len);
		break;
	case 7: /* delete a range */
		len = below(s, 64);
		if (pos < b->n) {
			if (len > b->n - pos)
				len = b->n - pos;
			memmove(b->p + pos, b->p + pos + len, b->n - pos - len);
			b->n -= len;
		}
		break;
	case 8: /* copy a chunk of the input over another place */
		len = 1 + below(s, 64);
		if (b->n) {
			size_t from = below(s, b->n);

			if (len > b->n - from)
				len = b->n - from;
			memcpy(tmp, b->p + from, len);
			if (pos + len > b->n)
				len = b->n - pos;
			memcpy(b->p + pos, tmp, len);
		}
		break;
	case 9: /* splice in a chunk of another corpus entry */
		if (c->n) {
			const struct input *o = &c->v[below(s, c->n)];
			size_t from = below(s, o->n);

			len = 1 + below(s, 64);
			if (len > o->n - from)
				len = o->n - from;
			insert(b, pos, o->p + from, len);
		}
		break;
	case 10: /* truncate */
		if (below(s, 4) == 0)
			b->n = pos;
		break;
	case 11: /* a small arithmetic step on a byte */
		if (pos < b->n)
			b->p[pos] = (uint8_t)(b->p[pos] + (int)below(s, 17) - 8);
		break;
	}
}

/* Iteration i's input, from the corpus (or nothing) and its own seed. */
static void make_input(const struct fuzz_target *t, const struct corpus *c, uint64_t seed, size_t i,
		       struct buf *b)
{
	uint64_t s = seed ^ hash_str(t->name) ^ (i * 0xd1342543de82ef95ULL);
	unsigned rounds;

	b->n = 0;
	if (c->n) {
		const struct input *base = &c->v[below(&s, c->n)];

		b->n = base->n < b->max ? base->n : b->max;
		memcpy(b->p, base->p, b->n);
	}
	/* One input in three only changes hex digits for hex digits: a dump
	 * then still parses, and its config bytes reach the walker. */
	if (below(&s, 3) == 0) {
		rounds = 1 + (unsigned)below(&s, 16);
		for (unsigned r = 0; r < rounds; r++)
			mutate_hex(b, &s);
		return;
	}
	rounds = 1 + (unsigned)below(&s, 8);
	for (unsigned r = 0; r < rounds; r++)
		mutate_once(b, c, &s);
}

/* Runs one input from an exactly-sized heap copy, so a read past its end
 * is a heap overflow for ASan. */
static void run(const struct fuzz_target *t, const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	if (!copy)
		abort();
	memcpy(copy, p, n);
	t->fn(copy, n);
	free(copy);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct fuzz_target *find_target(const char *name)
{
	for (size_t i = 0; i < fuzz_ntargets; i++)
		if (strcmp(fuzz_targets[i].name, name) == 0)
			return &fuzz_targets[i];
	return NULL;
}

static int write_input(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f)) {
		perror(path);
		return 1;
	}
	printf("wrote %zu bytes to %s\n", b->n, path);
	return 0;
}

static void run_target(const struct fuzz_target *t, const char *corpus_dir, uint64_t seed,
		       size_t iterations, long only, const char *save)
{
	char dir[4096];
	struct corpus c = {0};
	struct buf b = {malloc(t->max_len), 0, t->max_len};
	double t0 = now();

	if (!b.p)
		abort();
	snprintf(dir, sizeof(dir), "%s/%s", corpus_dir, t->name);
	if (load_corpus(dir, t->max_len, &c))
		printf("# %s: no corpus at %s\n", t->name, dir);
	if (only >= 0) {
		make_input(t, &c, seed, (size_t)only, &b);
		if (save)
			exit(write_input(save, &b));
		snprintf(running, sizeof(running), "\nfuzz: crashed in %s, iteration %ld\n",
			 t->name, only);
		run(t, b.p, b.n);
		printf("ok %s iteration %ld\n", t->name, only);
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		snprintf(running, sizeof(running), "\nfuzz: crashed in %s on corpus file %s\n",
			 t->name, c.v[i].name);
		run(t, c.v[i].p, c.v[i].n);
	}
	for (size_t i = 0; i < iterations; i++) {
		make_input(t, &c, seed, i, &b);
		snprintf(running, sizeof(running),
			 "\nfuzz: crashed in %s, iteration %zu of seed 0x%llx; write its input "
			 "with\n"
			 "  test_fuzz_regress -t %s -s 0x%llx -i %zu -w FILE\n",
			 t->name, i, (unsigned long long)seed, t->name, (unsigned long long)seed,
			 i);
		run(t, b.p, b.n);
	}
	printf("ok %s: %zu corpus files, %zu mutations, %.2f s\n", t->name, c.n, iterations,
	       now() - t0);
out:
	free_corpus(&c);
	free(b.p);
}

static void usage(void)
{
	fprintf(stderr, "usage: test_fuzz_regress [-t TARGET] [-n ITERATIONS] [-s SEED] "
			"[-c CORPUS_DIR] [-i ITERATION [-w FILE]] [FILE...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *only_target = NULL, *corpus_dir = FUZZ_CORPUS_DIR, *save = NULL;
	const char *env = getenv("VIRTIOCTL_FUZZ_SCALE");
	double scale = env && *env ? strtod(env, NULL) : 1.0;
	long iterations = -1; /* the targets' own counts, scaled */
	uint64_t seed = DEFAULT_SEED;
	long only = -1;
	int opt;

	while ((opt = getopt(argc, argv, "t:n:s:c:i:w:")) != -1) {
		switch (opt) {
		case 't':
			only_target = optarg;
			break;
		case 'n':
			iterations = strtol(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			corpus_dir = optarg;
			break;
		case 'i':
			only = strtol(optarg, NULL, 0);
			break;
		case 'w':
			save = optarg;
			break;
		default:
			usage();
		}
	}
	if (only_target && !find_target(only_target)) {
		fprintf(stderr, "no target '%s'\n", only_target);
		return 2;
	}
	if ((only >= 0 || save || optind < argc) && !only_target)
		usage();
	watch_crashes();
	/* Files given: run each once through the target. */
	if (optind < argc) {
		const struct fuzz_target *t = find_target(only_target);

		for (int i = optind; i < argc; i++) {
			struct input in;

			if (read_file(argv[i], t->max_len, &in)) {
				perror(argv[i]);
				return 1;
			}
			snprintf(running, sizeof(running), "\nfuzz: crashed in %s on %s\n", t->name,
				 argv[i]);
			run(t, in.p, in.n);
			printf("ok %s %s\n", t->name, argv[i]);
			free(in.p);
			free(in.name);
		}
		return 0;
	}
	for (size_t i = 0; i < fuzz_ntargets; i++) {
		const struct fuzz_target *t = &fuzz_targets[i];
		size_t n = iterations >= 0
				   ? (size_t)iterations
				   : (size_t)((double)t->iterations * (scale > 0 ? scale : 0));

		if (!only_target || strcmp(only_target, t->name) == 0)
			run_target(t, corpus_dir, seed, n, only, save);
	}
	return 0;
}
