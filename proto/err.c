/* proto/err.c — error codes and messages; see err.h. */
#include <stdio.h>
#include <string.h>
#include "proto/err.h"

static const char *const names[SM_ECODE_MAX] = {
	[SM_OK] = "ok",
	[SM_EMALFORMED] = "malformed",
	[SM_ENONCANON] = "not canonical",
	[SM_ETRAILING] = "trailing bytes",
	[SM_EBOUND] = "over bound",
	[SM_EDEPTH] = "too deep",
	[SM_EVERSION] = "unknown version",
	[SM_ETYPE] = "unknown type",
	[SM_ESIG] = "bad signature",
	[SM_EDECRYPT] = "cannot decrypt",
	[SM_ESCOPE] = "out of scope",
	[SM_EREPLAY] = "replay",
	[SM_EQUORUM] = "no quorum",
	[SM_ENOTMEMBER] = "not a member",
	[SM_ECHAIN] = "broken chain",
	[SM_ENOTFOUND] = "not found",
	[SM_EEXISTS] = "exists",
	[SM_EFULL] = "full",
	[SM_EIO] = "i/o error",
	[SM_ENOMEM] = "out of memory",
	[SM_EINVAL] = "invalid argument",
	[SM_EPERM] = "not permitted",
};

const char *sm_strerror(int code)
{
	if (code < 0 || code >= SM_ECODE_MAX || !names[code])
		return "unknown error";
	return names[code];
}

int sm_fail(sm_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != SM_OK)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int sm_wrap(sm_err *err, const char *fmt, ...)
{
	char prefix[128], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* prefix + old message, truncated to fit: the prefix is short, so the
	 * cut (if any) falls at the end of the original message */
	memcpy(old, err->msg, sizeof(old));
	size_t pl = strnlen(prefix, sizeof(err->msg) - 1);
	memcpy(err->msg, prefix, pl);
	size_t ol = strnlen(old, sizeof(old) - 1);
	if (ol > sizeof(err->msg) - 1 - pl)
		ol = sizeof(err->msg) - 1 - pl;
	memcpy(err->msg + pl, old, ol);
	err->msg[pl + ol] = '\0';
	return -1;
}
