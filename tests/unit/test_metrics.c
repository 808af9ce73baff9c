/* The metrics model and its Prometheus renderer: escaping, names, value
 * formats; and the collection on the device model: values from the
 * registers where they can be read without writing, collection errors with
 * a reason where not (never a 0 in their place), and no write and no ISR
 * read at all on a bound device. */
#include "check.h"
#include "cli/metrics.h"
#include "format/render.h"
#include "sim/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *rendered(const struct rnode *root)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	render_metrics(f, root);
	fclose(f);
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	printf("missing line: %s\n", line);
	return false;
}

static const struct mfamily_spec fam_a = {"t_things_total", M_COUNTER,
					  "Things.\nBack\\slash \"q\""};
static const struct mfamily_spec fam_b = {"t_empty", M_GAUGE, "Never shown."};
static const struct mfamily_spec fam_c = {"t_seconds", M_GAUGE, "Time."};

static void test_render(void)
{
	struct rnode *root = m_new();
	struct rnode *a = m_family(root, &fam_a), *s;
	char *text;

	m_family(root, &fam_b);
	s = m_sample_uint(a, 18446744073709551615ull);
	m_label(s, "name", "a\\b\"c\nd");
	m_label(s, "bad name", "dropped");
	s = m_sample_uint(a, 0);
	m_label(s, "name", "caf\xc3\xa9 \xff\xc0\x80 end");
	m_label(s, "empty", NULL);
	m_sample_double(m_family(root, &fam_c), 0.25);
	/* numbers as labels, and integer values, without printf */
	s = m_sample_uint(a, 7);
	m_label_uint(s, "zero", 0);
	m_label_uint(s, "max", 4294967295u);
	m_label_uint(s, "bit", 38);
	/* other control bytes and DEL pass as they are; a quote only in HELP */
	s = m_sample_uint(a, 8);
	m_label(s, "ctl", "\t\x01\x7f\"");
	CHECK_EQ(m_count_samples(root), 5);
	text = rendered(root);
	CHECK(has_line(text, "# HELP t_things_total Things.\\nBack\\\\slash \"q\""));
	CHECK(has_line(text, "# TYPE t_things_total counter"));
	CHECK(has_line(text, "t_things_total{name=\"a\\\\b\\\"c\\nd\"} 18446744073709551615"));
	/* invalid UTF-8 (a stray byte, an overlong NUL) becomes U+FFFD */
	CHECK(has_line(text,
		       "t_things_total{name=\"caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
		       "end\",empty=\"\"} 0"));
	CHECK(has_line(text, "t_seconds 0.25"));
	CHECK(has_line(text, "t_things_total{zero=\"0\",max=\"4294967295\",bit=\"38\"} 7"));
	CHECK(has_line(text, "t_things_total{ctl=\"\t\x01\x7f\\\"\"} 8"));
	CHECK(strstr(text, "t_empty") == NULL);
	CHECK(strstr(text, "dropped") == NULL);
	free(text);
	r_free(root);
}

static void test_names(void)
{
	CHECK(m_valid_metric_name("virtioctl_device_info"));
	CHECK(m_valid_metric_name("a:b_c1"));
	CHECK(!m_valid_metric_name("1abc"));
	CHECK(!m_valid_metric_name("a-b"));
	CHECK(!m_valid_metric_name(""));
	CHECK(m_valid_label_name("address"));
	CHECK(!m_valid_label_name("__name__"));
	CHECK(!m_valid_label_name("a:b"));
}

/* A model device bound to a driver, opened read-only as `metrics` does. */
static char *collect_model(unsigned type, enum model_transport t, uint8_t status, size_t *writes,
			   size_t *isr_reads)
{
	struct model_spec spec;
	struct session s;
	struct verr e = {0};
	struct pdev *pci;
	struct vdev v;
	struct mc *m;
	struct rnode *root;
	char *text = NULL;

	session_init(&s);
	s.sysfs_root = "/nonexistent";
	s.proc_root = "/nonexistent";
	model_spec_init(&spec, type, t);
	spec.addr = (struct pci_addr){0, 0x42, 0, 0};
	spec.driver = "virtio-pci";
	spec.num_queues = 3;
	pci = model_pdev_new(&spec, &e);
	CHECK(pci != NULL);
	if (!pci || vdev_open(pci, &v, &e)) {
		printf("FAIL open: %s\n", e.msg);
		CHECK(0);
		pdev_close(pci);
		return NULL;
	}
	model_state(pci)->status = status;
	model_state(pci)->driver_features = 1ull << 32 | 1ull << 29;
	model_log_clear(pci);
	m = metrics_begin(&s, &e);
	metrics_add(m, pci, &v);
	root = metrics_end(m);
	CHECK(r_complete(root));
	text = rendered(root);
	*writes = model_write_count(pci);
	*isr_reads = model_access_count(pci, "isr", false);
	r_free(root);
	pdev_close(pci);
	session_fini(&s);
	return text;
}

static void test_collect_modern_bound(void)
{
	size_t writes, isr;
	char *t = collect_model(MODEL_ID_BLOCK, MODEL_MODERN, 0x4f, &writes, &isr);

	if (!t)
		return;
	CHECK_EQ(writes, 0);
	CHECK_EQ(isr, 0);
	CHECK(has_line(t, "virtioctl_device_status{address=\"0000:42:00.0\"} 79"));
	CHECK(has_line(t, "virtioctl_device_status_bit{address=\"0000:42:00.0\","
			  "bit=\"DEVICE_NEEDS_RESET\"} 1"));
	CHECK(has_line(t,
		       "virtioctl_device_status_bit{address=\"0000:42:00.0\",bit=\"FAILED\"} 0"));
	CHECK(has_line(t, "virtioctl_queues{address=\"0000:42:00.0\"} 3"));
	CHECK(strstr(t, "type=\"block\",transport=\"modern\",pci_driver=\"virtio-pci\"") != NULL);
	/* feature words sit behind selectors: left out, with the reason */
	CHECK(strstr(t, "virtioctl_feature_offered{") == NULL);
	CHECK(strstr(t, "virtioctl_feature_negotiated{") == NULL);
	CHECK(has_line(t, "virtioctl_collection_errors{address=\"0000:42:00.0\","
			  "item=\"offered_features\",reason=\"selector_write_needed\"} 1"));
	CHECK(has_line(t, "virtioctl_collection_errors{address=\"0000:42:00.0\","
			  "item=\"negotiated_features\",reason=\"selector_write_needed\"} 1"));
	CHECK(strstr(t, "virtioctl_collection_duration_seconds ") != NULL);
	/* the read-only checks ran, with the rest of the collection's reads:
	 * no write and no ISR read above; DEVICE_NEEDS_RESET is a SHOULD */
	CHECK(has_line(t, "virtioctl_check_failures{address=\"0000:42:00.0\",level=\"must\"} 0"));
	CHECK(has_line(t, "virtioctl_check_failures{address=\"0000:42:00.0\",level=\"should\"} 1"));
	free(t);
}

static void test_collect_legacy(void)
{
	size_t writes, isr;
	char *t = collect_model(MODEL_ID_NET, MODEL_LEGACY, 0x0f, &writes, &isr);

	if (!t)
		return;
	CHECK_EQ(writes, 0);
	CHECK_EQ(isr, 0);
	/* the legacy header has the feature words without a selector */
	CHECK(has_line(t, "virtioctl_feature_offered{address=\"0000:42:00.0\",bit=\"5\","
			  "name=\"VIRTIO_NET_F_MAC\"} 1"));
	CHECK(has_line(t, "virtioctl_feature_negotiated{address=\"0000:42:00.0\",bit=\"29\","
			  "name=\"VIRTIO_F_EVENT_IDX\"} 1"));
	CHECK(has_line(t, "virtioctl_feature_negotiated{address=\"0000:42:00.0\",bit=\"5\","
			  "name=\"VIRTIO_NET_F_MAC\"} 0"));
	CHECK(strstr(t, "item=\"offered_features\"") == NULL);
	CHECK(strstr(t, "transport=\"legacy\"") != NULL);
	free(t);
}

int main(void)
{
	test_render();
	test_names();
	test_collect_modern_bound();
	test_collect_legacy();
	return check_done();
}
