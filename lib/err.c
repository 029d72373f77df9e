/* err.c: status codes, their messages and the retry policy (see heed/err.h). */
#include <stdarg.h>
#include <stdio.h>

#include "heed/err.h"

const char *heed_strerror(int code)
{
	switch (code) {
	case HEED_OK: return "success";
	case HEED_ENOMEM: return "out of memory";
	case HEED_EIO: return "input/output error";
	case HEED_EINVAL: return "invalid argument";
	case HEED_ECONFIG: return "configuration error";
	case HEED_EPARSE: return "parse error";
	case HEED_ETOOBIG: return "size limit exceeded";
	case HEED_ECONNECT: return "cannot connect";
	case HEED_ETIMEOUT: return "timed out";
	case HEED_EHTTP: return "HTTP client error";
	case HEED_EHTTP5: return "HTTP server error";
	case HEED_ERATELIMIT: return "rate limited";
	case HEED_EAUTH: return "authentication failed";
	case HEED_EDB: return "database error";
	case HEED_EDBCONN: return "database connection lost";
	case HEED_EPERM: return "permission denied";
	case HEED_ENOTFOUND: return "not found";
	case HEED_ECONFLICT: return "conflict";
	case HEED_EUTF8: return "invalid UTF-8";
	case HEED_ESTATE: return "not allowed in this state";
	}
	return "unknown error";
}

bool heed_err_is_retryable(int code)
{
	switch (code) {
	case HEED_EIO:
	case HEED_ECONNECT:
	case HEED_ETIMEOUT:
	case HEED_EHTTP5:
	case HEED_ERATELIMIT:
	case HEED_EDBCONN:
		return true;
	default:
		return false;
	}
}

int heed_err_set(struct heed_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void heed_err_clear(struct heed_err *err)
{
	if (!err)
		return;
	err->code = HEED_OK;
	err->msg[0] = '\0';
}

const char *heed_err_msg(const struct heed_err *err)
{
	if (!err)
		return "";
	return err->msg[0] ? err->msg : heed_strerror(err->code);
}
