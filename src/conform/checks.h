/* Shared by the check functions: the state of one run (what was read
 * once and is reused), result helpers and the functions of the table. */
#ifndef VIRTIOCTL_CONFORM_CHECKS_H
#define VIRTIOCTL_CONFORM_CHECKS_H

#include "conform/conform.h"
#include "virtio/caps.h"

struct ck_state {
	const struct conform_env *env;
	struct vdev *v;
	struct pdev *p;
	const struct vcaps *caps;

	/* Device-offered features, read once: 0 not yet, 1 read, -1 not
	 * readable (why/skip say why). */
	int devf_state;
	uint64_t devf;
	enum ck_skip devf_skip;
	char devf_why[CK_TEXT_LEN];

	/* Per-queue registers, read once (the same way). */
	int q_state;
	unsigned nq; /* num_queues as read; queues read: min(nq, VDEV_MAX_QUEUES) */
	struct vq_regs *q;
	enum ck_skip q_skip;
	char q_why[CK_TEXT_LEN];

	/* Active checks. */
	bool reset_ok;	   /* active.reset passed: the device can be reset */
	uint8_t status_or; /* every status value read while driving, OR-ed */
	uint8_t first_bad_status;
	bool st_ran;	   /* the self-test request ran */
	bool st_completed; /* a used element came back */
	enum vring_fault st_fault;
	bool st_passed;
	enum vx_code st_code; /* why it failed */
	char st_error[CK_TEXT_LEN];
};

/* Result helpers. ck_fail's `required` is the rule in words; the format
 * says what was seen. */
void ck_pass(struct ck_out *o);
void ck_fail(struct ck_out *o, const char *required, const char *seen_fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ck_skip(struct ck_out *o, enum ck_skip kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Gates: each returns false after marking o skipped. */
bool ck_need_modern_caps(struct ck_state *st, struct ck_out *o);
bool ck_need_regs(struct ck_state *st, struct ck_out *o);
bool ck_need_active(struct ck_state *st, struct ck_out *o);

/* Cached reads; false after marking o skipped. */
bool ck_offered(struct ck_state *st, struct ck_out *o, uint64_t *f);
bool ck_queues(struct ck_state *st, struct ck_out *o);
/* Features known to be offered without selector writes: all of them when
 * readable, else what Linux negotiated (a subset), else 0. */
uint64_t ck_known_offered(struct ck_state *st);
/* The device-offered features as read from the device (not the kernel's
 * negotiated ones), for reading only the config fields that exist. */
struct vdev_offer ck_offer(struct ck_state *st);
/* The usable structure of a cfg_type, or NULL. */
const struct vcap *ck_cap(const struct ck_state *st, int idx);
/* Status as read from the register, noting it for the active checks. */
int ck_status(struct ck_state *st, uint8_t *s, struct verr *e);
void ck_free_state(struct ck_state *st);
/* Status bits without a meaning for this device (check_regs.c). */
uint8_t ck_reserved_status(struct ck_state *st);
/* After active checks: reset the device and free the queues (kept when the
 * reset is not confirmed; the caller's teardown deals with them). */
void ck_active_finish(struct ck_state *st);

#define CHECK_FN(name) void name(struct ck_state *st, struct ck_out *o)

/* check_pci.c */
CHECK_FN(chk_pci_device_id);
CHECK_FN(chk_pci_transitional_revision);
CHECK_FN(chk_pci_transitional_subsystem);
CHECK_FN(chk_pci_modern_revision);
CHECK_FN(chk_pci_modern_subsystem);
CHECK_FN(chk_pci_class);
/* check_caps.c */
CHECK_FN(chk_cap_chain);
CHECK_FN(chk_cap_common_present);
CHECK_FN(chk_cap_notify_present);
CHECK_FN(chk_cap_isr_present);
CHECK_FN(chk_cap_device_present);
CHECK_FN(chk_cap_pci_cfg_present);
CHECK_FN(chk_cap_len);
CHECK_FN(chk_cap_bar_index);
CHECK_FN(chk_cap_bar_implemented);
CHECK_FN(chk_cap_inside_bar);
CHECK_FN(chk_cap_common_align);
CHECK_FN(chk_cap_common_length);
CHECK_FN(chk_cap_notify_align);
CHECK_FN(chk_cap_notify_length);
CHECK_FN(chk_cap_notify_multiplier);
CHECK_FN(chk_cap_notify_queues);
CHECK_FN(chk_cap_isr_length);
CHECK_FN(chk_cap_device_align);
CHECK_FN(chk_cap_shm_unique);
CHECK_FN(chk_cap_vendor_length);
CHECK_FN(chk_cap_vendor_id);
CHECK_FN(chk_msix_inside_bar);
CHECK_FN(chk_msix_overlap);
CHECK_FN(chk_msix_table_size);
/* check_regs.c */
CHECK_FN(chk_regs_status_reserved);
CHECK_FN(chk_regs_status_error);
CHECK_FN(chk_regs_version_1);
CHECK_FN(chk_regs_feature_deps);
CHECK_FN(chk_regs_num_queues);
CHECK_FN(chk_regs_queue_size);
CHECK_FN(chk_regs_msix_vectors);
CHECK_FN(chk_regs_config_generation);
CHECK_FN(chk_devcfg_must);
CHECK_FN(chk_devcfg_should);
/* check_linux.c */
CHECK_FN(chk_linux_features_subset);
CHECK_FN(chk_linux_status_match);
CHECK_FN(chk_linux_msix_enabled);
CHECK_FN(chk_linux_msix_mapped);
/* check_active.c */
CHECK_FN(chk_act_reset);
CHECK_FN(chk_act_features_unoffered);
CHECK_FN(chk_act_features_offered);
CHECK_FN(chk_act_queue_size);
CHECK_FN(chk_act_queue_enable);
CHECK_FN(chk_act_needs_reset);
CHECK_FN(chk_act_reset_queue_state);
CHECK_FN(chk_act_queue_reset);
CHECK_FN(chk_act_notify);
CHECK_FN(chk_act_request);
CHECK_FN(chk_act_used_id);
CHECK_FN(chk_act_used_len);
CHECK_FN(chk_act_status_reserved);

#endif
