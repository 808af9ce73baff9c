/* The read-only device commands: caps, common, features, config, dump,
 * and `status` without a step. Each is the identity header plus sections. */
#include "cli/commands_impl.h"

#include "cli/report.h"

int cmd_caps(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_caps);
}

int cmd_common(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_status, report_common);
}

/* `features DEV` without an action; `set` and `negotiate` are cmd_drive.c's. */
int cmd_features(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_features);
}

int cmd_config(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_config);
}

/* `status DEV` without a step; steps are cmd_drive.c's. */
int cmd_status(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW(report_status);
}

int cmd_dump(struct session *s, const struct cmd_args *a, struct rnode **out, struct verr *e)
{
	SHOW_PARTIAL(report_linux, report_caps, report_status, report_features, report_common,
		     report_config, report_vendor);
}
