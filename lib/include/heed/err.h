/* err.h: heed's one status enum, its messages, and the retry policy that
 * collectors and the responder use to choose between backoff and dead-letter.
 *
 * Ownership rule for every lib/ module (stated once, here): pointer arguments
 * are borrowed; results are owned by the caller and released with the
 * module's _free/_release. Exceptions are named in the function comment. */
#ifndef HEED_ERR_H
#define HEED_ERR_H

#include <stdbool.h>

#define HEED_MUSTCHECK __attribute__((warn_unused_result))
#define HEED_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum heed_status {
	HEED_OK = 0,
	HEED_ENOMEM = -1,	/* kept for API completeness; xmalloc aborts */
	HEED_EIO = -2,		/* local file or socket I/O */
	HEED_EINVAL = -3,	/* bad argument or input */
	HEED_ECONFIG = -4,	/* configuration file or value */
	HEED_EPARSE = -5,	/* malformed data (JSON, rules, ...) */
	HEED_ETOOBIG = -6,	/* a size cap was hit */
	HEED_ECONNECT = -7,	/* could not reach a server */
	HEED_ETIMEOUT = -8,	/* a network operation timed out */
	HEED_EHTTP = -9,	/* HTTP 4xx other than auth and 429 */
	HEED_EHTTP5 = -10,	/* HTTP 5xx */
	HEED_ERATELIMIT = -11,	/* HTTP 429 or an exhausted budget */
	HEED_EAUTH = -12,	/* HTTP 401/403, bad or expired credentials */
	HEED_EDB = -13,		/* SQL error reported by the server */
	HEED_EDBCONN = -14,	/* database connection lost or unreachable */
	HEED_EPERM = -15,	/* refused: permissions (file mode, DB grant) */
	HEED_ENOTFOUND = -16,	/* no such object */
	HEED_ECONFLICT = -17,	/* someone else holds it, or it changed */
	HEED_EUTF8 = -18,	/* invalid UTF-8 where it is not tolerated */
	HEED_ESTATE = -19,	/* operation not allowed in the current state */
};

/* Detail for a failure: code plus a short message (no secrets, no user text
 * beyond what identifies the problem). Callers put it on the stack. */
struct heed_err {
	int code;
	char msg[256];
};

/* Static English description of a status code; never NULL. */
const char *heed_strerror(int code);

/* True when retrying the same operation later may succeed (network blips,
 * 5xx, rate limits, lost DB connections). */
bool heed_err_is_retryable(int code);

/* Record code and a printf-style message in err (which may be NULL) and
 * return code, so callers can write `return heed_err_set(err, ...)`. */
int heed_err_set(struct heed_err *err, int code, const char *fmt, ...)
	HEED_PRINTF(3, 4);

/* Reset err to HEED_OK with an empty message. err may be NULL. */
void heed_err_clear(struct heed_err *err);

/* The message if one was set, else heed_strerror(code). */
const char *heed_err_msg(const struct heed_err *err);

#endif
