/* kread: the kernel-driver side of bench/ (runs in the QEMU guest).
 *
 * Reads a device through its kernel driver for a fixed time and prints one
 * JSON object with the keys of `virtioctl --json bench`'s results[] rows, so
 * that the two can be compared field by field:
 *
 *   kread -m read  [-b BYTES] [-d MS] FILE       read() loop (/dev/hwrng)
 *   kread -m pread [-b BYTES] [-s SPAN] [-d MS] FILE
 *                  O_DIRECT pread() loop over offsets 0, BYTES, ... < SPAN,
 *                  wrapping (queue depth 1, like `dd iflag=direct`)
 *   kread -m aio -q DEPTH [-b BYTES] [-s SPAN] [-d MS] FILE
 *                  O_DIRECT reads kept DEPTH deep with Linux AIO (io_setup,
 *                  io_submit, io_getevents as raw syscalls: no libaio)
 *   kread -m packet [-b BYTES] [-d MS] IFNAME
 *                  BYTES-byte broadcast Ethernet frames (EtherType 0x88b5)
 *                  sent on IFNAME through an AF_PACKET socket; a frame counts
 *                  when send() accepted it (ENOBUFS: the queue dropped it,
 *                  not counted, sent again); the drain waits until the
 *                  driver took them all (IFNAME's tx_packets)
 *
 * Like virtioctl's bench: requests are issued until the time is up, the ones
 * in flight are then drained, and the time includes the drain. A benchmark
 * helper, not a test.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <linux/aio_abi.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 256

struct opts {
	const char *mode, *file, *name;
	unsigned depth;
	size_t bs;
	uint64_t span;
	unsigned duration_ms;
};

struct tally {
	uint64_t ops, bytes;
	double seconds;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "kread: %s: %s\n", what, strerror(errno));
	return -1;
}

static void *aligned_buffer(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len)) {
		fprintf(stderr, "kread: out of memory\n");
		return NULL;
	}
	memset(p, 0, len);
	return p;
}

static uint64_t offset_of(const struct opts *o, uint64_t n)
{
	return n * o->bs % o->span;
}

/* read() until the time is up; a short read counts as one op of its size. */
static int run_read(const struct opts *o, int fd, struct tally *t)
{
	uint8_t *buf = aligned_buffer(o->bs);
	double t0 = now_s(), end = t0 + o->duration_ms / 1000.0;

	if (!buf)
		return -1;
	while (now_s() < end) {
		ssize_t n = read(fd, buf, o->bs);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? fail("read") : (fprintf(stderr, "kread: end of file\n"), -1);
		}
		t->ops++;
		t->bytes += (uint64_t)n;
	}
	t->seconds = now_s() - t0;
	free(buf);
	return 0;
}

/* One request at a time: queue depth 1. */
static int run_pread(const struct opts *o, int fd, struct tally *t)
{
	uint8_t *buf = aligned_buffer(o->bs);
	double t0 = now_s(), end = t0 + o->duration_ms / 1000.0;

	if (!buf)
		return -1;
	while (now_s() < end) {
		ssize_t n = pread(fd, buf, o->bs, (off_t)offset_of(o, t->ops));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)o->bs) {
			free(buf);
			if (n < 0)
				return fail("pread");
			fprintf(stderr, "kread: short read: %zd of %zu bytes\n", n, o->bs);
			return -1;
		}
		t->ops++;
		t->bytes += (uint64_t)n;
	}
	t->seconds = now_s() - t0;
	free(buf);
	return 0;
}

static long io_setup(unsigned nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

static int submit(aio_context_t ctx, struct iocb *cb)
{
	struct iocb *list[1] = {cb};
	long rc;

	do
		rc = io_submit(ctx, 1, list);
	while (rc < 0 && (errno == EINTR || errno == EAGAIN));
	return rc == 1 ? 0 : fail("io_submit");
}

/* `depth` reads in flight; each completion is replaced until the time is
 * up, then the rest are drained. */
static int run_aio(const struct opts *o, int fd, struct tally *t)
{
	static struct iocb cbs[MAX_DEPTH];
	struct io_event ev[MAX_DEPTH];
	uint8_t *bufs = aligned_buffer(o->bs * o->depth);
	aio_context_t ctx = 0;
	uint64_t issued = 0;
	unsigned inflight = 0;
	double t0, end;
	int rc = -1;

	if (!bufs)
		return -1;
	if (io_setup(o->depth, &ctx) < 0) {
		free(bufs);
		return fail("io_setup");
	}
	t0 = now_s();
	end = t0 + o->duration_ms / 1000.0;
	for (unsigned i = 0; i < o->depth; i++) {
		cbs[i] = (struct iocb){.aio_data = i,
				       .aio_lio_opcode = IOCB_CMD_PREAD,
				       .aio_fildes = (uint32_t)fd,
				       .aio_buf = (uint64_t)(uintptr_t)(bufs + i * o->bs),
				       .aio_nbytes = o->bs,
				       .aio_offset = (int64_t)offset_of(o, issued++)};
		if (submit(ctx, &cbs[i]))
			goto out;
		inflight++;
	}
	while (inflight) {
		long n = io_getevents(ctx, 1, MAX_DEPTH, ev);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail("io_getevents");
			goto out;
		}
		inflight -= (unsigned)n;
		for (long i = 0; i < n; i++) {
			struct iocb *cb = &cbs[ev[i].data];

			if (ev[i].res != (int64_t)o->bs) {
				if (ev[i].res < 0)
					fprintf(stderr, "kread: read at %" PRId64 ": %s\n",
						(int64_t)cb->aio_offset, strerror((int)-ev[i].res));
				else
					fprintf(stderr,
						"kread: short read at %" PRId64 ": %" PRId64
						" bytes\n",
						(int64_t)cb->aio_offset, (int64_t)ev[i].res);
				goto out;
			}
			t->ops++;
			t->bytes += o->bs;
			if (now_s() < end) {
				cb->aio_offset = (int64_t)offset_of(o, issued++);
				if (submit(ctx, cb))
					goto out;
				inflight++;
			}
		}
	}
	t->seconds = now_s() - t0;
	rc = 0;
out:
	/* after an error, wait for the reads still in flight */
	while (inflight) {
		long n = io_getevents(ctx, 1, MAX_DEPTH, ev);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		inflight -= (unsigned)n;
	}
	io_destroy(ctx);
	free(bufs);
	return rc;
}

/* The interface's tx_packets counter (the driver's start_xmit count). */
static int tx_packets(const char *ifname, uint64_t *out)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_packets", ifname);
	f = fopen(path, "r");
	if (!f)
		return fail(path);
	ok = fscanf(f, "%" SCNu64, out) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* Frames until the time is up; then waits (up to 10 s) until the driver
 * has taken every frame the socket accepted. */
static int run_packet(const struct opts *o, struct tally *t)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};
	uint8_t frame[1514] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
			       0,    0,	   0x76, 0x69, 0x6f, 0x88, 0xb5};
	int fd = socket(AF_PACKET, SOCK_RAW, htons(0x88b5));
	uint64_t base, now = 0;
	double t0, end;

	if (fd < 0)
		return fail("socket(AF_PACKET)");
	to.sll_ifindex = (int)if_nametoindex(o->file);
	to.sll_protocol = htons(0x88b5);
	memset(to.sll_addr, 0xff, 6);
	memcpy(frame + 14, "kread bench", 11);
	if (!to.sll_ifindex || o->bs < 60 || o->bs > sizeof(frame) || tx_packets(o->file, &base)) {
		close(fd);
		fprintf(stderr, "kread: %s: no such interface, or -b not 60-1514\n", o->file);
		return -1;
	}
	t0 = now_s();
	end = t0 + o->duration_ms / 1000.0;
	while (now_s() < end) {
		ssize_t n;

		memcpy(frame + 32, &t->ops, sizeof(t->ops));
		n = sendto(fd, frame, o->bs, 0, (struct sockaddr *)&to, sizeof(to));
		if (n < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN))
			continue;
		if (n != (ssize_t)o->bs) {
			close(fd);
			return fail("sendto");
		}
		t->ops++;
		t->bytes += o->bs;
	}
	while (!tx_packets(o->file, &now) && now - base < t->ops && now_s() < end + 10)
		;
	t->seconds = now_s() - t0;
	close(fd);
	if (now - base != t->ops) {
		fprintf(stderr, "kread: %" PRIu64 " frames sent, tx_packets moved by %" PRIu64 "\n",
			t->ops, now - base);
		return -1;
	}
	return 0;
}

static int usage(FILE *f, int rc)
{
	fprintf(f,
		"usage: kread -m read|pread|aio|packet [-q DEPTH] [-b BYTES] [-s SPAN] [-d MS] "
		"[-w NAME] FILE\n"
		"  -m read   read() loop (e.g. /dev/hwrng)\n"
		"  -m pread  O_DIRECT pread() loop, queue depth 1\n"
		"  -m aio    O_DIRECT reads, DEPTH in flight (Linux AIO)\n"
		"  -m packet BYTES-byte frames sent on interface FILE (AF_PACKET)\n"
		"  -q DEPTH  aio queue depth (1-%d, default 32)\n"
		"  -b BYTES  request size (default 4096)\n"
		"  -s SPAN   pread/aio: offsets cycle through the first SPAN bytes "
		"(default 1 MiB)\n"
		"  -d MS     duration (default 2000)\n"
		"  -w NAME   workload name in the output\n"
		"Prints one JSON object: workload, queue_depth, ops, bytes, microseconds,\n"
		"ops_per_second, bytes_per_second.\n",
		MAX_DEPTH);
	return rc;
}

static int number(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end || *out == 0 || *out > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = {NULL, NULL, NULL, 32, 4096, 1u << 20, 2000};
	struct tally t = {0, 0, 0};
	unsigned long long v;
	int c, fd, rc = -1;

	while ((c = getopt(argc, argv, "m:q:b:s:d:w:h")) != -1) {
		switch (c) {
		case 'm':
			o.mode = optarg;
			break;
		case 'q':
			if (number(optarg, MAX_DEPTH, &v))
				return usage(stderr, 2);
			o.depth = (unsigned)v;
			break;
		case 'b':
			if (number(optarg, 1u << 24, &v))
				return usage(stderr, 2);
			o.bs = (size_t)v;
			break;
		case 's':
			if (number(optarg, UINT64_MAX, &v))
				return usage(stderr, 2);
			o.span = v;
			break;
		case 'd':
			if (number(optarg, 3600000, &v))
				return usage(stderr, 2);
			o.duration_ms = (unsigned)v;
			break;
		case 'w':
			if (strpbrk(optarg, "\"\\") || !*optarg)
				return usage(stderr, 2);
			o.name = optarg;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc - 1 || !o.mode)
		return usage(stderr, 2);
	o.file = argv[optind];
	if (strcmp(o.mode, "packet") == 0) {
		o.depth = 1;
		rc = run_packet(&o, &t);
		fd = -1;
	} else if (strcmp(o.mode, "read") == 0) {
		o.depth = 1;
		fd = open(o.file, O_RDONLY);
	} else if (strcmp(o.mode, "pread") == 0 || strcmp(o.mode, "aio") == 0) {
		if (o.mode[0] == 'p')
			o.depth = 1;
		if (o.span < o.bs || o.span % o.bs || o.bs % 512) {
			fprintf(stderr, "kread: -s must be a multiple of -b, -b of 512\n");
			return 2;
		}
		fd = open(o.file, O_RDONLY | O_DIRECT);
	} else {
		return usage(stderr, 2);
	}
	if (o.mode[0] == 'p' && o.mode[1] == 'a')
		; /* packet: done above */
	else if (fd < 0) {
		fail(o.file);
		return 1;
	} else if (o.mode[0] == 'r')
		rc = run_read(&o, fd, &t);
	else if (o.mode[0] == 'p')
		rc = run_pread(&o, fd, &t);
	else
		rc = run_aio(&o, fd, &t);
	if (fd >= 0)
		close(fd);
	if (rc || t.seconds <= 0)
		return 1;
	printf("{\"workload\": \"%s\", \"queue_depth\": %u, \"ops\": %" PRIu64
	       ", \"bytes\": %" PRIu64 ", \"microseconds\": %" PRIu64
	       ", \"ops_per_second\": %" PRIu64 ", \"bytes_per_second\": %" PRIu64 "}\n",
	       o.name ? o.name : o.mode, o.depth, t.ops, t.bytes, (uint64_t)(t.seconds * 1e6),
	       (uint64_t)(t.ops / t.seconds), (uint64_t)(t.bytes / t.seconds));
	return 0;
}
