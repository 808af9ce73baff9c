/* The net, vsock, console and 9p/fs self-tests against the device model:
 * each passes on the right answer and fails, naming what it expected and
 * what it got, when the model's answer is wrong. (9p, fs and console's
 * MULTIPORT handshake have no model behaviour: the vm suite's selftests2
 * scenario proves them against QEMU, failing cases included.) */
#include "check.h"
#include "model_fixture.h"
#include "selftest_run.h"

#include "sim/model_types.h"
#include "virtio/selftest.h"

#include <stdio.h>
#include <string.h>

#define NET_F_CTRL_VQ 17
#define NET_F_CTRL_RX 18

/* The detail of the step named `name`, or "" when there is none. */
static const char *step_detail(const struct run *r, const char *name)
{
	char path[32];

	for (unsigned i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "steps.%u.step", i);
		if (strcmp(run_str(r, path), name) == 0) {
			snprintf(path, sizeof(path), "steps.%u.detail", i);
			return run_str(r, path);
		}
	}
	return "";
}

static void net_ctrl(struct model_spec *s)
{
	s->features |= 1ull << NET_F_CTRL_VQ | 1ull << NET_F_CTRL_RX;
	s->num_queues = 3;
}

static void test_net_ctrl(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_NET, net_ctrl))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL net selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(run_str(&r, "mac"), "52:54:00:12:34:56");
	CHECK_STR(run_str(&r, "checks.0.check"), "ctrl-rx-promisc-on");
	CHECK_STR(run_str(&r, "checks.2.check"), "ctrl-mac-table-set");
	CHECK_STR(run_str(&r, "checks.2.got"), "0");
	CHECK_EQ(model_net_ctrl_count(r.f.pci, 0), 2); /* promiscuous on, off */
	CHECK_EQ(model_net_ctrl_count(r.f.pci, 1), 1); /* MAC_TABLE_SET */
	CHECK_EQ(model_net_frame_count(r.f.pci), 1);
	run_done(&r);

	/* VIRTIO_NET_ERR: the first command's known answer fails the test. */
	if (!run_open_spec(&r, MODEL_ID_NET, net_ctrl))
		return;
	CHECK(model_net_set_ctrl_ack(r.f.pci, 1, &r.e) == 0);
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && !run_passed(&r));
	CHECK_EQ(r.e.code, VX_DEVICE);
	CHECK_STR(r.e.msg, "ctrl-rx-promisc-on: expected 0 (VIRTIO_NET_OK), got 1");
	CHECK_STR(run_str(&r, "checks.0.got"), "1");
	CHECK_EQ(model_net_ctrl_count(r.f.pci, 1), 0);
	run_done(&r);

	/* Without CTRL_VQ: the transmit alone, and a step that says so. */
	if (!run_open_spec(&r, MODEL_ID_NET, NULL))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(step_detail(&r, "ctrl"), "CTRL_VQ not offered");
	run_done(&r);

	/* --arp with something that is no IPv4 address: a usage error. */
	if (!run_open_spec(&r, MODEL_ID_NET, net_ctrl))
		return;
	o.arp = "10.0.2";
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && r.e.code == VX_USAGE);
	CHECK_STR(r.e.msg, "'10.0.2' is not an IPv4 address"); /* the CLI names --arp */
	run_done(&r);
}

static uint64_t vsock_cid;

static void vsock(struct model_spec *s)
{
	s->num_queues = 3;
	for (unsigned i = 0; i < 8; i++)
		s->device_cfg[i] = (uint8_t)(vsock_cid >> 8 * i);
	s->device_cfg_len = 8;
}

static void test_vsock(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	vsock_cid = 42;
	if (!run_open_spec(&r, 19, vsock))
		return;
	run_selftest(&r, &o);
	if (r.rc)
		printf("FAIL vsock selftest: %s\n", r.e.msg);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(run_str(&r, "checks.0.got"), "42");
	run_done(&r);

	/* CID 2 is the host's: not a guest's. */
	vsock_cid = 2;
	if (!run_open_spec(&r, 19, vsock))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && !run_passed(&r));
	CHECK_STR(r.e.msg, "guest_cid: expected 3 to 4294967294, got 2");
	run_done(&r);
}

/* Without MULTIPORT, port 0 transmits: the bytes reach the model. */
static void test_console(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	const uint8_t *out;
	size_t len = 0;
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_CONSOLE, NULL))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc == 0 && run_passed(&r));
	CHECK_STR(step_detail(&r, "transmit"), "completed");
	out = model_console_output(r.f.pci, &len);
	CHECK(out && len == 28 && memcmp(out, "virtioctl console self-test\n", 28) == 0);
	run_done(&r);
}

/* 9p and fs need a path: a usage error before any request, naming no
 * option (the CLI adds "(--path PATH)"). */
static void test_path_required(void)
{
	struct selftest_opts o = {.timeout_ms = 1000};
	struct run r;

	if (!run_open_spec(&r, MODEL_ID_9P, NULL))
		return;
	run_selftest(&r, &o);
	CHECK(r.rc != 0 && r.e.code == VX_USAGE);
	CHECK_STR(r.e.msg, "9p needs the path of a file to read");
	run_done(&r);
}

int main(void)
{
	test_net_ctrl();
	test_vsock();
	test_console();
	test_path_required();
	return check_done();
}
