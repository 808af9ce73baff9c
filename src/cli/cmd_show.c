/* The read-only device commands: caps, common, features, config, dump,
 * and `status` without a step. Each is the identity header plus sections. */
#include "cli/commands_impl.h"

#include "cli/report.h"

#include <string.h>

int cmd_caps(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_caps);
}

int cmd_common(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_status, report_common);
}

int cmd_features(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	struct sdev *d;

	if (a->argc > 1) {
		if (strcmp(a->argv[1], "set") && strcmp(a->argv[1], "negotiate"))
			return verr_set(e, VX_USAGE, "features: '%s' is not set or negotiate",
					a->argv[1]);
		return session_device(s, a->argv[0], &d, e) || cmd_features_set(s, d, a, out, e);
	}
	SHOW(report_features);
}

int cmd_config(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_config);
}

int cmd_status(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	struct sdev *d;

	if (a->argc > 1)
		return session_device(s, a->argv[0], &d, e) ||
		       cmd_status_step(s, d, a->argv[1], out, e);
	SHOW(report_status);
}

int cmd_dump(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_linux, report_caps, report_status, report_features, report_common,
	     report_config, report_vendor);
}
