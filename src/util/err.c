#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int verr_set(struct verr *e, enum vx_code code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code != VX_OK)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void verr_prefix(struct verr *e, const char *fmt, ...)
{
	char pre[128];
	size_t n, len;
	va_list ap;

	if (!e || e->code == VX_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre) - 2, fmt, ap);
	va_end(ap);
	strcat(pre, ": ");
	n = strlen(pre);
	len = strlen(e->msg);
	if (n + len >= sizeof(e->msg))
		len = sizeof(e->msg) - 1 - n; /* the cause's tail goes, not the prefix */
	memmove(e->msg + n, e->msg, len);
	memcpy(e->msg, pre, n);
	e->msg[n + len] = '\0';
}

void verr_append(struct verr *e, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!e || e->code == VX_OK)
		return;
	len = strlen(e->msg);
	va_start(ap, fmt);
	vsnprintf(e->msg + len, sizeof(e->msg) - len, fmt, ap);
	va_end(ap);
}

void verr_clear(struct verr *e)
{
	e->code = VX_OK;
	e->msg[0] = '\0';
}

static const char *const vx_names[] = {
	[VX_OK] = "success",
	[VX_FAIL] = "error",
	[VX_USAGE] = "usage error",
	[VX_NODEV] = "no such device",
	[VX_NOTVIRTIO] = "not a virtio device",
	[VX_PERM] = "permission denied",
	[VX_DEVICE] = "device error",
	[VX_EXPECT] = "expectation failed",
	[VX_TIMEOUT] = "timeout",
	[VX_INPUT] = "malformed input",
	[VX_UNAVAILABLE] = "unavailable",
	[VX_CHECK] = "check failed",
};

const char *vx_code_name(enum vx_code code)
{
	if ((unsigned)code < sizeof(vx_names) / sizeof(vx_names[0]) && vx_names[code])
		return vx_names[code];
	return "error";
}
